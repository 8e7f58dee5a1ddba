"""scale_after.py: a one-Mul per-channel dequantisation moves after its conv / matmul where the
output is smaller than the kernel; TensorFlow computes the same outputs before and after, and the
kernel is read as the stored integers with no op in front of it."""

import numpy as np
import pytest

from tfjs_export import codec
from tfjs_export.converter.graph import per_channel, scale_after
from tfjs_export.converter.graph.tests.conftest import run_graph
from tfjs_export.converter.graph.tensors import to_numpy
from tfjs_export.converter.quantization_plan import QuantizationPlan

KEEP = ["x", "y"]


def _centred_kernel(rng, shape):
    """Zero-centred weights whose output channels span 0.01 .. 10 (the one-Mul form's case): a
    channel's values come in +/- pairs, the negative ones 0.1% longer, where the reduced axes
    allow (an even count): nearly symmetric ranges, as a trained kernel's."""
    w = rng.normal(size=shape)
    flat = w.reshape(-1, shape[-1])
    if flat.shape[0] % 2 == 0:
        flat[flat.shape[0] // 2:] = -1.001 * flat[:flat.shape[0] // 2]
    return (flat.reshape(shape) * np.geomspace(0.01, 10, shape[-1])).astype("float32")


def _conv_graph(weights, bias=None, fused_ops=(), size=3, op="conv"):
    """x [None, size, size, C] -> `op` ("conv", "depthwise" or "matmul" on the flattened input)
    with the constant weights 'w' -> 'y'. With `fused_ops` (_FusedConv2D's list, e.g.
    ("BiasAdd", "Relu")) the conv becomes TensorFlow's fused kernel reading the Const 'b'."""
    import tensorflow as tf
    with tf.Graph().as_default() as graph:
        channels = weights.shape[0] if op == "matmul" else weights.shape[2]
        x = tf.compat.v1.placeholder(tf.float32, [None, channels] if op == "matmul" else
                                     [None, size, size, channels], name="x")
        w = tf.constant(weights, name="w")
        if bias is not None:
            tf.constant(bias, name="b")
        if op == "matmul":
            y = tf.matmul(x, w, name="conv")
        elif op == "depthwise":
            y = tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "SAME", name="conv")
        else:
            y = tf.nn.conv2d(x, w, 1, "SAME", name="conv")
        tf.identity(y, name="y")
    graph_def = graph.as_graph_def()
    if fused_ops:
        conv = next(n for n in graph_def.node if n.name == "conv")
        conv.op = "_FusedConv2D"
        conv.input.append("b")
        conv.attr["fused_ops"].list.s.extend(op.encode() for op in fused_ops)
        conv.attr["num_args"].i = 1
        conv.attr["epsilon"].f = 0.0
        conv.attr["TArgs"].list.type.append(1)  # DT_FLOAT
    return graph_def


def _as_written(graph_def, plan):
    """A copy of graph_def with its bias 'b' as TF.js decodes it once written (the reference the
    moved graph must match: it divides the decoded bias)."""
    from tfjs_export.converter.graph.nodes import make_const
    copy = type(graph_def)()
    copy.CopyFrom(graph_def)
    for node in copy.node:
        if node.name == "b":
            bias = to_numpy(node.attr["value"].tensor)
            decoded = scale_after._decoded(plan, "b", bias)
            node.attr["value"].tensor.CopyFrom(make_const("b", decoded).attr["value"].tensor)
    return copy


def _assert_close(y, reference):
    """Equal to float32 rounding of sums over hundreds of terms: 1e-5 of the output's scale."""
    np.testing.assert_allclose(y, reference, rtol=0, atol=1e-5 * float(np.abs(reference).max()))


def _one_mul(graph_def, plan):
    """graph_def after per_channel.py, asserting it chose the one-Mul form for 'w'."""
    assert per_channel.quantize_per_channel(graph_def, plan) == 1
    nodes = {n.name: n for n in graph_def.node}
    assert nodes["w/dequantize"].op == "Mul" and list(nodes["w/dequantize"].input) == ["w", "w/dequantize/scale"]
    return graph_def


@pytest.mark.parametrize("fused_ops", [(), ("BiasAdd",), ("BiasAdd", "Relu"), ("BiasAdd", "Relu6")])
def test_the_mul_moves_after_the_conv_and_the_outputs_stay(rng, fused_ops):
    """conv(x, k * s) + b -> (conv(x, k) + b / s) * s; Relu commutes with s > 0, Relu6 is split
    off the fused kernel and runs after the Mul."""
    weights = _centred_kernel(rng, (3, 3, 32, 24))  # 6,912 kernel values, 3 * 3 * 24 = 216 output values
    bias = rng.normal(size=24).astype("float32")
    feeds = {"x:0": rng.normal(size=(2, 3, 3, 32)).astype("float32")}
    plan = QuantizationPlan(uint8=None)
    graph_def = _one_mul(_conv_graph(weights, bias, fused_ops), plan)
    before = run_graph(_as_written(graph_def, plan), feeds, ["y:0"])[0]
    assert scale_after.move_scales_after(graph_def, KEEP, plan) == 1
    nodes = {n.name: n for n in graph_def.node}
    conv = nodes["conv"]
    assert conv.input[1] == "w"  # the integers, decoded at load: no op in front of the kernel
    assert list(nodes["w/dequantize"].input) == ["conv", "w/dequantize/scale"]
    assert to_numpy(nodes["w/dequantize/scale"].attr["value"].tensor).shape == (24,)
    reader = nodes[nodes["y"].input[0]]
    if "Relu6" in fused_ops:
        assert reader.op == "Relu6" and list(reader.input) == ["w/dequantize"]
        assert [op.decode() for op in conv.attr["fused_ops"].list.s] == ["BiasAdd"]
    else:
        assert reader.name == "w/dequantize"
    if fused_ops:
        assert conv.input[2] == "w/dequantize/bias"
        assert "w/dequantize/bias" in per_channel.dequantization_vector_names(graph_def)  # kept float32
    _assert_close(run_graph(graph_def, feeds, ["y:0"])[0], before)


