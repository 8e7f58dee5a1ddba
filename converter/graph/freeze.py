"""Step 2: freeze. Captured variables become Const nodes, functions are inlined and control flow
v2 (While/If) is lowered to Switch/Merge/Enter/Exit, which TF.js executes.

`freeze_captures` does it on a GraphDef whose captured variables are resource placeholders, given
their values: grappler's function inliner (no weights in the graph yet), the variable updates no
output can see are dropped (state_updates.py: a graph model holds no state), then each placeholder
becomes a Const and the handle's path is retyped (ReadVariableOp -> Identity, ResourceGather ->
GatherV2, VariableShape -> Shape; Identity/Enter/Switch/Merge/... take the value's dtype).
saved_model.py feeds it from the checkpoint; `freeze` feeds it from a live TF function (Keras
models), whose variables it reads. Anything else captured (hash tables, ...) raises
NotFreezable, and `freeze` then uses TensorFlow's convert_variables_to_constants_v2, which
costs ~6 s and ~1 GB more on ResNet50 (it rebuilds and re-imports the graph with its weights).

Also records, for each signature key, the graph tensor it names with its dtype and shape: the
`signature` of model.json.
"""

import dataclasses

import numpy as np

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.graph.grappler import inline_functions
from tfjs_export.converter.graph.grouped_convs import mark_xla_functions
from tfjs_export.converter.graph.nodes import GraphIndex, input_name, make_const, unique_name
from tfjs_export.converter.graph.state_updates import drop_unobserved_updates
from tfjs_export.converter.graph.tensors import DT_RESOURCE, dtype_enum, to_tensor_proto
from tfjs_export.converter.tf_logs import quiet_tensorflow

# Ops that only pass a resource handle on: their type attribute becomes the variable's dtype.
_PASS_THROUGH = {"Identity": "T", "Enter": "T", "Exit": "T", "Switch": "T", "Merge": "T",
                 "NextIteration": "T", "RefIdentity": "T"}


class NotFreezable(Exception):
    """Our freezing does not handle this graph (the reason is the message)."""


@dataclasses.dataclass
class TensorInfo:
    """One signature entry: key -> graph tensor name ("x:0"), TF dtype enum, shape (None = unknown dim)."""

    key: str
    name: str
    dtype: int
    shape: list  # list of int|None, or None for unknown rank


@dataclasses.dataclass
class FrozenGraph:
    graph_def: object  # tf.compat.v1.GraphDef
    inputs: list  # TensorInfo, signature order
    outputs: list
    user_metadata: dict = None  # model.json userDefinedMetadata (a Keras model's dict/nested structure)


def freeze(loaded):
    """LoadedFunction -> FrozenGraph."""
    try:
        return _freeze_live_function(loaded)
    except NotFreezable:
        return _freeze_with_tensorflow(loaded)


def _freeze_live_function(loaded):
    """Our freezing, for a concrete function whose captures are variables (Keras models)."""
    import tensorflow as tf

    function = loaded.function
    graph = function.graph
    by_handle = {id(v.handle): v for v in graph.variables}
    values = {}
    for external, internal in graph.captures:
        variable = by_handle.get(id(external))
        if variable is not None:
            values[internal.op.name] = variable.numpy()
        elif external.dtype != tf.resource:
            values[internal.op.name] = external.numpy()  # a constant captured by value
        else:
            raise NotFreezable(f"captured resource {internal.op.name} is not a variable")
    inputs = [t for t in function.inputs if t.op.name not in values]
    _check_inputs(inputs, loaded)
    graph_def = freeze_captures(graph.as_graph_def(), values, [t.name for t in inputs],
                                [t.name for t in function.outputs])
    return _frozen(graph_def, inputs, function.outputs, loaded)


