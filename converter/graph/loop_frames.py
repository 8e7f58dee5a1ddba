"""TF.js rewrite: tie loop-body values to their loop iteration, so TF.js' executor recomputes them.

TF.js (executeAsync) stores each tensor under its node name plus the loop frame and iteration it
was computed in, and schedules a node when its inputs become available. Two shapes of a lowered
`while` never become available again after iteration 0 there, and the model ends in "Cannot
compute the outputs [...] from the provided inputs":

- a value computed in a loop body from loop *constants* only (`Enter` with is_constant, e.g. a
  Keras 3 LSTM's kernel read through an Identity in the body): TF.js computes it once, in
  iteration 0, and a later iteration cannot see it;
- a nested loop entered with a constant (`Enter(Const)`: the inner counter's 0): TF.js fires that
  Enter once at the start, outside the outer loop, instead of once per outer iteration.

Both are fixed the same way: the value is routed through `IdentityN(value, pivot)` (output 0),
where the pivot is a tensor the enclosing loop produces in every iteration (the body side of one
of its Switch nodes). TF.js then computes it per iteration, in the right frame; the values are
unchanged. Frames are found from the data edges: `Enter` opens its `frame_name`, `Exit` closes it.
"""

import collections

from tfjs_export.converter.graph.nodes import GraphIndex, input_name, unique_name
from tfjs_export.converter.graph.tf_modules import tensorflow_protos

_CONTROL_FLOW = ("Enter", "Exit", "Merge", "Switch", "NextIteration", "LoopCond")
_NOT_PIVOTS = (20, 21)  # DT_RESOURCE, DT_VARIANT: handles and lists, not values to clone


def bind_loop_values(graph_def):
    """Rewrite graph_def in place; return the number of values bound to their loop iteration."""
    index = GraphIndex(graph_def)
    frames = frame_of_nodes(graph_def, index)
    pivots = _pivots(graph_def, frames)
    bound = {}  # (value ref, frame) -> name of its IdentityN

    def bind(ref, frame):
        key = (ref, frame)
        if key not in bound:
            pivot = pivots.get(frame)
            if pivot is None:
                return None
            bound[key] = _add_identity_n(graph_def, index, ref, pivot)
        return bound[key] + ":0"

    invariant = _loop_invariant_nodes(graph_def, index, frames)
    changed = 0
    for node in list(graph_def.node):
        frame = frames.get(node.name, ())
        if node.name in invariant:
            for i, ref in enumerate(node.input):
                source = index.by_name.get(input_name(ref))
                if not ref.startswith("^") and _is_constant_enter(source) and frames.get(source.name) == frame:
                    new = bind(ref, frame)
                    if new:
                        node.input[i], changed = new, changed + 1
        elif node.op == "Enter" and not node.attr["is_constant"].b and len(frame) > 1:
            outer = frame[:-1]
            if frames.get(input_name(node.input[0]), ()) != outer:  # entered from outside its parent
                new = bind(node.input[0], outer)
                if new:
                    node.input[0], changed = new, changed + 1
    return changed


def enter_outer_inputs(graph_def):
    """For running a written graph in TensorFlow (TF.js does not need it): TensorFlow wants every
    value a loop body reads from outside the loop to come through a constant `Enter` (we drop the
    control edges that placed constants in their frames). Route each such input through one,
    per frame level, in place; return how many inputs were rerouted."""
    index = GraphIndex(graph_def)
    frames = frame_of_nodes(graph_def, index)
    parallel = {n.attr["frame_name"].s: n.attr["parallel_iterations"].i for n in graph_def.node if n.op == "Enter"}
    entered = {}
    changed = 0
    for node in list(graph_def.node):
        frame = frames.get(node.name, ())
        if not frame or node.op == "Enter":
            continue
        for i, ref in enumerate(node.input):
            if ref.startswith("^"):
                continue
            ref_frame = frames.get(input_name(ref), ())
            if len(ref_frame) >= len(frame):
                continue
            current, dtype = ref, _output_type(index.by_name[input_name(ref)], _output_index(ref))
            for depth in range(len(ref_frame), len(frame)):
                key = (current, frame[:depth + 1])
                if key not in entered:
                    entered[key] = _add_constant_enter(graph_def, index, current, frame[depth], dtype,
                                                       parallel.get(frame[depth].encode(), 10))
                current = entered[key]
            node.input[i] = current
            changed += 1
    return changed


def _output_index(ref):
    parts = ref.split(":")
    return int(parts[1]) if len(parts) > 1 else 0


def _add_constant_enter(graph_def, index, ref, frame_name, dtype, parallel_iterations):
    node = tensorflow_protos().node_def_pb2.NodeDef(
        name=unique_name(index, f"{input_name(ref)}/enter_{frame_name.split('/')[-1]}"), op="Enter")
    node.input.append(ref)
    node.attr["T"].type = dtype
    node.attr["frame_name"].s = frame_name.encode()
    node.attr["is_constant"].b = True
    node.attr["parallel_iterations"].i = parallel_iterations
    graph_def.node.append(node)
    index.by_name[node.name] = node
    return node.name


def frame_of_nodes(graph_def, index=None):
    """{node name: tuple of enclosing loop frame names, outermost first} (() = no loop)."""
    index = index or GraphIndex(graph_def)
    parents = {}  # frame name -> enclosing frame (tuple)
    for _ in range(8):  # parents resolve outermost first; nesting deeper than 8 is not expected
        frames = _frames_given(graph_def, index, parents)
        new_parents = _parents_from(graph_def, frames, parents)
        if new_parents == parents:
            return frames
        parents = new_parents
    return frames


