"""TF.js rewrite: drop control edges (`^node` inputs).

A frozen graph has no variables and (after the op check) no side-effecting ops, so control edges
order nothing that matters; TensorFlow needs them only to move constants into while-loop frames
and to wait on loop exits. TF.js cannot schedule them: it treats `^x` as a data input, so a
lowered `tf.while_loop` (its `LoopExecuted` NoOp, constants waiting on `input_control_node`
NoOps inside the loop body) ends in "Cannot compute the outputs [Identity] from the provided
inputs" (also seen with the official converter on Keras 3 RNNs). TF.js keeps constants as
weights outside every frame, so they need no edge to reach a loop body. The NoOps left without
consumers are then pruned.
"""

_SIDE_EFFECTS = ("Assert", "Print", "PrintV2", "AssignVariableOp", "Save", "SaveV2", "WriteFile")


def drop_control_inputs(graph_def):
    """Remove every `^x` input in place (unless a side-effecting op is present: then nothing is
    changed); return how many edges were removed."""
    if any(node.op in _SIDE_EFFECTS for node in graph_def.node):
        return 0
    removed = 0
    for node in graph_def.node:
        kept = [r for r in node.input if not r.startswith("^")]
        if len(kept) != len(node.input):
            removed += len(node.input) - len(kept)
            del node.input[:]
            node.input.extend(kept)
    return removed
