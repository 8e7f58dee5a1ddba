"""Loads modules of the official `tensorflowjs` package as test references.

`import tensorflowjs` runs its package __init__, which imports the converters,
TensorFlow, TF-DF (and, through TF-DF, IPython, absent from our venv). The
reference modules need none of that: register a bare package object whose
__path__ is the installed directory, so `tensorflowjs.quantization`,
`.read_weights` and `.write_weights` import on their own (the last one still
imports TensorFlow, for tf.io.gfile).
"""
import importlib
import importlib.util
import os
import sys
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def load(name):
    if "tensorflowjs" not in sys.modules:
        spec = importlib.util.find_spec("tensorflowjs")
        if spec is None:
            raise ImportError("the reference package tensorflowjs is not installed")
        pkg = types.ModuleType("tensorflowjs")
        pkg.__path__ = list(spec.submodule_search_locations)
        sys.modules["tensorflowjs"] = pkg
    return importlib.import_module("tensorflowjs." + name)
