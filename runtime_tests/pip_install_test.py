"""The pip route: the wheel built by `pip wheel .` is the one Bazel builds (//:wheel), and,
installed into a fresh venv without TensorFlow ([verify] extra from the offline wheelhouse that
tools/setup.sh fills), it converts zoo models to the Layers format and verifies them on the light
TF.js runtime (WASM, no tfjs-node), with Keras on its NumPy backend reproducing what Keras on
TensorFlow predicts.
"""
import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

from runtime_tests import parity
from tools.testing import keras_models, keras_zoo

ROOT = Path(os.environ.get("TFJS_EXPORT_ROOT") or Path(os.path.realpath(__file__)).parents[1])
WHEELHOUSE = ROOT / ".cache" / "wheelhouse"
# What setup.py packages: the folders it maps and the files it reads.
SOURCES = ("converter", "codec", "setup.py", "pyproject.toml", "README.md", "MANIFEST.in")
# The zoo models verify runs in the fresh venv (all families of the NumPy-backend check below
# would take minutes in WASM; these cover dense, conv, recurrent and merge layers).
VERIFIED = ("cnn_functional", "rnn_text", "merge")
NUMPY_CHECKED = ("core", "conv2d", "conv1d_3d", "rnn_text", "rnn_wrappers", "merge", "nested_shared",
                 "preprocessing", "sequential_keepdims", "mobilenet")


def _run(argv, **kwargs):
    proc = subprocess.run([str(a) for a in argv], capture_output=True, text=True, timeout=600, **kwargs)
    assert proc.returncode == 0, f"{argv}: exit {proc.returncode}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def _copy_sources(dest):
    ignore = shutil.ignore_patterns("tests", "__pycache__", "*.so", "*.pyc", "node_modules")
    for name in SOURCES:
        src = ROOT / name
        shutil.copytree(src, dest / name, ignore=ignore) if src.is_dir() else shutil.copy(src, dest / name)
    return dest


@pytest.fixture(scope="module")
def pip_wheel(tmp_path_factory):
    """The wheel `pip wheel .` builds from the source tree (with the venv's build requirements)."""
    src = _copy_sources(tmp_path_factory.mktemp("src"))
    out = tmp_path_factory.mktemp("wheel")
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-build-isolation",
          "--no-deps", "--no-index", "-w", out, src])
    (wheel,) = out.glob("tfjs_export-*.whl")
    return wheel


@pytest.fixture(scope="module")
def venv(pip_wheel, tmp_path_factory):
    """A fresh venv (no TensorFlow) with the wheel and its [verify] extra, installed offline."""
    if not (WHEELHOUSE / ".lock-sha256").is_file():
        raise RuntimeError(f"{WHEELHOUSE} is missing; run tools/setup.sh")
    home = tmp_path_factory.mktemp("venv")
    _run([sys.executable, "-m", "venv", home])
    python = home / "bin" / "python"
    _run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-index",
          "--find-links", WHEELHOUSE, f"{pip_wheel}[verify]"])
    return home


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KERAS_BACKEND")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def zoo_files(tmp_path_factory):
    """.keras files of the zoo models used here, and each model's Keras-on-TensorFlow predictions."""
    folder = tmp_path_factory.mktemp("zoo")
    files = {}
    for name in sorted(set(VERIFIED) | set(NUMPY_CHECKED)):
        model = (keras_models.ZOO.get(name) or keras_zoo.ZOO[name])()
        inputs = keras_zoo.sample_inputs(model, batch=3, seed=5)
        outputs = model.predict(inputs[0] if len(inputs) == 1 else inputs, verbose=0)
        outputs = outputs if isinstance(outputs, list) else [outputs]
        path = folder / f"{name}.keras"
        model.save(path)
        np.savez(folder / f"{name}.npz", **{f"x{i}": x for i, x in enumerate(inputs)},
                 **{f"y{i}": np.asarray(y) for i, y in enumerate(outputs)})
        files[name] = path
    return files


def test_bazel_and_pip_build_the_same_wheel(pip_wheel):
    """//:wheel holds the files `pip wheel .` writes, Python sources and data byte for byte (the
    compiled codec and RECORD's hashes of it differ: two compilers' objects)."""
    bazel_dir = Path(os.environ["TEST_SRCDIR"]) / "tfjs_export" / "wheel"
    (bazel_wheel,) = bazel_dir.glob("tfjs_export-*.whl")
    assert bazel_wheel.name == pip_wheel.name
    with zipfile.ZipFile(bazel_wheel) as ours, zipfile.ZipFile(pip_wheel) as theirs:
        assert sorted(ours.namelist()) == sorted(theirs.namelist())
        for name in ours.namelist():
            if not name.endswith((".so", "/RECORD")):
                assert ours.read(name) == theirs.read(name), name
        names = ours.namelist()
    assert "tfjs_export/codec/_codec.cpython-311-x86_64-linux-gnu.so" in names
    assert "tfjs_export/converter/runtime/js/predict.js" in names
    assert not [n for n in names if "/tests/" in n or n.startswith(("converter/", "codec/"))]


