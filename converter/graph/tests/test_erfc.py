"""erfc: Erfc becomes 1 - Erf at the top level and inside functions (a tf.cond branch), readers
keep their input, and the values stay within two float32 ulps of TensorFlow's own erfc over the
whole float32 range GELU sees, tails included (run in TensorFlow; the ConvNeXt cells of
runtime_tests/wild_graph_parity_test.py prove exact GELU in tfjs-node)."""

import numpy as np

from tfjs_export.converter.graph import erfc, op_check
from tfjs_export.converter.graph.tests.conftest import run_graph


def _all_ops(graph_def):
    return [n.op for n in graph_def.node] + [n.op for f in graph_def.library.function for n in f.node_def]


def _gelu_graph():
    """Exact GELU at the top level, and erfc inside a tf.cond branch (a library function)."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32, name="x")])
    def f(x):
        gelu = tf.nn.gelu(x, approximate=False)
        branch = tf.cond(tf.reduce_sum(x) > -1e9, lambda: tf.math.erfc(x * 0.5), lambda: x)
        return tf.identity(gelu, name="gelu"), tf.identity(branch, name="branch"), tf.identity(tf.math.erfc(x), name="erfc")

    graph = f.get_concrete_function().graph
    return graph.as_graph_def(), [t.name for t in graph.outputs]


def test_erfc_becomes_one_minus_erf_everywhere():
    before, fetches = _gelu_graph()
    after, _ = _gelu_graph()
    assert _all_ops(before).count("Erfc") == 3
    assert any(n.op == "Erfc" for f in before.library.function for n in f.node_def)  # in the branch
    assert erfc.rewrite_erfc(after) == 3
    assert "Erfc" not in _all_ops(after) and _all_ops(after).count("Erf") == 3
    assert not {"Erfc"} & set(op_check.unsupported_nodes(after))
    # tails included: erfc -> 2 for very negative x, -> 0 (and underflows) for large x
    x = np.concatenate([np.linspace(-12, 12, 4001), [-80.0, -5.5, 3.9, 9.3, 80.0]]).astype("float32")
    ours, theirs = run_graph(after, {"x:0": x}, fetches), run_graph(before, {"x:0": x}, fetches)
    for name, got, want in zip(("gelu", "branch", "erfc"), ours, theirs):
        # two float32 ulps of the value's scale: erf's own ulp near +-1 plus, for gelu, 0.5 x's rounding
        worst = np.max(np.abs(got - want) / (2.0 ** -22 * (np.abs(x) + 1)))
        assert worst <= 1, (name, worst)
    assert np.all(ours[2][x > 4] == 0) and np.all(ours[2][x < -4] == 2)


def test_a_graph_without_erfc_is_left_alone():
    import tensorflow as tf
    with tf.Graph().as_default() as graph:
        tf.math.erf(tf.compat.v1.placeholder(tf.float32, [2], name="x"), name="y")
    graph_def = graph.as_graph_def()
    copy = type(graph_def)()
    copy.CopyFrom(graph_def)
    assert erfc.rewrite_erfc(copy) == 0 and copy == graph_def