def _freeze_with_tensorflow(loaded):
    """TensorFlow's freezing: slower and heavier, but it knows every kind of capture."""
    from tensorflow.python.framework import convert_to_constants

    function = loaded.function
    try:
        # Quiet: TF logs "Issue encountered when serializing variables" (TF1 models) and
        # grappler's "Starting new session" here; a failure still raises.
        with quiet_tensorflow():
            frozen = convert_to_constants.convert_variables_to_constants_v2(
                function, lower_control_flow=True, aggressive_inlining=True)
    except Exception as err:
        raise ConversionError(f"cannot freeze the model's variables into constants: "
                              f"{str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
    inputs = [t for t in frozen.inputs if t.dtype.name != "resource"]
    _check_inputs(inputs, loaded)
    return _frozen(frozen.graph.as_graph_def(), inputs, frozen.outputs, loaded)


def _check_inputs(inputs, loaded):
    if len(inputs) != len(loaded.input_keys):
        raise ConversionError(f"the function has {len(inputs)} inputs but {len(loaded.input_keys)} "
                              "signature keys")


def _frozen(graph_def, inputs, outputs, loaded):
    """FrozenGraph with the signature: the loaded function's keys, the graph's tensors."""
    return FrozenGraph(graph_def, [_info(k, t) for k, t in zip(loaded.input_keys, inputs)],
                       [_info(k, t) for k, t in zip(loaded.output_keys, outputs)], loaded.user_metadata)


def _info(key, tensor):
    shape = None if tensor.shape.rank is None else [d for d in tensor.shape.as_list()]
    return TensorInfo(key, tensor.name, tensor.dtype.as_datatype_enum, shape)


def freeze_captures(graph_def, values, inputs, outputs):
    """Inline graph_def's functions, then turn each capture placeholder named in `values`
    ({node name: numpy value}) into a Const; return the new GraphDef. `inputs`/`outputs`:
    tensor names grappler must keep."""
    for function in graph_def.library.function:
        # A function that "implements" an API (Keras' LSTM/GRU: CuDNN or generic) is chosen at
        # run time by grappler and never inlined; drop the marker so the generic body is used.
        if "api_implements" in function.attr:
            del function.attr["api_implements"]
    mark_xla_functions(graph_def)  # grouped convolutions' jit_compile functions: inlined too
    try:
        graph_def = inline_functions(graph_def, list(values) + list(inputs), outputs)
    except ValueError as err:  # grappler could not import the graph
        raise NotFreezable(f"grappler's inliner refused the graph: {err}") from None
    variables = [n.name for n in graph_def.node if n.name in values and n.attr["dtype"].type == DT_RESOURCE]
    drop_unobserved_updates(graph_def, variables, outputs)
    index = GraphIndex(graph_def)
    for name, array in values.items():
        node = index.by_name.get(name)
        if node is None:  # the inliner pruned an unused capture
            continue
        resource = node.attr["dtype"].type == DT_RESOURCE
        dtype = dtype_enum(array.dtype)
        node.op = "Const"
        node.ClearField("attr")
        node.attr["dtype"].type = dtype
        node.attr["value"].tensor.CopyFrom(to_tensor_proto(array))
        if resource:
            _retype_consumers(index, name, dtype)
    return graph_def


def _retype_consumers(index, start, dtype):
    seen, stack = {start}, [start]
    while stack:
        for consumer_name in index.consumers.get(stack.pop(), ()):
            node = index.by_name[consumer_name]
            if consumer_name in seen or not any(input_name(r) in seen and not r.startswith("^")
                                                for r in node.input):
                continue
            if node.op == "ReadVariableOp":
                node.op = "Identity"
                del node.attr["dtype"]
                node.attr["T"].type = dtype
                continue  # a value from here on
            if node.op == "ResourceGather":
                _to_gather(index, node, dtype)
                continue
            if node.op == "VariableShape":
                node.op = "Shape"
                continue
            attr = _PASS_THROUGH.get(node.op)
            if attr is None or node.attr[attr].type != DT_RESOURCE:
                raise NotFreezable(f"variable handle reaches {node.op} node {node.name}")
            node.attr[attr].type = dtype
            seen.add(consumer_name)
            stack.append(consumer_name)


def _to_gather(index, node, dtype):
    """ResourceGather(handle, indices) -> GatherV2(value, indices, axis=0)."""
    if node.attr["batch_dims"].i:
        raise NotFreezable(f"ResourceGather {node.name} with batch_dims")
    axis = make_const(unique_name(index, node.name + "/axis"), np.array(0, np.int32))
    index.graph_def.node.append(axis)
    node.op = "GatherV2"
    node.input.insert(2, axis.name)
    indices = node.attr["Tindices"].type
    node.ClearField("attr")
    node.attr["Tparams"].type = dtype
    node.attr["Tindices"].type = indices
    node.attr["Taxis"].type = dtype_enum(np.int32)
    node.attr["batch_dims"].i = 0