def test_the_bias_is_divided_as_tfjs_decodes_it(rng):
    """The bias the writer would quantise (32 values, not tiny: per_tensor's folded form) is
    decoded with the plan's rounding before the division, so the moved graph computes what the
    unmoved one did; per_channel keeps the bias float32 (one value per channel), divided as is."""
    weights = _centred_kernel(rng, (3, 3, 16, 32))
    bias = rng.normal(size=32).astype("float32")
    decoded = codec.dequantize(*codec.quantize(bias, "uint8"))
    assert not np.array_equal(decoded, bias)
    for per_channel_granularity, expected in ((False, decoded), (True, bias)):
        plan = QuantizationPlan(uint8=None)
        graph_def = _conv_graph(weights, bias, ("BiasAdd",))
        fold = None if per_channel_granularity else {"w": np.geomspace(0.05, 5, 32)}
        if fold:  # stored unfolded: a folding that made the per-tensor rounding much worse
            graph_def = _conv_graph((rng.normal(size=weights.shape) * fold["w"]).astype("float32"), bias, ("BiasAdd",))
        assert per_channel.quantize_per_channel(graph_def, plan, per_channel_granularity, fold) == 1
        scale = to_numpy(next(n for n in graph_def.node if n.name == "w/dequantize/scale").attr["value"].tensor)
        assert scale_after.move_scales_after(graph_def, KEEP, plan) == 1
        divided = to_numpy(next(n for n in graph_def.node if n.name == "w/dequantize/bias").attr["value"].tensor)
        np.testing.assert_array_equal(divided, (expected.astype(np.float64) / scale.reshape(-1)).astype(np.float32))


@pytest.mark.parametrize("op", ["depthwise", "matmul"])
def test_depthwise_and_matmul_scales_move_along_their_output_channels(rng, op):
    """A depthwise kernel [h, w, in, m] scales output channel in * m + j; a matmul's its columns.
    (matmuls are per-channel with a folded batch norm: fold_scales marks one here.)"""
    if op == "depthwise":
        weights = (_centred_kernel(rng, (2, 2, 6, 2)) * np.geomspace(0.05, 5, 6)[None, None, :, None]).astype("float32")
        size, feed = 1, (2, 1, 1, 6)  # 48 kernel values, 12 output values
    else:
        weights = _centred_kernel(rng, (64, 8))
        size, feed = None, (3, 64)
    plan = QuantizationPlan(uint8=None)
    graph_def = _conv_graph(weights, size=size, op=op)
    fold = {"w": np.ones(8)} if op == "matmul" else None
    assert per_channel.quantize_per_channel(graph_def, plan, fold_scales=fold) == 1
    assert next(n for n in graph_def.node if n.name == "w/dequantize").op == "Mul"
    feeds = {"x:0": rng.normal(size=feed).astype("float32")}
    before = run_graph(graph_def, feeds, ["y:0"])[0]
    assert scale_after.move_scales_after(graph_def, KEEP, plan) == 1
    assert next(n for n in graph_def.node if n.name == "conv").input[1] == "w"
    _assert_close(run_graph(graph_def, feeds, ["y:0"])[0], before)


def test_the_mul_stays_where_the_output_is_larger_or_a_graph_output(rng):
    weights = _centred_kernel(rng, (3, 3, 4, 24))  # 864 kernel values
    plan = QuantizationPlan(uint8=None)
    large = _one_mul(_conv_graph(weights, size=12), plan)  # 12 * 12 * 24 = 3,456 output values
    before = large.SerializeToString()
    assert scale_after.move_scales_after(large, KEEP, plan) == 0 and large.SerializeToString() == before
    small = _one_mul(_conv_graph(weights, size=3), plan)  # 216 output values, but the conv is an output node
    assert scale_after.move_scales_after(small, KEEP + ["conv"], plan) == 0
    assert scale_after.move_scales_after(small, KEEP, plan) == 1


def test_a_non_commuting_activation_counts_twice(rng):
    """Relu6 split off runs a second output-sized op: the Mul moves only if twice the output is
    still fewer values than the kernel."""
    plan = QuantizationPlan(uint8=None)
    weights = _centred_kernel(rng, (1, 1, 12, 24))  # 288 kernel values; output 3 * 3 * 24 = 216
    bias = rng.normal(size=24).astype("float32")
    for fused_ops, moved in ((("BiasAdd", "Relu"), 1), (("BiasAdd", "Relu6"), 0)):
        graph_def = _one_mul(_conv_graph(weights, bias, fused_ops), plan)
        assert scale_after.move_scales_after(graph_def, KEEP, plan) == moved


def test_output_sizes_reads_shapes_without_the_weights(rng):
    weights = _centred_kernel(rng, (3, 3, 4, 24))
    assert scale_after.output_sizes(_conv_graph(weights, size=5), ["conv", "x", "absent"]) == \
        {"conv": 5 * 5 * 24, "x": 5 * 5 * 4}
