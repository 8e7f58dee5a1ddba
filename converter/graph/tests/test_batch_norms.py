"""batch_norms: training-mode and channels-first batch norms become elementwise ops, and the
remapper's `_FusedBatchNormEx` / `_MklLayerNorm` are split; outputs unchanged (run in TF)."""

import numpy as np
import pytest

from tfjs_export.converter.graph import batch_norms
from tfjs_export.converter.graph.tests.conftest import ops_of, run_graph


def _graph(build):
    import tensorflow as tf
    with tf.Graph().as_default() as graph:
        build(tf)
    return graph.as_graph_def()


@pytest.mark.parametrize("training, data_format", [(True, "NCHW"), (True, "NHWC"), (False, "NCHW")])
def test_lowered_batch_norm_computes_the_same(rng, training, data_format):
    channels = 5
    gamma, beta, mean = (rng.normal(size=channels).astype("float32") for _ in range(3))
    var = rng.uniform(0.5, 1.5, channels).astype("float32")
    shape = [None, channels, 4, 3] if data_format == "NCHW" else [None, 4, 3, channels]

    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, shape, name="x")
        y, _, _ = tf.compat.v1.nn.fused_batch_norm(
            x, gamma, beta, None if training else mean, None if training else var, epsilon=1e-3,
            data_format=data_format, is_training=training)
        tf.identity(y, name="y")

    before, after = _graph(build), _graph(build)
    assert batch_norms.lower_batch_norms(after) == 1
    assert not {"FusedBatchNorm", "FusedBatchNormV3"} & set(ops_of(after))
    x = rng.normal(size=[2] + shape[1:]).astype("float32")
    np.testing.assert_allclose(run_graph(after, {"x:0": x}, ["y:0"])[0], run_graph(before, {"x:0": x}, ["y:0"])[0],
                               rtol=1e-5, atol=1e-5)


def test_inference_channels_last_batch_norm_is_kept(rng):
    def build(tf):
        x = tf.compat.v1.placeholder(tf.float32, [None, 4, 4, 3], name="x")
        ones = np.ones(3, np.float32)
        y, _, _ = tf.compat.v1.nn.fused_batch_norm(x, ones, ones, ones, ones, is_training=False)
        tf.identity(y, name="y")

    graph = _graph(build)
    assert batch_norms.lower_batch_norms(graph) == 0
    assert "FusedBatchNormV3" in ops_of(graph)
