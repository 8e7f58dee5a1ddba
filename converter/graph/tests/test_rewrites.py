"""The TF.js rewrites (fold_batch_norms, bias_add, fused_ops): each one changes the graph the
way TF.js wants it and leaves its outputs unchanged (checked by running both in TensorFlow)."""

import numpy as np

from tfjs_export.converter.graph import bias_add, fold_batch_norms, fused_ops
from tfjs_export.converter.graph.tests.conftest import ops_of, run_graph


def _graph(build):
    """GraphDef of build(tf) -> output tensor; input placeholder named 'x'."""
    import tensorflow as tf
    with tf.Graph().as_default() as graph:
        build(tf)
    return graph.as_graph_def()


def _same_outputs(before, after, feeds, fetch="y:0"):
    np.testing.assert_allclose(run_graph(after, feeds, [fetch])[0], run_graph(before, feeds, [fetch])[0],
                               rtol=1e-5, atol=1e-5)


def test_fused_batch_norm_folds_into_conv(rng):
    w = rng.normal(size=(3, 3, 2, 4)).astype("float32")
    gamma, beta, mean = (rng.normal(size=4).astype("float32") for _ in range(3))
    var = (np.abs(rng.normal(size=4)) + 0.5).astype("float32")

    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, [None, 6, 6, 2], name="x")
        conv = tf.nn.conv2d(x, tf.constant(w), 1, "SAME")
        y, _, _ = tf.compat.v1.nn.fused_batch_norm(conv, gamma, beta, mean, var, epsilon=1e-3, is_training=False)
        tf.identity(y, name="y")

    before = _graph(build)
    after = _graph(build)
    assert "FusedBatchNormV3" in ops_of(before)
    assert fold_batch_norms.fold_batch_norms(after) == 1
    assert "FusedBatchNormV3" not in ops_of(after) and "BiasAdd" in ops_of(after)
    _same_outputs(before, after, {"x:0": rng.normal(size=(2, 6, 6, 2)).astype("float32")})


def test_scale_after_matmul_and_biased_depthwise_folds(rng):
    w, s1 = rng.normal(size=(5, 3)).astype("float32"), rng.normal(size=3).astype("float32")
    dw = rng.normal(size=(3, 3, 2, 2)).astype("float32")
    bias, s2 = rng.normal(size=4).astype("float32"), rng.normal(size=4).astype("float32")

    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, [None, 5], name="x")
        a = tf.matmul(x, tf.constant(w)) * tf.constant(s1)
        image = tf.reshape(tf.tile(a, [1, 24]), [-1, 6, 6, 2])
        d = tf.nn.bias_add(tf.nn.depthwise_conv2d(image, tf.constant(dw), [1, 1, 1, 1], "VALID"), bias)
        d = d * tf.constant(s2)
        tf.identity(tf.reduce_sum(d, axis=[1, 2]), name="y")

    before = _graph(build)
    after = _graph(build)
    assert fold_batch_norms.fold_batch_norms(after) == 2
    assert "Mul" not in ops_of(after)
    _same_outputs(before, after, {"x:0": rng.normal(size=(3, 5)).astype("float32")})


def test_per_element_scale_is_not_folded(rng):
    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, [None, 5], name="x")
        tf.identity(tf.matmul(x, tf.constant(rng.normal(size=(5, 3)).astype("float32")))
                    * tf.constant(rng.normal(size=(2, 3)).astype("float32")), name="y")

    graph_def = _graph(build)
    assert fold_batch_norms.fold_batch_norms(graph_def) == 0


def test_add_becomes_bias_add_and_biases_merge(rng):
    w, dw = rng.normal(size=(1, 1, 3, 2)).astype("float32"), rng.normal(size=(1, 1, 2, 1)).astype("float32")
    b1, b2, b3 = (rng.normal(size=2).astype("float32") for _ in range(3))

    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, [None, 4, 4, 3], name="x")
        a = tf.add(tf.nn.conv2d(x, tf.constant(w), 1, "SAME"), tf.constant(b1))
        d = tf.nn.bias_add(tf.nn.depthwise_conv2d(a, tf.constant(dw), [1, 1, 1, 1], "SAME"), b2)
        tf.identity(tf.add(d, tf.constant(b3)), name="y")

    before = _graph(build)
    after = _graph(build)
    assert bias_add.normalise_bias_adds(after) == 2
    assert "AddV2" not in ops_of(after) and "Add" not in ops_of(after)
    _same_outputs(before, after, {"x:0": rng.normal(size=(2, 4, 4, 3)).astype("float32")})


