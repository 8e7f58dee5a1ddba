"""Grouped convolutions (`Conv2D(groups=g)`: ConvNeXt's depthwise 7x7, RegNet's group convs).

TensorFlow's CPU Conv2D cannot group, so Keras 3 and tf_keras compute a grouped convolution in a
`tf.function(jit_compile=True)`: a function call marked `_XlaMustCompile` / `_noinline` that
grappler's inliner leaves alone, and TF.js has no function calls. TF.js's Conv2D cannot group
either (the input's depth must equal the filter's). Two steps:

- `mark_xla_functions`, before freezing inlines the functions: drops the markers that keep XLA
  functions out of line, and records on each Conv2D of such a function the input depth its
  argument's recorded shape gives (`_output_shapes`, which Keras' tracing writes), since the
  depth is not known once inlined without a shape inference;
- `split_grouped_convs`, a pipeline pass: a marked Conv2D whose filter is shallower than its
  input becomes a DepthwiseConv2dNative when each group has one input channel (depthwise, as
  ConvNeXt's), else Split -> one Conv2D per group -> ConcatV2.
"""

import numpy as np

from tfjs_export.converter.graph.nodes import GraphIndex, make_const, unique_name
from tfjs_export.converter.graph.tf_modules import tensorflow_protos

IN_DEPTH_ATTR = "_tfjs_export_in_depth"
_XLA_ATTRS = ("_XlaMustCompile", "_noinline")
_CONV_ATTRS = ("T", "strides", "padding", "explicit_paddings", "data_format", "dilations")


def mark_xla_functions(graph_def):
    """In place: make every XLA-compiled function inlinable and mark its Conv2D nodes with their
    input depth; return how many Conv2D nodes were marked."""
    marked = 0
    for node in list(graph_def.node) + [n for f in graph_def.library.function for n in f.node_def]:
        for key in _XLA_ATTRS:
            if key in node.attr:
                del node.attr[key]
    for function in graph_def.library.function:
        if not any(key in function.attr for key in _XLA_ATTRS):
            continue
        for key in _XLA_ATTRS:
            if key in function.attr:
                del function.attr[key]
        depths = _argument_depths(function)
        nodes = {n.name: n for n in function.node_def}
        for node in function.node_def:
            if node.op != "Conv2D" or _data_format(node) != b"NHWC":
                continue
            depth = depths.get(_argument_behind(node.input[0], nodes))
            if depth:
                node.attr[IN_DEPTH_ATTR].i = depth
                marked += 1
    return marked


def _argument_depths(function):
    """{argument name: last dimension} from the arguments' recorded shapes (a traced function's
    `_output_shapes` per argument; a SavedModel's function keeps them as `_input_shapes`)."""
    listed = function.attr["_input_shapes"].list.shape if "_input_shapes" in function.attr else []
    depths = {}
    for i, arg in enumerate(function.signature.input_arg):
        shapes = function.arg_attr[i].attr["_output_shapes"].list.shape if (
            i in function.arg_attr and "_output_shapes" in function.arg_attr[i].attr) else listed[i:i + 1]
        if shapes and shapes[0].dim and shapes[0].dim[-1].size > 0:
            depths[arg.name] = shapes[0].dim[-1].size
    return depths


def _argument_behind(ref, nodes):
    """The function argument a data input reads, through Identity nodes (or None)."""
    name = ref.split(":")[0]
    while name in nodes and nodes[name].op == "Identity":
        name = nodes[name].input[0].split(":")[0]
    return None if name in nodes else name


def _data_format(node):
    # `in` first: reading a missing key of a protobuf map adds an empty value (SavedModels drop
    # default-valued attributes), which grappler then refuses
    return node.attr["data_format"].s if "data_format" in node.attr else b"NHWC"


def split_grouped_convs(graph_def):
    """Rewrite, in place, each marked grouped Conv2D (see the module docstring) and drop the
    marks; return how many were rewritten."""
    index = GraphIndex(graph_def)
    rewritten, added = 0, []
    for node in list(graph_def.node):
        if IN_DEPTH_ATTR not in node.attr:
            continue
        depth = node.attr[IN_DEPTH_ATTR].i
        del node.attr[IN_DEPTH_ATTR]
        weights = index.const_value(node.input[1])
        if weights is None or weights.ndim != 4 or weights.shape[2] in (0, depth) or depth % weights.shape[2]:
            continue
        groups = depth // weights.shape[2]
        added += (_to_depthwise if weights.shape[2] == 1 else _to_split)(index, node, weights, groups)
        rewritten += 1
    graph_def.node.extend(added)
    return rewritten


def _to_depthwise(index, node, weights, groups):
    """One input channel per group: output channel g*m + j reads input channel g with filter
    [..., 0, g*m + j], i.e. a depthwise filter [h, w, g, m]."""
    h, w, _, out = weights.shape
    kernel = make_const(unique_name(index, f"{node.name}/depthwise_kernel"),
                        np.ascontiguousarray(weights.reshape(h, w, groups, out // groups)))
    attrs = {k: node.attr[k] for k in _CONV_ATTRS if k in node.attr}
    inputs = [node.input[0], kernel.name] + [r for r in node.input if r.startswith("^")]
    node.op = "DepthwiseConv2dNative"
    node.ClearField("attr")
    for key, value in attrs.items():
        node.attr[key].CopyFrom(value)
    del node.input[:]
    node.input.extend(inputs)
    return [kernel]


def _to_split(index, node, weights, groups):
    """Split the input's channels into `groups`, one Conv2D per group on its slice of the filter,
    ConcatV2 of the outputs in group order, under the Conv2D's name."""
    width = weights.shape[3] // groups
    axis = make_const(unique_name(index, f"{node.name}/group_axis"), np.array(3, np.int32))
    node_def = tensorflow_protos().node_def_pb2.NodeDef
    split = node_def(name=unique_name(index, f"{node.name}/groups"), op="Split",
                     input=[axis.name, node.input[0]])
    split.attr["T"].CopyFrom(node.attr["T"])
    split.attr["num_split"].i = groups
    added = [axis, split]
    convs = []
    for g in range(groups):
        kernel = make_const(unique_name(index, f"{node.name}/group_{g}_kernel"),
                            np.ascontiguousarray(weights[..., g * width:(g + 1) * width]))
        conv = node_def(name=unique_name(index, f"{node.name}/group_{g}"), op="Conv2D",
                        input=[f"{split.name}:{g}" if g else split.name, kernel.name])
        for key in node.attr:
            conv.attr[key].CopyFrom(node.attr[key])
        added += [kernel, conv]
        convs.append(conv.name)
    controls = [r for r in node.input if r.startswith("^")]
    t = node.attr["T"].type
    node.op = "ConcatV2"  # in place, under the Conv2D's name: its readers stay as they are
    node.ClearField("attr")
    node.attr["T"].type = t
    node.attr["N"].i = groups
    node.attr["Tidx"].type = 3  # int32
    del node.input[:]
    node.input.extend(convs + [axis.name] + controls)
    return added
