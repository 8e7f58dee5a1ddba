"""strip_debug_ops: asserts, checks and prints go from the top level and from every function of
the library (cond branches, loop bodies, AssertGuards), with the control edges and NoOps that
only waited on them; outputs unchanged (run in TensorFlow)."""

import numpy as np

from tfjs_export.converter.graph import strip_debug_ops
from tfjs_export.converter.graph.tests.conftest import run_graph

_DEBUG_OPS = set(strip_debug_ops.PASS_THROUGH) | set(strip_debug_ops.NO_OUTPUT) | {"StringFormat"}


def _all_ops(graph_def):
    return [n.op for n in graph_def.node] + [n.op for f in graph_def.library.function for n in f.node_def]


def _debugged_function_graph():
    """GraphDef of a tf.function with debugging ops at top level, in a tf.cond and in a loop."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def f(x):
        tf.debugging.assert_rank(x, 2)
        x = tf.debugging.check_numerics(x, "x")
        tf.print("sum", tf.reduce_sum(x))

        def branch():
            tf.debugging.assert_non_negative(tf.abs(x))
            with tf.control_dependencies([tf.debugging.assert_all_finite(x, "x")]):
                return x * 2.0

        y = tf.cond(tf.reduce_sum(x) > 0, branch, lambda: x - 1.0)

        def body(i, acc):
            tf.debugging.assert_less(i, 5)
            return i + 1, acc + 1.0

        return tf.identity(tf.while_loop(lambda i, a: i < 2, body, [0, y])[1], name="y")

    graph = f.get_concrete_function().graph
    return graph.as_graph_def(), graph.outputs[0].name


def test_debug_ops_go_everywhere_and_outputs_stay(rng):
    before, fetch = _debugged_function_graph()
    after, _ = _debugged_function_graph()
    assert _DEBUG_OPS & set(_all_ops(before)) >= {"Assert", "CheckNumerics", "PrintV2"}
    assert any(n.op == "Assert" for f in before.library.function for n in f.node_def)  # in the branches
    assert strip_debug_ops.strip_debug_ops(after) >= 5
    assert not _DEBUG_OPS & set(_all_ops(after))
    for function in after.library.function:  # nothing names a deleted node any more
        names = {n.name for n in function.node_def}
        assert set(function.control_ret.values()) <= names
        assert all(r.lstrip("^").split(":")[0] in names or not r.startswith("^") for n in function.node_def
                   for r in n.input)
    x = rng.normal(size=(2, 3)).astype("float32")
    np.testing.assert_array_equal(run_graph(after, {"x:0": x}, [fetch])[0], run_graph(before, {"x:0": x}, [fetch])[0])


def test_noops_waiting_only_on_asserts_go_and_others_stay():
    import tensorflow as tf
    with tf.Graph().as_default() as graph:
        x = tf.compat.v1.placeholder(tf.float32, [2], name="x")
        check = tf.raw_ops.Assert(condition=tf.reduce_all(x > -10.0), data=[x], name="check")
        only_assert = tf.group(check, name="only_assert")
        keep = tf.no_op(name="keep")
        mixed = tf.group(check, keep, name="mixed")
        with tf.control_dependencies([only_assert, mixed]):
            tf.identity(x, name="y")
    graph_def = graph.as_graph_def()
    assert strip_debug_ops.strip_debug_ops(graph_def) == 1
    nodes = {n.name: n for n in graph_def.node}
    assert "Assert" not in {n.op for n in graph_def.node} and "only_assert" not in nodes
    assert list(nodes["mixed"].input) == ["^keep"]
    assert list(nodes["y"].input) == ["x", "^mixed"]


def test_graph_without_debug_ops_is_unchanged():
    import tensorflow as tf
    with tf.Graph().as_default() as graph:
        tf.identity(tf.compat.v1.placeholder(tf.float32, [2], name="x") * 2.0, name="y")
    graph_def = graph.as_graph_def()
    copy = graph_def.SerializeToString()
    assert strip_debug_ops.strip_debug_ops(graph_def) == 0
    assert graph_def.SerializeToString() == copy
