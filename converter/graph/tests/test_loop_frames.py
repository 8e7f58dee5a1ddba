"""loop_frames: in a lowered while loop, values computed from loop constants only, and inner
loops entered from a constant, are routed through IdentityN(value, pivot) so TF.js recomputes
them per iteration; the frames are found from the data edges; outputs unchanged (run in TF)."""

import numpy as np

from tfjs_export.converter.graph import grappler, loop_frames
from tfjs_export.converter.graph.freeze import freeze
from tfjs_export.converter.graph.load import LoadedFunction
from tfjs_export.converter.graph.tests.conftest import run_graph


def _lowered(function):
    """The function frozen as the Graph path freezes it (While/If lowered to Enter/Exit/Switch/
    Merge), then grappler's first pass."""
    concrete = function.get_concrete_function()
    frozen = freeze(LoadedFunction(concrete, ["x"], ["y"], "test"))
    return grappler.optimize(frozen.graph_def, frozen.inputs, frozen.outputs), frozen.outputs[0].name


def _loop_with_weight_read_in_body():
    import tensorflow as tf
    # A variable: TF enters loop-invariant resources as loop constants (is_constant Enters); big
    # enough (> grappler.LARGE_CONSTANT_BYTES) that grappler does not fold the body's maths on it.
    w = tf.Variable(np.random.default_rng(1).normal(0, 0.2, size=(40, 40)).astype("float32"))

    @tf.function(input_signature=[tf.TensorSpec([2, 40], tf.float32, name="x")])
    def f(x):
        def body(i, acc):
            kernel = tf.identity(w) * 0.5  # computed from a loop constant only
            return i + 1, tf.tanh(tf.matmul(acc, kernel))
        return tf.identity(tf.while_loop(lambda i, a: i < 4, body, [0, x])[1], name="y")
    f.keep_alive = w
    return f


def _nested_loops():
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32, name="x")])
    def f(n):
        def outer(i, acc):
            def inner(j, acc):
                return j + 1, acc + i * j
            return i + 1, tf.while_loop(lambda j, a: j < 3, inner, [0, acc])[1]  # j starts at a constant
        return tf.identity(tf.while_loop(lambda i, a: i < n, outer, [0, 0])[1], name="y")
    return f


def _identity_ns(graph_def):
    return [n for n in graph_def.node if n.op == "IdentityN"]


def test_frames_follow_enter_and_exit():
    graph_def, _ = _lowered(_nested_loops())
    frames = loop_frames.frame_of_nodes(graph_def)
    enters = [n for n in graph_def.node if n.op == "Enter"]
    depths = {len(frames[n.name]) for n in enters}
    assert depths == {1, 2}  # the outer loop's Enters, and the inner loop's inside it
    for node in graph_def.node:
        if node.op == "Exit":
            source = node.input[0].split(":")[0]
            assert frames[node.name] == frames[source][:-1]


def test_loop_constant_values_are_bound_to_the_iteration():
    before, fetch = _lowered(_loop_with_weight_read_in_body())
    after, _ = _lowered(_loop_with_weight_read_in_body())
    assert loop_frames.bind_loop_values(after) >= 1
    frames = loop_frames.frame_of_nodes(after)
    by_name = {n.name: n for n in after.node}
    for node in _identity_ns(after):
        value, pivot = (r.split(":")[0] for r in node.input)
        assert by_name[value].op == "Enter" and by_name[value].attr["is_constant"].b
        assert by_name[pivot].op == "Switch" and node.input[1].endswith(":1")
        assert frames[value] == frames[pivot] == frames[node.name]
    x = np.random.default_rng(2).normal(size=(2, 40)).astype("float32")
    np.testing.assert_allclose(run_graph(after, {"x:0": x}, [fetch])[0], run_graph(before, {"x:0": x}, [fetch])[0],
                               rtol=1e-6)


def test_inner_loop_entered_from_a_constant_waits_for_the_outer_iteration():
    graph_def, fetch = _lowered(_nested_loops())
    expected = run_graph(graph_def, {"x:0": 4}, [fetch])[0]
    assert loop_frames.bind_loop_values(graph_def) >= 1
    frames = loop_frames.frame_of_nodes(graph_def)
    by_name = {n.name: n for n in graph_def.node}
    inner_enters = [n for n in graph_def.node if n.op == "Enter" and len(frames[n.name]) == 2]
    for enter in inner_enters:  # every inner Enter is now fed from inside the outer loop
        assert frames[enter.input[0].split(":")[0]] == frames[enter.name][:1], by_name[enter.input[0].split(":")[0]]
    assert run_graph(graph_def, {"x:0": 4}, [fetch])[0] == expected == sum(i * j for i in range(4) for j in range(3))


def test_graph_without_loops_is_unchanged():
    import tensorflow as tf
    with tf.Graph().as_default() as graph:
        tf.identity(tf.compat.v1.placeholder(tf.float32, [2], name="x") * 2.0, name="y")
    graph_def = graph.as_graph_def()
    assert loop_frames.bind_loop_values(graph_def) == 0


def test_written_loop_graph_runs_in_tensorflow_after_entering_outer_inputs():
    """What we write for TF.js (control edges dropped) reads constants and outer values straight
    from loop bodies; TensorFlow refuses that until enter_outer_inputs routes them through Enters."""
    import pytest
    import tensorflow as tf
    from tfjs_export.converter.graph.control_deps import drop_control_inputs
    graph_def, fetch = _lowered(_nested_loops())
    expected = run_graph(graph_def, {"x:0": 4}, [fetch])[0]
    drop_control_inputs(graph_def)
    loop_frames.bind_loop_values(graph_def)
    with pytest.raises(tf.errors.InvalidArgumentError, match="different frames"):
        run_graph(graph_def, {"x:0": 4}, [fetch])
    assert loop_frames.enter_outer_inputs(graph_def) >= 1
    assert run_graph(graph_def, {"x:0": 4}, [fetch])[0] == expected
