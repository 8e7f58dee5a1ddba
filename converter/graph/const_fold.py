"""Graph rewrite: constant folding in numpy, for the ops that compute on weights.

Grappler folds constants too, but it copies every constant several times through its passes
(ResNet50: ~2 GB for 100 MB of weights, 5 s). We fold what touches big constants here, once, in
numpy: batch-norm parameter maths (`rsqrt(var + eps) * gamma`, `beta - mean * inv`), bias
reshapes, casts. Grappler then runs with the big constants set aside (grappler.py) and only has
shapes and small constants left to fold.

A node is folded when all its data inputs are Const nodes and its op is in `_KERNELS`. The Const
that replaces it keeps the node's name and the control inputs of the node and of its inputs (a
constant inside a while-loop body must stay in the loop's frame). A fold whose result would be
larger than its largest input (a broadcast) is skipped.
"""

import numpy as np

from tfjs_export.converter.graph.nodes import GraphIndex, input_name, remove_nodes
from tfjs_export.converter.graph.tensors import NUMPY_DTYPES, to_numpy, to_tensor_proto


def _cast(node, x):
    target = NUMPY_DTYPES.get(node.attr["DstT"].type)
    if target is None:  # bfloat16, float8, ...: no numpy dtype here; left to the graph
        raise TypeError(f"no numpy dtype for DataType {node.attr['DstT'].type}")
    return x.astype(target)


def _squeeze(node, x):
    axes = tuple(node.attr["squeeze_dims"].list.i)
    return np.squeeze(x, axis=axes) if axes else np.squeeze(x)


_KERNELS = {
    "Identity": lambda node, x: x,
    "Add": lambda node, a, b: a + b,
    "AddV2": lambda node, a, b: a + b,
    "Sub": lambda node, a, b: a - b,
    "Mul": lambda node, a, b: a * b,
    "RealDiv": lambda node, a, b: a / b,
    "Maximum": lambda node, a, b: np.maximum(a, b),
    "Minimum": lambda node, a, b: np.minimum(a, b),
    "Neg": lambda node, x: -x,
    "Sqrt": lambda node, x: np.sqrt(x),
    "Rsqrt": lambda node, x: 1 / np.sqrt(x),
    "Square": lambda node, x: x * x,
    "Reciprocal": lambda node, x: 1 / x,
    "Reshape": lambda node, x, shape: x.reshape(shape),
    "ExpandDims": lambda node, x, axis: np.expand_dims(x, int(axis)),
    "Squeeze": _squeeze,
    "Transpose": lambda node, x, perm: np.transpose(x, perm),
    "Cast": _cast,
}
# Ops whose result keeps the first input's dtype (numpy may promote: float32 * float64 scalar).
_SAME_DTYPE = set(_KERNELS) - {"Cast"}


def fold_constants(graph_def, keep=()):
    """Fold constant subgraphs of graph_def in place; return how many nodes were folded.
    `keep`: node names that must stay (the graph's inputs and outputs)."""
    index = GraphIndex(graph_def)
    folded, forwarded = 0, set()
    for node in _topological(graph_def, index):
        kernel = _KERNELS.get(node.op)
        if kernel is None:
            continue
        data = [r for r in node.input if not r.startswith("^")]
        sources = [index.by_name.get(input_name(r)) for r in data]
        if not data or any(s is None or s.op != "Const" for s in sources):
            continue
        if node.op == "Identity" and len(node.input) == 1 and node.name not in keep:
            _forward(index, node, sources[0].name)  # no copy of the value
            forwarded.add(node.name)
            folded += 1
            continue
        values = [to_numpy(s.attr["value"].tensor) for s in sources]
        if values[0].dtype == object:
            continue  # strings: nothing here computes on them
        try:
            with np.errstate(all="ignore"):  # TF gives inf/nan too, without a warning
                result = np.asarray(kernel(node, *values))
        except (ValueError, TypeError, IndexError):
            continue  # let TensorFlow.js (or grappler) report what is wrong with this node
        if node.op in _SAME_DTYPE:
            result = result.astype(values[0].dtype, copy=False)
        if result.size > max(v.size for v in values):
            continue
        controls = {r for s in sources for r in s.input if r.startswith("^")}
        controls.update(r for r in node.input if r.startswith("^"))
        node.op = "Const"
        node.ClearField("attr")
        node.attr["value"].tensor.CopyFrom(to_tensor_proto(result))
        node.attr["dtype"].type = node.attr["value"].tensor.dtype
        node.input[:] = sorted(controls)
        folded += 1
    remove_nodes(graph_def, forwarded)
    return folded


def _forward(index, identity, const_name):
    """Point the consumers of `identity` (= Identity(Const)) at the Const itself."""
    for consumer_name in index.consumers.get(identity.name, ()):
        consumer = index.by_name[consumer_name]
        for i, ref in enumerate(consumer.input):
            if ref in (identity.name, identity.name + ":0"):
                consumer.input[i] = const_name
            elif ref == "^" + identity.name:
                consumer.input[i] = "^" + const_name
        index.consumers[const_name].append(consumer_name)


def _topological(graph_def, index):
    """Nodes in an order where every node comes after its inputs (loops: back edges ignored)."""
    order, state = [], {}
    for root in graph_def.node:
        if root.name in state:
            continue
        stack = [(root, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                state[node.name] = 2
                order.append(node)
                continue
            if state.get(node.name):
                continue
            state[node.name] = 1
            stack.append((node, True))
            for ref in node.input:
                source = index.by_name.get(input_name(ref))
                if source is not None and not state.get(source.name):
                    stack.append((source, False))
    return order