def test_depthwise_bias_relu6_fuse(rng):
    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, [None, 4, 4, 2], name="x")
        d = tf.nn.depthwise_conv2d(x, tf.constant(rng.normal(size=(3, 3, 2, 1)).astype("float32")),
                                   [1, 1, 1, 1], "SAME")
        tf.identity(tf.nn.relu6(tf.nn.bias_add(d, tf.constant([0.1, 0.2]))), name="y")

    graph_def = _graph(build)
    assert fused_ops.fuse_depthwise(graph_def) == 1
    (fused,) = [n for n in graph_def.node if n.op == "FusedDepthwiseConv2dNative"]
    assert list(fused.attr["fused_ops"].list.s) == [b"BiasAdd", b"Relu6"] and fused.attr["num_args"].i == 1
    assert fused.name == "Relu6" and len(fused.input) == 3
    assert "DepthwiseConv2dNative" not in ops_of(graph_def) and "BiasAdd" not in ops_of(graph_def)


def test_fused_conv_tfjs_cannot_run_is_split(rng):
    w = rng.normal(size=(3, 3, 2, 3)).astype("float32")
    b = rng.normal(size=3).astype("float32")

    def reference(tf):
        x = tf.compat.v1.placeholder(tf.float32, [None, 5, 5, 2], name="x")
        tf.identity(tf.tanh(tf.nn.bias_add(tf.nn.conv2d(x, tf.constant(w), 1, "SAME"), b)), name="y")

    graph_def = _graph(reference)
    by_op = {n.op: n for n in graph_def.node}
    conv, tanh = by_op["Conv2D"], by_op["Tanh"]
    conv.op = "_FusedConv2D"  # what grappler's remapper writes for conv + bias + tanh
    conv.input.append(by_op["BiasAdd"].input[1])
    conv.attr["fused_ops"].list.s.extend([b"BiasAdd", b"Tanh"])
    conv.attr["num_args"].i = 1
    conv.name = tanh.name  # the fused node replaces the chain and keeps its last name
    kept = [n for n in graph_def.node if n.op not in ("BiasAdd", "Tanh")]
    del graph_def.node[:]
    graph_def.node.extend(kept)
    assert not fused_ops.runs_in_tfjs([b"BiasAdd", b"Tanh"]) and fused_ops.runs_in_tfjs([b"BiasAdd", b"Relu"])
    assert fused_ops.unfuse_unsupported(graph_def) == 1
    assert "_FusedConv2D" not in ops_of(graph_def)
    feeds = {"x:0": rng.normal(size=(2, 5, 5, 2)).astype("float32")}
    _same_outputs(_graph(reference), graph_def, feeds)


def test_control_edges_are_dropped_and_loop_still_runs(model_files, rng):
    from tfjs_export.converter.graph import control_deps
    from tfjs_export.converter.graph.freeze import freeze
    from tfjs_export.converter.graph.load import load_function
    frozen = freeze(load_function(model_files["while_loop"], "tf_saved_model"))
    graph_def = frozen.graph_def
    assert any(r.startswith("^") for n in graph_def.node for r in n.input)
    assert control_deps.drop_control_inputs(graph_def) > 0
    assert not any(r.startswith("^") for n in graph_def.node for r in n.input)
    assert {"Enter", "Exit", "LoopCond"} <= set(ops_of(graph_def))


def test_control_edges_kept_when_side_effects():
    from tensorflow.core.framework import graph_pb2
    from tfjs_export.converter.graph import control_deps
    graph_def = graph_pb2.GraphDef()
    graph_def.node.add(name="a", op="Assert")
    graph_def.node.add(name="y", op="Identity", input=["x", "^a"])
    assert control_deps.drop_control_inputs(graph_def) == 0 and list(graph_def.node[1].input) == ["x", "^a"]