def test_sdist_holds_the_sources_and_builds_the_same_wheel(pip_wheel, tmp_path):
    """The sdist carries what setup.py needs (no tests) and builds the wheel `pip wheel .` builds."""
    src = _copy_sources(tmp_path / "src")
    _run([sys.executable, "-c", "import sys; from setuptools import build_meta; build_meta.build_sdist(sys.argv[1])",
          tmp_path / "dist"], cwd=src)
    (sdist,) = (tmp_path / "dist").glob("tfjs[-_]export-*.tar.gz")
    with tarfile.open(sdist) as tar:
        names = {name.split("/", 1)[1] for name in tar.getnames() if "/" in name}
    assert {"pyproject.toml", "setup.py", "README.md", "codec/_codec.pyx", "converter/runtime/js/predict.js",
            "converter/runtime/light/package-lock.json", "converter/graph/tfjs_ops.txt"} <= names
    assert not [n for n in names if "/tests/" in n or n.startswith("build/") or n.endswith(".so")]
    # --no-cache-dir: pip would cache the wheel it builds from an sdist in ~/.cache/pip, which
    # the Bazel sandbox keeps read-only (a new sdist, e.g. with a new source file, then fails).
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check", "--no-build-isolation",
          "--no-cache-dir", "--no-deps", "--no-index", "-w", tmp_path / "wheel", sdist])
    (wheel,) = (tmp_path / "wheel").glob("tfjs_export-*.whl")
    with zipfile.ZipFile(wheel) as ours, zipfile.ZipFile(pip_wheel) as theirs:
        assert sorted(ours.namelist()) == sorted(theirs.namelist())


def test_fresh_venv_has_no_tensorflow_and_a_light_start(venv):
    python = venv / "bin" / "python"
    proc = subprocess.run([python, "-c", "import tensorflow"], capture_output=True, text=True, env=_env())
    assert proc.returncode != 0 and "No module named 'tensorflow'" in proc.stderr
    # Importing the package and parsing `convert --help` loads neither Keras, TensorFlow nor h5py.
    code = ("import sys\nfrom tfjs_export.converter import cli\n"
            "try:\n    cli.main(['convert', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('tensorflow', 'keras', 'h5py', 'jax') if m in sys.modules))")
    assert _run([python, "-c", code], env=_env()).stdout.strip().endswith("[]")
    assert "usage: tfjs-export" in _run([venv / "bin" / "tfjs-export", "--help"], env=_env()).stdout


@pytest.mark.parametrize("name", VERIFIED)
@pytest.mark.parametrize("quantize", [[], ["--quantize_uint8"]], ids=["float32", "uint8"])
def test_convert_and_verify_on_the_light_runtime(venv, zoo_files, tmp_path, name, quantize):
    """The installed command converts to Layers and `--verify` runs it on TF.js + WASM."""
    out = tmp_path / "web"
    proc = _run([venv / "bin" / "tfjs-export", "convert", zoo_files[name], out, *quantize, "--verify",
                 "--node_modules", parity.light_node_modules()], env=_env())
    assert "parity in tfjs 4.22.0 (backend wasm)" in proc.stdout, proc.stdout
    assert "parity OK" in proc.stdout
    assert json.loads((out / "model.json").read_text())["format"] == "layers-model"


def test_verify_finds_the_light_runtime_in_the_environment(venv, zoo_files, tmp_path):
    """TFJS_EXPORT_NODE_MODULES names the runtime; a directory without one is a one-line error."""
    out = tmp_path / "web"
    _run([venv / "bin" / "tfjs-export", "convert", zoo_files["cnn_functional"], out, "--quiet"], env=_env())
    proc = _run([venv / "bin" / "tfjs-export", "verify", zoo_files["cnn_functional"], out],
                env=_env(TFJS_EXPORT_NODE_MODULES=str(parity.light_node_modules())))
    assert "backend wasm" in proc.stdout and "parity OK" in proc.stdout
    bad = subprocess.run([venv / "bin" / "tfjs-export", "verify", zoo_files["cnn_functional"], out],
                         capture_output=True, text=True, env=_env(TFJS_EXPORT_NODE_MODULES=str(tmp_path)))
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    assert bad.stderr.strip().count("\n") == 0 and "TFJS_EXPORT_NODE_MODULES" in bad.stderr, bad.stderr


def test_keras_numpy_backend_reproduces_tensorflow_on_the_zoo(venv, zoo_files):
    """What the [verify] install relies on: Keras 3's NumPy backend (the default there) predicts
    what its TensorFlow backend predicts, within float32 noise, on every family checked."""
    code = ("import sys, numpy as np, keras\nassert keras.backend.backend() == 'numpy'\n"
            "for path in sys.argv[1:]:\n"
            "    model = keras.saving.load_model(path, compile=False)\n"
            "    data = np.load(path[:-len('.keras')] + '.npz')\n"
            "    xs = [data[f'x{i}'] for i in range(len(model.inputs))]\n"
            "    ys = model.predict(xs[0] if len(xs) == 1 else xs, verbose=0)\n"
            "    ys = ys if isinstance(ys, list) else [ys]\n"
            "    np.savez(path[:-len('.keras')] + '.numpy.npz', *[np.asarray(y) for y in ys])\n")
    paths = [zoo_files[name] for name in NUMPY_CHECKED]
    _run([venv / "bin" / "python", "-c", code, *paths], env=_env(KERAS_BACKEND="numpy"))
    for path in paths:
        expected = np.load(path.with_suffix(".npz"))
        got = np.load(str(path.with_suffix("")) + ".numpy.npz")
        for i in range(len(got.files)):
            y, want = got[f"arr_{i}"], expected[f"y{i}"]
            bound = 1e-5 + 1e-5 * float(np.max(np.abs(want)))
            assert np.max(np.abs(y - want)) <= bound, (path.name, i, float(np.max(np.abs(y - want))), bound)