def _frames_given(graph_def, index, parents):
    order = _topological(graph_def, index)
    frames = {}
    for node in order:
        data = [input_name(r) for r in _frame_inputs(node, index)]
        known = [frames.get(name, ()) for name in data]
        deepest = max(known, key=len) if known else ()
        if node.op == "Enter":
            name = node.attr["frame_name"].s.decode()
            frames[node.name] = parents.get(name, deepest) + (name,)
        elif node.op == "Exit":
            frames[node.name] = deepest[:-1]
        else:
            frames[node.name] = deepest
    return frames


def _parents_from(graph_def, frames, parents):
    """frame name -> its parent frame: the deepest frame its Enters are fed from; for a frame
    fed only from outside every loop, a frame whose name is a prefix of its name (TF names a
    nested loop's frame after the body it sits in)."""
    fed_from = collections.defaultdict(tuple)
    for node in graph_def.node:
        if node.op == "Enter":
            name = node.attr["frame_name"].s.decode()
            source = frames.get(input_name(node.input[0]), ())
            if len(source) > len(fed_from[name]):
                fed_from[name] = source
    result = {}
    for name, source in fed_from.items():
        if not source:
            prefixes = [f for f in fed_from if f != name and name.startswith(f + "/")]
            if prefixes:
                outer = max(prefixes, key=len)
                source = (parents.get(outer) or fed_from[outer] or ()) + (outer,)
        result[name] = source
    return result


def _frame_inputs(node, index):
    """Data inputs that decide a node's frame (a loop Merge's NextIteration input comes later)."""
    refs = [r for r in node.input if not r.startswith("^")]
    if node.op == "Merge":
        refs = [r for r in refs if index.by_name.get(input_name(r)) is None
                or index.by_name[input_name(r)].op != "NextIteration"]
    return refs


def _topological(graph_def, index):
    """Nodes in an order where frame inputs come first (NextIteration -> Merge edges cut)."""
    pending = {}
    users = collections.defaultdict(list)
    for node in graph_def.node:
        deps = {input_name(r) for r in _frame_inputs(node, index)} & index.by_name.keys()
        pending[node.name] = len(deps)
        for dep in deps:
            users[dep].append(node.name)
    ready = [n for n, count in pending.items() if count == 0]
    order = []
    while ready:
        name = ready.pop()
        order.append(index.by_name[name])
        for user in users[name]:
            pending[user] -= 1
            if pending[user] == 0:
                ready.append(user)
    return order


def _is_constant_enter(node):
    return node is not None and node.op == "Enter" and node.attr["is_constant"].b


def _loop_invariant_nodes(graph_def, index, frames):
    """Names of non-control-flow nodes inside a loop whose data inputs are all loop constants of
    their own frame (constant Enters), constants, or other such nodes."""
    invariant = set()
    for node in _topological(graph_def, index):
        frame = frames.get(node.name, ())
        if not frame or node.op in _CONTROL_FLOW or node.op == "Const":
            continue
        refs = [r for r in node.input if not r.startswith("^")]
        if not refs:
            continue
        ok = True
        for ref in refs:
            source = index.by_name.get(input_name(ref))
            if source is None:
                ok = False
            elif frames.get(source.name, ()) != frame:
                ok = ok and len(frames.get(source.name, ())) < len(frame)  # a constant from outside
            elif not (_is_constant_enter(source) or source.name in invariant):
                ok = False
        if ok:
            invariant.add(node.name)
    return invariant


def _pivots(graph_def, frames):
    """frame -> a tensor its loop produces in every iteration of the body: Switch:1 of a loop
    variable that is a plain value (the loop counter, typically)."""
    pivots = {}
    for node in graph_def.node:
        if node.op != "Switch" or node.attr["T"].type in _NOT_PIVOTS:
            continue
        frame = frames.get(node.name, ())
        if frame and frame not in pivots:
            pivots[frame] = (f"{node.name}:1", node.attr["T"].type)
    return pivots


def _add_identity_n(graph_def, index, ref, pivot):
    """IdentityN(ref, pivot) added to graph_def; returns its name."""
    pivot_ref, pivot_type = pivot
    source = index.by_name[input_name(ref)]
    node = tensorflow_protos().node_def_pb2.NodeDef(
        name=unique_name(index, f"{input_name(ref)}/per_iteration"), op="IdentityN")
    node.input.extend([ref, pivot_ref])
    node.attr["T"].list.type.extend([_output_type(source, _output_index(ref)), pivot_type])
    graph_def.node.append(node)
    index.by_name[node.name] = node
    return node.name


def _output_type(node, output=0):
    """dtype enum of one output of a node, from its op's registered signature."""
    from tfjs_export.converter.graph.tf_modules import op_def
    types = []
    for arg in op_def(node.op).output_arg:
        count = node.attr[arg.number_attr].i if arg.number_attr else 1
        if arg.type_list_attr:
            types.extend(node.attr[arg.type_list_attr].list.type)
        else:
            types.extend([arg.type or node.attr[arg.type_attr].type] * count)
    if output >= len(types) or not types[output]:
        raise ValueError(f"no dtype for output {output} of node {node.name} ({node.op})")
    return types[output]
