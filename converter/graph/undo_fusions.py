"""Undo what grappler's remap pass fused into ops TF.js lacks, from the graph it was given.

With oneDNN (TensorFlow's default on x86 CPUs) the remapper also makes `_FusedBatchNormEx`
(batch norm + ReLU), `_MklLayerNorm` (a layer norm's moments; it even drops a non-default
epsilon) and other CPU-only kernels TF.js 4.22 has no kernel for. Each such node is put back as
it was before the pass: the node of the same name from the input graph, every node it reads that
the pass removed, and every reader the pass rewired (the remapper may give a fused node the name of
the pattern's first node and point the last node's readers at it). The fusions TF.js
runs (`_FusedConv2D`, `_FusedMatMul`) are kept; fused_ops splits the ones whose activation it lacks.
"""

from tfjs_export.converter.graph import op_check
from tfjs_export.converter.graph.nodes import input_name


def restore_unsupported(graph_def, before):
    """Put back, in place, the nodes of `graph_def` whose op TF.js lacks and that `before` (the
    remap pass's input) computes with other ops; return how many fusions were undone."""
    supported = op_check.supported_ops()
    old = {n.name: n for n in before.node}
    new = {n.name: n for n in graph_def.node}
    consumers = {}
    for node in graph_def.node:
        for ref in node.input:
            consumers.setdefault(input_name(ref), []).append(node)
    undone = 0
    for node in list(graph_def.node):
        original = old.get(node.name)
        if node.op in supported or original is None or original.op == node.op:
            continue
        undone += 1
        stack = [node.name]
        while stack:
            name = stack.pop()
            target, original = new.get(name), old[name]
            if target is not None and target.op == original.op and list(target.input) == list(original.input):
                continue
            if target is None:  # removed by the fusion
                target = new[name] = graph_def.node.add()
            target.CopyFrom(original)
            stack.extend(n for n in (input_name(r) for r in original.input) if n in old and n not in new)
            # A reader the fusion rewired (batch norm + ReLU: the fused node takes the batch norm's
            # name, the ReLU is removed and its readers read the fused node) is put back too.
            stack.extend(c.name for c in consumers.get(name, ()) if c.name in old and (
                c.op != old[c.name].op or list(c.input) != list(old[c.name].input)))
    return undone
