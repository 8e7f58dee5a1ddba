"""Package layout and the codec extension for pyproject.toml (setuptools reads both).

converter/ installs as tfjs_export.converter and codec/ as tfjs_export.codec: distinctive names,
with no top-level `converter` or `codec` to clash with other packages. `tfjs_export` itself is a
namespace package (no __init__.py), as it is in Bazel's runfiles, where it is the workspace name.
Tests are not installed. The extension is compiled with the same flags as codec/BUILD: -O3, and
no contraction or fast maths, which would change the bits of the quantisation expressions.
"""
import ast
import os

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

ROOTS = {"converter": "tfjs_export.converter", "codec": "tfjs_export.codec"}


def _packages():
    """{package name: folder} for every folder with an __init__.py below the roots, tests excluded."""
    found = {}
    for folder, package in ROOTS.items():
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames[:] = sorted(d for d in dirnames if d != "tests" and d != "__pycache__")
            if "__init__.py" in filenames:
                found[package + dirpath[len(folder):].replace(os.sep, ".")] = dirpath
    return found


def _version():
    """__version__ from converter/version.py, the one place it is written (read, not imported:
    the package needs its compiled codec to import)."""
    tree = ast.parse(open(os.path.join("converter", "version.py"), encoding="utf-8").read())
    return next(node.value.value for node in tree.body if isinstance(node, ast.Assign)
                and [t.id for t in node.targets if isinstance(t, ast.Name)] == ["__version__"])


PACKAGES = _packages()

setup(
    version=_version(),
    packages=sorted(PACKAGES),
    package_dir=PACKAGES,
    package_data={
        "tfjs_export.converter": ["bundle_assets/*",  # the web bundle's loader, worker, demo page
                                  # our TF.js layer classes, bundled into tfjs-export-layers.js
                                  "layers_js/*.js", "layers_js/*.json", "layers_js/README.md",
                                  "layers_js/src/*.js"],
        "tfjs_export.converter.graph": ["tfjs_ops.txt"],  # the ops tfjs-converter 4.22 executes
        "tfjs_export.converter.runtime": ["js/*.js", "js/lib/*.js",  # verify's JavaScript runner
                                          "light/package.json", "light/package-lock.json"],
    },
    # build_dir: the generated C stays out of codec/, where Bazel's genrule writes its own.
    ext_modules=cythonize([Extension(
        "tfjs_export.codec._codec", ["codec/_codec.pyx", "codec/kernels.c"],  # kernels.c: the C hot loops
        include_dirs=[numpy.get_include(), "codec"],  # the generated C includes "kernels.h"
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=["-O3", "-ffp-contract=off", "-fno-fast-math", "-Wno-unused-function"],
    )], build_dir=os.path.join("build", "cython"), compiler_directives={"language_level": 3}),
    zip_safe=False,
)
