"""Step 1 for a frozen GraphDef (`--input_format tf_frozen_model`, a TF1 `.pb` file): read it into a
FrozenGraph, the form freezing produces for SavedModels, so the rewrite passes take it as they are.

A frozen graph has no signature: its inputs are its Placeholders (keyed by node name, in graph
order) and its outputs the nodes `--output_node_names` names (`name` or `name:INDEX`), as the
official converter does. Dtypes and shapes come from TensorFlow importing the graph. A graph that
still holds variables was not frozen and is refused.
"""

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.graph.freeze import FrozenGraph, TensorInfo

_VARIABLE_OPS = ("VariableV2", "Variable", "VarHandleOp")
# Placeholders that only select a mode and have defaults (keras_learning_phase): not inputs.
_DEFAULTED = "PlaceholderWithDefault"


def parse_output_node_names(value):
    """["name:0", ...] from "a,b:1" (the official --output_node_names form) or a sequence."""
    names = value.split(",") if isinstance(value, str) else list(value or ())
    names = [n.strip() for n in names if n.strip()]
    return [n if ":" in n else f"{n}:0" for n in names]


def read_frozen_model(path, output_node_names):
    """The FrozenGraph of the GraphDef file `path` with the given outputs."""
    from tfjs_export.converter.graph import import_tensorflow_quietly

    outputs = parse_output_node_names(output_node_names)
    if not outputs:  # said before TensorFlow's import (seconds)
        raise ConversionError("a frozen graph has no signature: name its outputs with "
                              "--output_node_names NAME[,NAME...]", path)
    import_tensorflow_quietly()
    import tensorflow as tf
    graph_def = tf.compat.v1.GraphDef()
    try:
        with open(path, "rb") as f:
            graph_def.ParseFromString(f.read())
    except OSError as err:
        raise ConversionError(f"cannot read: {err.strerror}", path) from None
    except Exception:  # protobuf's DecodeError and friends
        raise ConversionError("is not a frozen TensorFlow GraphDef (the protobuf does not parse)", path) from None
    if not graph_def.node:
        raise ConversionError("is a GraphDef without nodes, not a frozen model", path)
    variables = [n.name for n in graph_def.node if n.op in _VARIABLE_OPS]
    if variables:
        raise ConversionError(f"the graph still holds variables ({', '.join(variables[:3])}...): freeze it "
                              "first (tf.compat.v1.graph_util.convert_variables_to_constants), or convert "
                              "the SavedModel", path)
    graph = tf.Graph()
    try:
        with graph.as_default():
            tf.graph_util.import_graph_def(graph_def, name="")
    except Exception as err:  # an op TF does not know, a dangling input, ...
        raise ConversionError(f"TensorFlow cannot import the graph: {' '.join(str(err).split())[:200]}", path) from None
    known = {n.name for n in graph_def.node}
    missing = [n for n in outputs if n.split(":")[0] not in known]
    if missing:
        raise ConversionError(f"--output_node_names: no node {missing[0].split(':')[0]!r} in the graph", path)
    inputs = [_info(graph, f"{n.name}:0", n.name) for n in graph_def.node if n.op == "Placeholder"]
    try:
        output_infos = [_info(graph, name, name.split(":")[0] if name.endswith(":0") else name) for name in outputs]
    except (KeyError, ValueError):
        raise ConversionError(f"--output_node_names: an output index is out of range ({', '.join(outputs)})",
                              path) from None
    return FrozenGraph(graph_def, inputs, output_infos)


def _info(graph, tensor_name, key):
    tensor = graph.get_tensor_by_name(tensor_name)
    shape = None if tensor.shape.rank is None else [d for d in tensor.shape.as_list()]
    return TensorInfo(key, tensor_name, tensor.dtype.as_datatype_enum, shape)