def test_constant_folding_computes_batch_norm_parameters_in_numpy(rng):
    from tfjs_export.converter.graph.const_fold import fold_constants
    gamma, beta, mean, var = (rng.uniform(0.5, 2, size=4).astype("float32") for _ in range(4))

    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        inv = tf.math.rsqrt(tf.identity(tf.constant(var)) + 1e-3) * tf.constant(gamma)
        offset = tf.constant(beta) - tf.constant(mean) * inv
        wide = tf.reshape(tf.constant(gamma), [4, 1]) * tf.constant(beta)  # 16 values from 4: kept
        tf.identity(x * inv + offset + tf.reduce_sum(wide), name="y")

    before = _graph(build)
    after = _graph(build)
    assert fold_constants(after, keep={"x", "y"}) >= 7
    ops = [n.op for n in after.node]
    assert "Rsqrt" not in ops and "Sub" not in ops and ops.count("Identity") == 1  # only y stays
    assert ops.count("Mul") == 2  # x * inv, and the broadcast that would have grown
    _same_outputs(before, after, {"x:0": rng.normal(size=(3, 4)).astype("float32")})


def test_keras3_batch_norm_offset_shaped_1_1_1_c_becomes_a_bias(rng):
    """Keras 3 reshapes batch-norm parameters to [1, 1, 1, C]; adding one after a conv's BiasAdd
    is still a per-channel bias (merged), but not after a MatMul (it would broadcast to rank 4)."""
    w, b, offset = (rng.normal(size=s).astype("float32") for s in ((1, 1, 3, 4), (4,), (1, 1, 1, 4)))

    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, [None, 5, 5, 3], name="x")
        conv = tf.nn.bias_add(tf.nn.conv2d(x, tf.constant(w), 1, "VALID"), tf.constant(b))
        tf.identity(conv + tf.constant(offset), name="y")
        dense = tf.nn.bias_add(tf.matmul(tf.reshape(x, [-1, 75]), tf.constant(w.reshape(3, 4).repeat(25, 0))),
                               tf.constant(b))
        tf.identity(dense + tf.constant(offset), name="z")

    before, after = _graph(build), _graph(build)
    assert bias_add.normalise_bias_adds(after) == 1
    ops = {n.name: n.op for n in after.node}
    assert ops["add"] == "BiasAdd" and ops["add_1"] == "AddV2"
    feeds = {"x:0": rng.normal(size=(2, 5, 5, 3)).astype("float32")}
    _same_outputs(before, after, feeds)
    _same_outputs(before, after, feeds, fetch="z:0")


def test_fused_hard_swish_is_split_into_ops_tfjs_runs(rng):
    """oneDNN's remapper fuses MobileNetV3's hard swish into the conv (`_FusedHardSwish`); TF.js
    fails at predict on it, so the op check names it and unfuse_unsupported writes it out."""
    from tfjs_export.converter.graph import op_check
    w = rng.normal(size=(3, 3, 2, 3)).astype("float32")
    b = rng.normal(size=3).astype("float32")

    def reference(tf):
        x = tf.compat.v1.placeholder(tf.float32, [None, 5, 5, 2], name="x")
        y = tf.nn.bias_add(tf.nn.conv2d(x, tf.constant(w), 1, "SAME"), b)
        tf.identity(y * (tf.nn.relu6(y + 3.0) * (1.0 / 6.0)), name="y")

    graph_def = _graph(reference)
    conv = next(n for n in graph_def.node if n.op == "Conv2D")
    bias = next(n for n in graph_def.node if n.op == "BiasAdd")
    output = next(n for n in graph_def.node if n.name == "y")
    conv.op = "_FusedConv2D"  # what the remapper writes, under the output's name here
    conv.input.append(bias.input[1])
    conv.attr["fused_ops"].list.s.extend([b"BiasAdd", b"_FusedHardSwish"])
    conv.attr["num_args"].i = 1
    output.input[0] = conv.name
    from tfjs_export.converter.graph.nodes import prune_unused
    prune_unused(graph_def, ["x", "y"])
    assert ops_of(graph_def) == ["Const", "Identity", "Placeholder", "_FusedConv2D"]
    assert op_check.unsupported_nodes(graph_def) == {"_FusedConv2D fused with BiasAdd+_FusedHardSwish": [conv.name]}
    assert fused_ops.unfuse_unsupported(graph_def) == 1
    assert op_check.unsupported_nodes(graph_def) == {}
    assert {"Relu6", "Mul", "AddV2"} <= set(ops_of(graph_def)) and "_FusedConv2D" not in ops_of(graph_def)
    feeds = {"x:0": rng.normal(size=(2, 5, 5, 2)).astype("float32") * 3}
    _same_outputs(_graph(reference), graph_def, feeds)
