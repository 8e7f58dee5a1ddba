"""Small helpers over a GraphDef shared by the rewrites: lookup by name, consumers, Const values."""

import collections


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
        import tensorflow as tf
        node = self.by_name.get(input_name(ref))
        while node is not None and node.op == "Identity":
            node = self.by_name.get(input_name(node.input[0]))
        if node is None or node.op != "Const":
            return None
        return tf.make_ndarray(node.attr["value"].tensor)

    def single_consumer(self, name):
        return len(self.consumers.get(name, ())) == 1


def make_const(name, array):
    """A new Const NodeDef holding `array`."""
    import tensorflow as tf
    from tensorflow.core.framework import node_def_pb2
    node = node_def_pb2.NodeDef(name=name, op="Const")
    node.attr["dtype"].type = tf.as_dtype(array.dtype).as_datatype_enum
    node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(array))
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
    kept = [n for n in graph_def.node if n.name in live]
    del graph_def.node[:]
    graph_def.node.extend(kept)
    return graph_def
