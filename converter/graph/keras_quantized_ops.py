"""Graph pass: the int8 arithmetic of models quantised by Keras (`model.quantize("int8" | "int4")`),
in ops TF.js runs.

Keras' quantised Dense / EinsumDense call rounds its inputs to int8 (Round, clip, Cast to int8),
multiplies int8 by the int8 kernel with `BatchMatMulV3` (int32 result), casts back to float and
divides by the scales; a quantised Embedding gathers from an int8 table. TF.js has neither
`BatchMatMulV3` nor int8 tensors (it reads DT_INT8 as int32). So, keeping every value:
- an int8 Const becomes a float32 Const (integers in [-128, 127]: exact);
- every other int8 dtype attribute becomes float32 (GatherV2's params, ...);
- a Cast to int8 becomes a Cast to int32 then one to float32: the truncation stays;
- `BatchMatMulV3` (int8 x int8 -> int32) becomes `BatchMatMulV2` on float32 followed by a Cast
  to int32 for its consumers. Products of int8 values summed in float32 are exact integers while
  |sum| < 2**24, which holds for any depth up to 1040 (127 * 127 * 1040 < 2**24) and for deeper
  sums unless nearly every product is extreme.
Placeholders keep their dtype (a model fed int8 by the user is left alone).
And a `GatherV2` with a negative constant axis (Keras' int4 Embedding gathers its group scales
along -1) gets the axis counted from the front: TF.js 4.22's gather fails on a negative axis
(`GatherV2: the index value 0 is not in [0, NaN]`). The rank comes from TensorFlow's shape
inference, run only when such a gather exists.
"""

import numpy as np

from tfjs_export.converter.graph.nodes import GraphIndex, make_const, unique_name
from tfjs_export.converter.graph.tensors import to_numpy
from tfjs_export.converter.graph.tf_modules import tensorflow_protos

DT_FLOAT, DT_INT32, DT_INT8 = 1, 3, 6
_MATMUL_ATTRS = ("Ta", "Tb", "Tout")


def rewrite_keras_quantized_ops(graph_def):
    """Rewrite the int8 arithmetic and negative gather axes of graph_def (top level) in place;
    return the rewrites made."""
    return _integer_matmuls(graph_def) + _gather_axes(graph_def)


def _integer_matmuls(graph_def):
    if not any(_mentions_int8(node) for node in graph_def.node):
        return 0
    index = GraphIndex(graph_def)
    rewrites, added = 0, []
    for position, node in enumerate(list(graph_def.node)):
        if node.op == "Placeholder" or not _mentions_int8(node):
            continue
        rewrites += 1
        if node.op == "Const":
            array = to_numpy(node.attr["value"].tensor).astype(np.float32)
            node.CopyFrom(make_const(node.name, array))
        elif node.op == "Cast" and node.attr["DstT"].type == DT_INT8:
            if node.attr["SrcT"].type == DT_INT8:
                node.attr["SrcT"].type = DT_FLOAT
            node.attr["DstT"].type = DT_INT32
            added.append(_cast_after(index, node, DT_INT32, DT_FLOAT))
        elif node.op == "BatchMatMulV3" and node.attr["Ta"].type == DT_INT8 == node.attr["Tb"].type:
            node.op = "BatchMatMulV2"
            for attr in _MATMUL_ATTRS:
                del node.attr[attr]
            node.attr["T"].type = DT_FLOAT
            added.append(_cast_after(index, node, DT_FLOAT, DT_INT32))
        else:
            for value in node.attr.values():
                if value.WhichOneof("value") == "type" and value.type == DT_INT8:
                    value.type = DT_FLOAT
                elif value.WhichOneof("value") == "list":  # IdentityN's T, ...
                    value.list.type[:] = [DT_FLOAT if t == DT_INT8 else t for t in value.list.type]
    graph_def.node.extend(added)
    return rewrites


def _mentions_int8(node):
    return any((value.WhichOneof("value") == "type" and value.type == DT_INT8)
               or (value.WhichOneof("value") == "list" and DT_INT8 in value.list.type) for value in node.attr.values())


def _cast_after(index, node, src, dst):
    """A new Cast(src -> dst) of `node`'s output 0 that takes over all its data consumers."""
    name = unique_name(index, f"{node.name}/as_{'int32' if dst == DT_INT32 else 'float'}")
    cast = tensorflow_protos().node_def_pb2.NodeDef(name=name, op="Cast", input=[node.name])
    cast.attr["SrcT"].type = src
    cast.attr["DstT"].type = dst
    cast.attr["Truncate"].b = False
    for consumer_name in index.consumers.get(node.name, ()):
        consumer = index.by_name[consumer_name]
        for i, ref in enumerate(consumer.input):
            if ref in (node.name, f"{node.name}:0"):
                consumer.input[i] = cast.name
    return cast


def _gather_axes(graph_def):
    index = GraphIndex(graph_def)
    negative = {}
    for node in graph_def.node:
        if node.op == "GatherV2" and len(node.input) == 3:
            axis = index.const_value(node.input[2])
            if axis is not None and axis.ndim == 0 and int(axis) < 0:
                negative[node.name] = int(axis)
    if not negative:
        return 0
    ranks = _params_ranks(graph_def, negative)
    rewrites = 0
    for name, axis in negative.items():
        rank = ranks.get(name)
        if rank is None or not -rank <= axis < 0:
            continue  # unknown rank: left as it is (TF.js then reports the gather)
        node = index.by_name[name]
        const = make_const(unique_name(index, f"{name}/axis_from_front"), np.asarray(axis + rank, np.int32))
        graph_def.node.append(const)
        node.input[2] = const.name
        rewrites += 1
    return rewrites


def _params_ranks(graph_def, names):
    """{gather name: the static rank of its params} from TensorFlow's shape inference."""
    import tensorflow as tf
    ranks = {}
    with tf.Graph().as_default() as graph:
        tf.graph_util.import_graph_def(graph_def, name="")
        for name in names:
            rank = graph.get_operation_by_name(name).inputs[0].shape.rank
            if rank is not None:
                ranks[name] = rank
    return ranks
