"""TensorFlow's protobuf modules and grappler, without `import tensorflow`.

`import tensorflow` costs ~5 s and ~550 MB here: it loads every TF Python API (and Keras, which
may load JAX). The SavedModel path needs only protobuf message classes (pure Python) and grappler
(two small pybind modules over TF's C++ library). Those modules live inside the `tensorflow`
package, and Python runs a package's `__init__` before any submodule; so for the import we put an
empty placeholder package object in `sys.modules["tensorflow"]` whose `__path__` is the real
package directory, import just the submodules we need, and remove the placeholder again. A later
real `import tensorflow` (the Keras path, `verify`) then runs normally and reuses the submodules
already imported; it was checked to work in the same process.
"""

import contextlib
import functools
import importlib
import importlib.util
import sys
import types

from tfjs_export.converter.tf_logs import quiet_tensorflow

_PROTO_MODULES = {
    "attr_value_pb2": "tensorflow.core.framework.attr_value_pb2",
    "function_pb2": "tensorflow.core.framework.function_pb2",
    "graph_pb2": "tensorflow.core.framework.graph_pb2",
    "node_def_pb2": "tensorflow.core.framework.node_def_pb2",
    "tensor_pb2": "tensorflow.core.framework.tensor_pb2",
    "tensor_shape_pb2": "tensorflow.core.framework.tensor_shape_pb2",
    "types_pb2": "tensorflow.core.framework.types_pb2",
    "config_pb2": "tensorflow.core.protobuf.config_pb2",
    "device_properties_pb2": "tensorflow.core.protobuf.device_properties_pb2",
    "meta_graph_pb2": "tensorflow.core.protobuf.meta_graph_pb2",
    "rewriter_config_pb2": "tensorflow.core.protobuf.rewriter_config_pb2",
    "saved_model_pb2": "tensorflow.core.protobuf.saved_model_pb2",
    "saved_object_graph_pb2": "tensorflow.core.protobuf.saved_object_graph_pb2",
    "tensor_bundle_pb2": "tensorflow.core.protobuf.tensor_bundle_pb2",
    "trackable_object_graph_pb2": "tensorflow.core.protobuf.trackable_object_graph_pb2",
}
_GRAPPLER_MODULES = {
    "tf_optimizer": "tensorflow.python.grappler.tf_optimizer",
    "cluster": "tensorflow.python.grappler.cluster",
    # maps a C++ error to a Python exception: without it an error in grappler aborts the process
    "errors_impl": "tensorflow.python.framework.errors_impl",
}


@contextlib.contextmanager
def _without_tensorflow_init():
    """Let `tensorflow.x.y` be imported without running tensorflow/__init__.py."""
    if "tensorflow" in sys.modules:  # the real package (or a caller already holds a stub)
        yield
        return
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("TensorFlow is not installed: the Graph path needs it")
    placeholder = types.ModuleType("tensorflow")
    placeholder.__path__ = list(spec.submodule_search_locations)
    sys.modules["tensorflow"] = placeholder
    try:
        yield
    finally:
        if sys.modules.get("tensorflow") is placeholder:
            del sys.modules["tensorflow"]


def _load(modules, quiet):
    with _without_tensorflow_init(), (quiet_tensorflow() if quiet else contextlib.nullcontext()):
        return types.SimpleNamespace(**{short: importlib.import_module(full) for short, full in modules.items()})


@functools.lru_cache(maxsize=None)
def tensorflow_protos():
    """A namespace of TF's protobuf modules (graph_pb2, saved_model_pb2, ...): pure Python."""
    return _load(_PROTO_MODULES, quiet=False)


@functools.lru_cache(maxsize=None)
def grappler_modules():
    """A namespace with TF's `tf_optimizer` and `cluster` (grappler) modules."""
    tensorflow_protos()
    return _load(_GRAPPLER_MODULES, quiet=True)


@functools.lru_cache(maxsize=None)
def op_def(op_name):
    """TensorFlow's registered OpDef of an op (its input/output signature)."""
    grappler_modules()  # loads TensorFlow's C++ library, which holds the op registry
    registry = _load({"op_def_registry": "tensorflow.python.framework.op_def_registry"}, quiet=True).op_def_registry
    found = registry.get(op_name)
    if found is None:
        raise ValueError(f"TensorFlow has no op {op_name!r}")
    return found
