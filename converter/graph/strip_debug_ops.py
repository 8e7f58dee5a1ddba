"""Inference clean-up: remove the ops that only check or print (tf.debugging, tf.print), and the
control edges and NoOps that existed only for them, everywhere in a GraphDef: the top level and
every function of its library (tf.cond / tf.while_loop branches and bodies, AssertGuard conds).

TF.js 4.22 has no kernel for `Assert`, `CheckNumerics` or `PrintV2`: a graph holding them loads and
then fails at the first predict (`Unknown op 'Assert'`). At inference they compute nothing:
- ops that pass their input through (`CheckNumerics`, `Print`, `PreventGradient`, ...) become
  `Identity` of that input, so every reader keeps its input name;
- ops with no data output (`Assert`, `PrintV2`) are deleted with the `^op` control edges on them,
  their `StringFormat` message builders, and any NoOp left waiting on nothing but them.
"""

from tfjs_export.converter.graph.nodes import input_name

PASS_THROUGH = ("CheckNumerics", "CheckNumericsV2", "Print", "PreventGradient", "DebugIdentity",
                "DebugGradientIdentity")
NO_OUTPUT = ("Assert", "PrintV2")
_MESSAGE_BUILDERS = ("StringFormat",)


def strip_debug_ops(graph_def):
    """Rewrite graph_def in place (top level and library functions); return how many debug ops
    were removed or replaced."""
    count = _strip(graph_def.node, _top_level_source)
    for function in graph_def.library.function:
        removed_before = count
        count += _strip(function.node_def, _function_source)
        if count != removed_before:
            _drop_control_returns(function)
    return count


def _top_level_source(ref):
    return input_name(ref)


def _function_source(ref):
    """'node:output:0' / '^node' / 'arg' -> 'node' inside a FunctionDef body."""
    return ref.lstrip("^").split(":")[0]


def _strip(nodes, source_of):
    count = 0
    for node in nodes:
        if node.op in PASS_THROUGH:
            _become_identity(node)
            count += 1
    dead = {n.name for n in nodes if n.op in NO_OUTPUT}
    count += len(dead)
    # Message builders feeding only deleted printers, then NoOps left with no input, go too.
    while True:
        consumers = {}
        for node in nodes:
            if node.name in dead:
                continue
            for ref in node.input:
                consumers.setdefault(source_of(ref), []).append(node.name)
        more = {n.name for n in nodes if n.name not in dead and (
            (n.op in _MESSAGE_BUILDERS and not consumers.get(n.name))
            or (n.op == "NoOp" and n.input and all(source_of(r) in dead for r in n.input)))}
        if not more:
            break
        dead |= more
    if not dead:
        return count
    for node in nodes:
        if node.name in dead:
            continue
        # Only control edges can name a deleted node: Assert and PrintV2 have no outputs, and a
        # message builder's only readers are printers.
        kept = [r for r in node.input if source_of(r) not in dead]
        if len(kept) != len(node.input):
            del node.input[:]
            node.input.extend(kept)
    for i in reversed(range(len(nodes))):
        if nodes[i].name in dead:
            del nodes[i]
    return count


def _become_identity(node):
    """Identity of the first input, keeping the node's name and its control inputs."""
    data = [r for r in node.input if not r.startswith("^")][:1]
    controls = [r for r in node.input if r.startswith("^")]
    t = node.attr["T"].type if "T" in node.attr else None
    node.op = "Identity"
    node.ClearField("attr")
    if t:
        node.attr["T"].type = t
    del node.input[:]
    node.input.extend(data + controls)


def _drop_control_returns(function):
    """Control outputs of a function that named deleted nodes."""
    names = {n.name for n in function.node_def}
    for key in [k for k, v in function.control_ret.items() if v not in names]:
        del function.control_ret[key]
    kept = [name for name in function.signature.control_output if name in function.control_ret]
    del function.signature.control_output[:]
    function.signature.control_output.extend(kept)
