"""TF.js rewrites around fused kernels.

- `fuse_depthwise`: DepthwiseConv2dNative + BiasAdd [+ Relu/Relu6/Elu/...] ->
  `FusedDepthwiseConv2dNative` (grappler's remap pass does not fuse depthwise convolutions; TF.js
  has the fused kernel).
- `unfuse_unsupported`: grappler may fuse more than TF.js runs (`_FusedConv2D` with a residual
  Add, a Tanh or Gelu activation, a FusedBatchNorm). TF.js 4.22 runs only `[BiasAdd]`,
  `[BiasAdd, act]` or `[act]` with act one of TF_JS_ACTIVATIONS; anything else is split back into
  the plain op followed by its BiasAdd / Add / activation nodes (oneDNN's `_FusedHardSwish` as
  the elementwise ops it stands for).
"""

import numpy as np

from tfjs_export.converter.graph.nodes import GraphIndex, input_name, make_const, remove_nodes
from tfjs_export.converter.graph.tensors import NUMPY_DTYPES
from tfjs_export.converter.graph.tf_modules import tensorflow_protos

TF_JS_ACTIVATIONS = ("Relu", "Relu6", "Elu", "LeakyRelu", "Prelu", "Sigmoid")
FUSED_OPS = {"_FusedConv2D": "Conv2D", "_FusedMatMul": "MatMul",
             "FusedDepthwiseConv2dNative": "DepthwiseConv2dNative"}
_FUSED_ONLY_ATTRS = ("fused_ops", "num_args", "epsilon", "leakyrelu_alpha", "num_host_args")


def runs_in_tfjs(fused_ops):
    """True if TF.js 4.22 executes a fused kernel with this fused_ops list."""
    ops = [op.decode() if isinstance(op, bytes) else op for op in fused_ops]
    if ops and ops[0] == "BiasAdd":
        ops = ops[1:]
    return len(ops) <= 1 and all(op in TF_JS_ACTIVATIONS for op in ops)


def fuse_depthwise(graph_def):
    """Fuse depthwise conv + BiasAdd (+ activation) in place; return the number of fusions."""
    index = GraphIndex(graph_def)
    removed, fused = set(), 0
    for bias in list(graph_def.node):
        if bias.op != "BiasAdd" or bias.name in removed:
            continue
        conv = index.by_name.get(input_name(bias.input[0]))
        if (conv is None or conv.op != "DepthwiseConv2dNative" or not index.single_consumer(conv.name)
                or index.const_value(bias.input[1]) is None):
            continue
        last, ops = bias, [b"BiasAdd"]
        consumers = index.consumers.get(bias.name, [])
        if len(consumers) == 1:
            act = index.by_name[consumers[0]]
            if act.op in ("Relu", "Relu6", "Elu", "Sigmoid") and len(act.input) == 1:
                last, ops = act, ops + [act.op.encode()]
        # The last node of the chain becomes the fused node (its consumers keep their input).
        attrs = {k: conv.attr[k] for k in conv.attr}
        inputs = [conv.input[0], conv.input[1], bias.input[1]]
        for node in {conv.name, bias.name, last.name} - {last.name}:
            removed.add(node)
        last.op = "FusedDepthwiseConv2dNative"
        last.ClearField("attr")
        for k, v in attrs.items():
            last.attr[k].CopyFrom(v)
        last.attr["fused_ops"].list.s.extend(ops)
        last.attr["num_args"].i = 1
        del last.input[:]
        last.input.extend(inputs)
        fused += 1
    remove_nodes(graph_def, removed)
    return fused


def unfuse_unsupported(graph_def, always=()):
    """Split fused nodes TF.js cannot run into plain ops, in place; return how many were split.
    Nodes whose op is in `always` are split too (TensorFlow itself cannot run TF.js' depthwise
    fused op: tests split it to run our graphs in TF)."""
    node_def_pb2 = tensorflow_protos().node_def_pb2

    split = 0
    new_nodes = []
    for node in graph_def.node:
        base = FUSED_OPS.get(node.op)
        if base is None or (node.op not in always and runs_in_tfjs(node.attr["fused_ops"].list.s)):
            continue
        ops = [op.decode() for op in node.attr["fused_ops"].list.s]
        args = list(node.input[2:2 + node.attr["num_args"].i])
        controls = [r for r in node.input if r.startswith("^")]
        t = node.attr["T"].type
        plain = node_def_pb2.NodeDef(name=f"{node.name}/unfused_{base}", op=base)
        plain.input.extend(list(node.input[:2]) + controls)
        for key in node.attr:
            if key not in _FUSED_ONLY_ATTRS:
                plain.attr[key].CopyFrom(node.attr[key])
        chain, previous = [plain], plain.name
        for i, op in enumerate(ops):
            step = node_def_pb2.NodeDef(name=f"{node.name}/unfused_{i}_{op}")
            step.attr["T"].type = t
            if op == "BiasAdd":
                step.op = "BiasAdd"
                step.input.extend([previous, args.pop(0)])
                step.attr["data_format"].s = node.attr["data_format"].s or b"NHWC"
            elif op in ("Add", "AddV2"):
                step.op = "AddV2"
                step.input.extend([previous, args.pop(0)])
            elif op == "LeakyRelu":
                step.op = "LeakyRelu"
                step.input.append(previous)
                step.attr["alpha"].f = node.attr["leakyrelu_alpha"].f
            elif op in ("Relu", "Relu6", "Elu", "Sigmoid", "Tanh", "Softplus", "Selu"):
                step.op = op
                step.input.append(previous)
            elif op == "_FusedHardSwish" and t in NUMPY_DTYPES:
                # oneDNN's hard swish (MobileNetV3): x * (relu6(x + 3) * 1/6), as Keras writes it
                three, sixth = (make_const(f"{node.name}/unfused_{i}_{c}", np.array(v, NUMPY_DTYPES[t]))
                                for c, v in (("three", 3.0), ("sixth", 1.0 / 6.0)))
                shifted, clipped, scaled = (_op_node(node_def_pb2, f"{node.name}/unfused_{i}_{k}", k, t)
                                            for k in ("AddV2", "Relu6", "Mul"))
                shifted.input.extend([previous, three.name])
                clipped.input.append(shifted.name)
                scaled.input.extend([clipped.name, sixth.name])
                chain.extend([three, sixth, shifted, clipped, scaled])
                step.op = "Mul"
                step.input.extend([previous, scaled.name])
            else:
                chain = None  # cannot split it: the op check will name it
                break
            chain.append(step)
            previous = step.name
        if chain is None:
            continue
        chain[-1].name = node.name  # consumers keep reading the fused node's name
        node.CopyFrom(chain[-1])  # in place: a rebuilt node list would copy every weight again
        new_nodes.extend(chain[:-1])
        split += 1
    graph_def.node.extend(new_nodes)
    return split


def _op_node(node_def_pb2, name, op, t):
    node = node_def_pb2.NodeDef(name=name, op=op)
    node.attr["T"].type = t
    return node
