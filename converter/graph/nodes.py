"""Small helpers over a GraphDef shared by the rewrites: lookup by name, consumers, Const values."""

import collections
import re

from tfjs_export.converter.graph.tensors import dtype_enum, to_numpy, to_tensor_proto
from tfjs_export.converter.graph.tf_modules import tensorflow_protos


def input_name(ref):
    """'^a' / 'a:1' / 'a' -> 'a'."""
    return ref.lstrip("^").split(":")[0]


class GraphIndex:
    """Name -> node, and name -> names of the nodes consuming it (data or control)."""

    def __init__(self, graph_def):
        self.graph_def = graph_def
        self.by_name = {n.name: n for n in graph_def.node}
        self.consumers = collections.defaultdict(list)
        for node in graph_def.node:
            for ref in node.input:
                self.consumers[input_name(ref)].append(node.name)

    def const_value(self, ref):
        """The numpy value of a Const node (through Identity), or None if not a constant."""
        node = self.by_name.get(input_name(ref))
        while node is not None and node.op == "Identity":
            node = self.by_name.get(input_name(node.input[0]))
        if node is None or node.op != "Const":
            return None
        return to_numpy(node.attr["value"].tensor)

    def single_consumer(self, name):
        return len(self.consumers.get(name, ())) == 1


def make_const(name, array):
    """A new Const NodeDef holding `array`."""
    node = tensorflow_protos().node_def_pb2.NodeDef(name=name, op="Const")
    node.attr["dtype"].type = dtype_enum(array.dtype)
    node.attr["value"].tensor.CopyFrom(to_tensor_proto(array))
    return node


def unique_name(index, base):
    name, i = base, 0
    while name in index.by_name:
        i += 1
        name = f"{base}_{i}"
    index.by_name[name] = None  # reserve
    return name


def prune_unused(graph_def, keep):
    """Drop nodes no kept node depends on (keep: names of the input and output nodes)."""
    index = GraphIndex(graph_def)
    live, stack = set(), list(keep)
    while stack:
        name = stack.pop()
        if name in live or name not in index.by_name:
            continue
        live.add(name)
        stack.extend(input_name(r) for r in index.by_name[name].input)
    remove_nodes(graph_def, {n.name for n in graph_def.node} - live)
    return graph_def


def remove_nodes(graph_def, names):
    """Delete the named nodes in place. Rebuilding the node list instead would copy every node,
    weights included, into the GraphDef's protobuf arena, which frees nothing until the whole
    GraphDef goes: ResNet50 grew by ~100 MB per batch norm folded that way."""
    if not names:
        return
    for i in reversed(range(len(graph_def.node))):
        if graph_def.node[i].name in names:
            del graph_def.node[i]


def safe_node_name(key, index):
    """A valid TF node name for a signature key (keys may hold '/' or spaces)."""
    name = re.sub(r"[^A-Za-z0-9_.\-/]", "_", key).strip("/") or f"t{index}"
    return name if re.match(r"[A-Za-z0-9.]", name) else f"t{index}_{name}"


def become_bias_add(node, data_input, bias_input):
    """Turn `node` (in place, keeping its name and dtype) into BiasAdd(data_input, bias_input)."""
    inputs = [data_input, bias_input]
    t = node.attr["T"].type
    node.op = "BiasAdd"
    node.ClearField("attr")
    node.attr["T"].type = t
    node.attr["data_format"].s = b"NHWC"
    del node.input[:]
    node.input.extend(inputs)


def output_channels(producer, weights):
    """Output channels of a Conv2D / DepthwiseConv2dNative / MatMul with these weights."""
    if producer.op == "DepthwiseConv2dNative":
        return weights.shape[2] * weights.shape[3]
    if producer.op in ("MatMul", "_FusedMatMul") and producer.attr["transpose_b"].b:
        return weights.shape[0]
    return weights.shape[-1]
