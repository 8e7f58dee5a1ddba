"""undo_fusions: what grappler's remap pass fuses into ops TF.js lacks (with oneDNN, TensorFlow's
default on x86: `_FusedBatchNormEx`) is put back as it was; the fusions TF.js runs stay; outputs
unchanged (run in TensorFlow). `_MklLayerNorm` is covered end to end by the tf_keras layer-norm
case of runtime_tests/graph_wild_parity_test.py (its conversion fails the op check otherwise)."""

import numpy as np
import pytest

from tfjs_export.converter.graph import grappler, op_check, undo_fusions
from tfjs_export.converter.graph.freeze import TensorInfo
from tfjs_export.converter.graph.tests.conftest import ops_of, run_graph


def _graph_and_io(build, x_shape):
    import tensorflow as tf
    with tf.Graph().as_default() as graph:
        build(tf, tf.compat.v1.placeholder(tf.float32, x_shape, name="x"))
    return graph.as_graph_def(), [TensorInfo("x", "x:0", 1, x_shape)], [TensorInfo("y", "y:0", 1, None)]


def _batch_norm_relu(tf, x):
    """Conv2D + BiasAdd + ReLU (TF.js runs the fusion), then a batch norm on a sum + ReLU."""
    rng = np.random.default_rng(3)
    conv = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, rng.normal(size=(3, 3, 3, 4)).astype("float32"), 1, "SAME"),
                                     rng.normal(size=4).astype("float32")))
    params = [rng.normal(size=4).astype("float32") for _ in range(3)] + [rng.uniform(0.5, 1.5, 4).astype("float32")]
    y, _, _ = tf.compat.v1.nn.fused_batch_norm(conv + x[..., :1], *params, epsilon=1e-3, is_training=False)
    tf.identity(tf.nn.relu(y), name="y")


def _batch_norm_relu_fused_like_onednn(before):
    """`before` with its batch norm + ReLU fused as oneDNN's remapper fuses them: the batch norm
    node becomes `_FusedBatchNormEx` (activation_mode Relu) under its own name, the ReLU is removed
    and its readers read the fused node."""
    fused = type(before)()
    fused.CopyFrom(before)
    bn = next(n for n in fused.node if n.op == "FusedBatchNormV3")
    relu = next(n for n in fused.node if n.op == "Relu" and list(n.input) == [bn.name])
    bn.op = "_FusedBatchNormEx"
    bn.attr["activation_mode"].s = b"Relu"
    bn.attr["num_side_inputs"].i = 0
    for node in fused.node:
        node.input[:] = [bn.name if ref == relu.name else ref for ref in node.input]
    fused.node.remove(relu)
    return fused


@pytest.mark.parametrize("build, x_shape", [(_batch_norm_relu, [2, 6, 6, 3])])
def test_fusions_tfjs_lacks_are_undone(build, x_shape):
    graph_def, inputs, outputs = _graph_and_io(build, x_shape)
    before = grappler.optimize(graph_def, inputs, outputs)  # the first pass, as in the pipeline
    fused = grappler.optimize(before, inputs, outputs, grappler.FUSE_PASS)
    lacking = op_check.unsupported_nodes(fused)
    by_grappler = bool(lacking)
    if not by_grappler:
        # oneDNN fuses batch norm + ReLU only on CPUs it has kernels for (seen: not on an AMD EPYC
        # without AVX-512, where the remapper lowers the batch norm to Mul/Add instead): build its
        # output by hand, as the remapper writes it there.
        fused = _batch_norm_relu_fused_like_onednn(before)
        lacking = op_check.unsupported_nodes(fused)
        assert lacking == {"_FusedBatchNormEx": ["FusedBatchNormV3"]}, lacking
    assert undo_fusions.restore_unsupported(fused, before) == sum(len(v) for v in lacking.values())
    assert op_check.unsupported_nodes(fused) == {}
    if build is _batch_norm_relu and by_grappler:
        assert "_FusedConv2D" in ops_of(fused)  # the fusion TF.js runs is kept
    x = np.random.default_rng(5).normal(size=x_shape).astype("float32")
    np.testing.assert_allclose(run_graph(fused, {"x:0": x}, ["y:0"])[0], run_graph(before, {"x:0": x}, ["y:0"])[0],
                               rtol=1e-5, atol=1e-5)
