"""Freezing: drop the variable updates no output of the call can see.

A graph model holds no variables, so a write to one can only matter if an output reads the
variable after the write, in the same call. Most writes in an inference graph are not of that
kind: Keras 3 RNN layers with `dropout` make their dropout masks even at inference (the masks
go unused) and advance their SeedGenerator's state with an `AssignVariableOp`; a stateful RNN
stores its last state after computing its outputs. Left in, such a write reaches a variable
frozen into a constant and freezing fails (`AssignVariableOp was passed int64 ... expected
resource`). A write is dropped, with the control edges waiting on it, unless a read of the same
variable that an output's value depends on comes after it (reachable from it through any edge);
what then computed only the write's value is pruned later.
"""

from tfjs_export.converter.graph.nodes import GraphIndex, input_name

WRITES = ("AssignVariableOp", "AssignAddVariableOp", "AssignSubVariableOp")
READS = ("ReadVariableOp", "ResourceGather", "VariableShape")
_HANDLE_PASS_THROUGH = ("Identity", "Enter", "Exit", "Switch", "Merge", "NextIteration")


def drop_unobserved_updates(graph_def, variables, outputs):
    """Delete in place the writes to `variables` (names of resource placeholder nodes, top level)
    that no output can observe; `outputs`: tensor or node names. Return how many were dropped."""
    index = GraphIndex(graph_def)
    reads, writes = _accesses(index, variables)
    needed = _data_ancestors(index, [input_name(o) for o in outputs])
    dropped = set()
    for variable, nodes in writes.items():
        observed = {r for r in reads.get(variable, ()) if r in needed}
        for write in nodes:
            if not observed & _descendants(index, write):
                dropped.add(write)
    if not dropped:
        return 0
    for node in graph_def.node:
        kept = [r for r in node.input if not (r.startswith("^") and input_name(r) in dropped)]
        if len(kept) != len(node.input):
            del node.input[:]
            node.input.extend(kept)
    for i in reversed(range(len(graph_def.node))):
        if graph_def.node[i].name in dropped:
            del graph_def.node[i]
    return len(dropped)


def _accesses(index, variables):
    """({variable: [read node names]}, {variable: [write node names]}), following the handle
    through pass-through ops (loop frames, cond switches)."""
    reads, writes = {}, {}
    for variable in variables:
        seen, stack = {variable}, [variable]
        while stack:
            handle = stack.pop()
            for name in index.consumers.get(handle, ()):
                node = index.by_name[name]
                if name in seen or not node.input or input_name(node.input[0]) != handle or node.input[0].startswith("^"):
                    continue
                if node.op in WRITES:
                    writes.setdefault(variable, []).append(name)
                elif node.op in READS:
                    reads.setdefault(variable, []).append(name)
                elif node.op in _HANDLE_PASS_THROUGH:
                    seen.add(name)
                    stack.append(name)
    return reads, writes


def _data_ancestors(index, names):
    """Every node a value of `names` depends on through data edges."""
    seen, stack = set(), list(names)
    while stack:
        name = stack.pop()
        node = index.by_name.get(name)
        if name in seen or node is None:
            continue
        seen.add(name)
        stack.extend(input_name(r) for r in node.input if not r.startswith("^"))
    return seen


def _descendants(index, name):
    """Every node reachable from `name` through data or control edges."""
    seen, stack = set(), [name]
    while stack:
        for consumer in index.consumers.get(stack.pop(), ()):
            if consumer not in seen:
                seen.add(consumer)
                stack.append(consumer)
    return seen
