"""per_channel.py: uint8/uint16 weights get one range per output channel (or keep the rounding of
their unfolded values), as exact integers dequantised by Mul/Add in the graph; the graph computes
what it says (run in TensorFlow) and the written manifest stores the integers losslessly."""

import json

import numpy as np
import pytest

from tfjs_export import codec
from tfjs_export.converter.graph import per_channel
from tfjs_export.converter.graph.tests.conftest import run_graph
from tfjs_export.converter.quantization_plan import QuantizationPlan


def _conv_graph(weights, depthwise=False):
    """x [None, 6, 6, C] -> conv (or depthwise conv) with the constant `weights` named 'w' -> 'y'."""
    import tensorflow as tf
    with tf.Graph().as_default() as graph:
        x = tf.compat.v1.placeholder(tf.float32, [None, 6, 6, weights.shape[2]], name="x")
        w = tf.constant(weights, name="w")
        y = (tf.nn.depthwise_conv2d(x, w, [1, 1, 1, 1], "VALID") if depthwise
             else tf.nn.conv2d(x, w, 1, "VALID"))
        tf.identity(y, name="y")
    return graph.as_graph_def()


def _spread_channels(rng, shape, axis=-1):
    """Weights whose output channels span ranges 0.01 .. 10 (as batch-norm folding makes them)."""
    scales = np.geomspace(0.01, 10, shape[axis])
    return (rng.normal(size=shape) * scales).astype("float32")


def test_channel_ranges_follow_the_nudged_zero_rule():
    w = np.array([[-1.0, 0.5], [3.0, 1.0], [0.0, 2.5]], np.float32)  # channels: [-1, 3], [0.5, 2.5]
    q, scale, low = per_channel.quantize_channels(w, (1,), 255)
    s0 = 4.0 / 255
    assert scale[0, 0] == np.float32(s0) and low[0, 0] == np.float32(-np.round(1.0 / s0) * s0)
    assert scale[0, 1] == np.float32(2.0 / 255) and low[0, 1] == np.float32(0.5)  # no zero in range: no nudge
    np.testing.assert_array_equal(q[:, 1], [0, 64, 255])  # 1.0 is 63.75 steps above 0.5
    assert q.min() == 0 and q.max() == 255 and np.all(q == np.round(q))
    decoded = per_channel.dequantize_channels(q, scale, low)
    assert np.all(np.abs(decoded - w) <= scale / 2 + 1e-7)


@pytest.mark.parametrize("depthwise", [False, True])
def test_conv_weights_get_a_per_channel_dequantisation(rng, depthwise):
    weights = _spread_channels(rng, (3, 3, 4, 2 if depthwise else 8))
    if depthwise:  # one range per (input channel, multiplier)
        weights = (weights * np.geomspace(0.05, 5, 4)[None, None, :, None]).astype("float32")
    graph_def = _conv_graph(weights, depthwise)
    feeds = {"x:0": rng.normal(size=(2, 6, 6, 4)).astype("float32")}
    float_out = run_graph(graph_def, feeds, ["y:0"])[0]
    assert per_channel.quantize_per_channel(graph_def, QuantizationPlan(uint8=None)) == 1
    nodes = {n.name: n for n in graph_def.node}
    q = per_channel.choose(weights, (2, 3) if depthwise else (3,), "uint8")
    mul = "w/dequantize" if q[2] is None else "w/dequantize/mul"  # the symmetric form: one Mul
    assert nodes[mul].op == "Mul" and list(nodes[mul].input) == ["w", "w/dequantize/scale"]
    assert nodes["w/dequantize"].op == ("Mul" if q[2] is None else "Add")
    conv = next(n for n in graph_def.node if n.op in ("Conv2D", "DepthwiseConv2dNative"))
    assert conv.input[1] == "w/dequantize"
    assert per_channel.dequantization_vector_names(graph_def) == \
        {"w/dequantize/scale"} | ({"w/dequantize/min"} if q[2] is not None else set())
    from tfjs_export.converter.graph.tensors import to_numpy
    np.testing.assert_array_equal(to_numpy(nodes["w"].attr["value"].tensor), q[0])
    np.testing.assert_array_equal(to_numpy(nodes["w/dequantize/scale"].attr["value"].tensor), q[1])
    assert q[1].shape == ((1, 1, 4, 2) if depthwise else (1, 1, 1, 8))
    # The graph computes the conv with exactly the dequantised weights...
    expected = run_graph(_conv_graph(per_channel.dequantize_channels(*q), depthwise), feeds, ["y:0"])[0]
    np.testing.assert_allclose(run_graph(graph_def, feeds, ["y:0"])[0], expected, rtol=1e-6, atol=1e-6)
    # ...which is much nearer the float outputs, channel by channel, than one range per tensor.
    per_tensor = codec.dequantize(*codec.quantize(weights, "uint8"))
    tensor_out = run_graph(_conv_graph(per_tensor, depthwise), feeds, ["y:0"])[0]
    relative = lambda y: np.mean(np.abs(y - float_out).max(axis=(0, 1, 2)) / np.abs(float_out).max(axis=(0, 1, 2)))
    assert relative(expected) < 0.2 * relative(tensor_out)


def test_mse_range_clips_a_channel_only_where_its_squared_error_drops(rng):
    """--quantization_range mse: per channel, the clipping of CLIP_CANDIDATES with the least squared
    error. With 16 levels (qmax 15) clipping a Laplace channel pays; at uint8 a Gaussian channel's
    max lies below its best clipping point, so min/max stays, bit for bit."""
    heavy = rng.laplace(size=(3, 3, 64, 4)).astype("float32")
    gaussian = rng.normal(size=(3, 3, 64, 4)).astype("float32")
    for weights, qmax, clipped in ((heavy, 15, True), (gaussian, 255, False)):
        minmax = per_channel.quantize_channels(weights, (3,), qmax)
        mse = per_channel.quantize_channels(weights, (3,), qmax, "mse")
        assert mse[0].min() == 0 and mse[0].max() == qmax and np.all(mse[0] == np.round(mse[0]))
        errors = [((per_channel.dequantize_channels(*q) - weights).astype(np.float64) ** 2).sum(axis=(0, 1, 2))
                  for q in (minmax, mse)]
        assert np.all(errors[1] <= errors[0])  # never worse, channel by channel
        if clipped:
            assert np.all(mse[1] < minmax[1]) and np.all(errors[1] < 0.9 * errors[0])
        else:
            for a, b in zip(minmax, mse):
                np.testing.assert_array_equal(a, b)
    with pytest.raises(Exception, match="--quantization_range mse applies to --quantization_granularity per_channel"):
        from tfjs_export.converter.options import ConvertOptions
        ConvertOptions(output_format="tfjs_graph_model", quantize_uint8=None, quantization_range="mse")


def test_symmetric_form_where_it_costs_little_affine_elsewhere(rng):
    """Zero-centred channels: integers -128..127 times a scale vector, one Mul in the graph.
    One-sided channels (all positive: a symmetric range wastes half its levels): Mul and Add."""
    import tensorflow as tf  # noqa: F401  (run_graph)
    centred = _spread_channels(rng, (3, 3, 48, 8))  # 432 values a channel: min and max nearly opposite
    one_sided = (np.abs(centred) + 0.1 * np.geomspace(0.01, 10, 8)).astype("float32")
    for weights, op in ((centred, "Mul"), (one_sided, "Add")):
        graph_def = _conv_graph(weights)
        assert per_channel.quantize_per_channel(graph_def, QuantizationPlan(uint8=None)) == 1
        nodes = {n.name: n for n in graph_def.node}
        assert nodes["w/dequantize"].op == op and ("w/dequantize/min" in nodes) == (op == "Add")
        chosen = per_channel.choose(weights, (3,), "uint8")
        assert (chosen[2] is None) == (op == "Mul")
        feeds = {"x:0": rng.normal(size=(2, 6, 6, 48)).astype("float32")}
        expected = run_graph(_conv_graph(per_channel.dequantize_channels(*chosen)), feeds, ["y:0"])[0]
        np.testing.assert_allclose(run_graph(graph_def, feeds, ["y:0"])[0], expected, rtol=1e-5, atol=1e-5)
    k, scale, _ = per_channel.quantize_channels_symmetric(centred, (3,), 255)
    assert k.min() == -128 and k.max() == 127 and scale.shape == (1, 1, 1, 8)
    assert np.all(np.abs(per_channel.dequantize_channels(k, scale, None) - centred) <= scale / 2 * (1 + 1e-6))


def test_symmetric_channels_still_reach_both_ends(rng):
    """Channels nearly symmetric ([-1.001 a, a]) map to -127..127 with the smallest scales: one
    channel's scale changes (by < 1.6%) so the tensor holds -128 and 127 and decodes exactly
    per tensor, every value still within half a step."""
    half = rng.normal(size=(3, 3, 8, 16)) * np.geomspace(0.1, 3, 16)
    weights = np.concatenate([half, -1.001 * half], axis=2).astype("float32")
    k, scale, _ = per_channel.quantize_channels_symmetric(weights, (3,), 255)
    assert k.min() == -128 and k.max() == 127
    smallest = np.maximum(-weights.min(axis=(0, 1, 2)) / 128, weights.max(axis=(0, 1, 2)) / 127)
    changed = scale.reshape(-1) / smallest
    assert 1 <= np.sum(np.abs(changed - 1) > 1e-6) <= 2 and np.all(np.abs(changed - 1) < 0.016)
    assert np.all(np.abs(per_channel.dequantize_channels(k, scale, None) - weights) <= scale / 2 * (1 + 1e-6))


def test_weights_that_gain_nothing_stay_per_tensor(rng):
    """Channels drawn alike: one range per tensor is about as good, so no ops are added."""
    graph_def = _conv_graph(rng.normal(size=(3, 3, 32, 8)).astype("float32"))
    before = graph_def.SerializeToString()
    assert per_channel.quantize_per_channel(graph_def, QuantizationPlan(uint8=None)) == 0
    assert graph_def.SerializeToString() == before


def test_only_uint8_and_uint16_weights_of_the_plan(rng):
    weights = _spread_channels(rng, (3, 3, 4, 8))
    for plan in (QuantizationPlan(), QuantizationPlan(float16=None), QuantizationPlan(uint8=["other*"])):
        graph_def = _conv_graph(weights)
        assert per_channel.quantize_per_channel(graph_def, plan) == 0
    graph_def = _conv_graph(weights)
    assert per_channel.quantize_per_channel(graph_def, QuantizationPlan(uint16=["w"])) == 1
    q = next(n for n in graph_def.node if n.name == "w")
    from tfjs_export.converter.graph.tensors import to_numpy
    assert to_numpy(q.attr["value"].tensor).max() in (65535, 32767)  # affine q 0..65535, or k -32768..32767


def test_per_tensor_granularity_keeps_the_rounding_of_the_unfolded_weights(rng):
    """A folded batch-norm scale k: the Const holds the unfolded weight w/k (the writer quantises
    it with one range, as TF.js would store Keras's own weight), and the graph multiplies by k:
    one Mul, the rounding error that of the unfolded weight times k."""
    unfolded = rng.normal(size=(3, 3, 4, 8)).astype("float32")
    k = np.geomspace(0.02, 4, 8)
    folded = (unfolded * k).astype("float32")
    graph_def = _conv_graph(folded)
    plan = QuantizationPlan(uint8=None)
    assert per_channel.quantize_per_channel(_conv_graph(folded), plan, per_channel=False) == 0  # no record
    assert per_channel.quantize_per_channel(graph_def, plan, per_channel=False, fold_scales={"w": k}) == 1
    nodes = {n.name: n for n in graph_def.node}
    from tfjs_export.converter.graph.tensors import to_numpy
    k32 = k.reshape(1, 1, 1, 8).astype("float32")
    np.testing.assert_array_equal(to_numpy(nodes["w"].attr["value"].tensor), (folded / k32).astype("float32"))
    np.testing.assert_array_equal(to_numpy(nodes["w/dequantize/scale"].attr["value"].tensor), k32)
    assert nodes["w/dequantize"].op == "Mul" and "w/dequantize/min" not in nodes
    assert per_channel.dequantization_vector_names(graph_def) == {"w/dequantize/scale"}  # w: quantised
    feeds = {"x:0": rng.normal(size=(2, 6, 6, 4)).astype("float32")}
    np.testing.assert_allclose(run_graph(graph_def, feeds, ["y:0"])[0],
                               run_graph(_conv_graph(folded), feeds, ["y:0"])[0], rtol=1e-5, atol=1e-5)


def test_matmuls_only_with_a_folded_batch_norm(rng):
    """A Dense / recurrent kernel's small channels carry little of the output (a trained LSTM got
    worse per channel): matmul weights get per-channel ranges only when a batch norm was folded in."""
    import tensorflow as tf
    weights = _spread_channels(rng, (16, 6), axis=1)
    with tf.Graph().as_default() as graph:
        x = tf.compat.v1.placeholder(tf.float32, [None, 16], name="x")
        tf.identity(tf.matmul(x, tf.constant(weights, name="w")), name="y")
    plan = QuantizationPlan(uint8=None)
    assert per_channel.quantize_per_channel(graph.as_graph_def(), plan) == 0
    graph_def = graph.as_graph_def()
    assert per_channel.quantize_per_channel(graph_def, plan, fold_scales={"w": np.ones(6)}) == 1
    q = per_channel.choose(weights, (1,), "uint8")
    feeds = {"x:0": rng.normal(size=(3, 16)).astype("float32")}
    np.testing.assert_allclose(run_graph(graph_def, feeds, ["y:0"])[0],
                               feeds["x:0"] @ per_channel.dequantize_channels(*q), rtol=1e-5, atol=1e-5)


def test_a_weight_read_by_something_else_is_left_alone(rng):
    import tensorflow as tf
    weights = _spread_channels(rng, (4, 6), axis=1)
    with tf.Graph().as_default() as graph:
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        w = tf.constant(weights, name="w")
        tf.identity(tf.matmul(x, w) + tf.reduce_sum(w), name="y")  # w also summed: no channel axis
    graph_def = graph.as_graph_def()
    assert per_channel.quantize_per_channel(graph_def, QuantizationPlan(uint8=None)) == 0


def test_written_model_stores_exact_integers_and_float32_vectors(tmp_path):
    """Through convert(): the rewritten weights are uint8 with min 0 / scale 1 (lossless), their
    scale/min vectors float32; the model reads back through the manifest as the graph says."""
    from tfjs_export.converter import convert
    from tools.testing import graph_models
    path = str(tmp_path / "depthwise_bn.keras")
    graph_models.depthwise_bn().save(path)
    out = tmp_path / "model"
    convert(path, str(out), output_format="tfjs_graph_model", quantize_uint8=None,
            quantization_granularity="per_channel")
    model = json.loads((out / "model.json").read_text())
    entries = {w["name"]: w for w in model["weightsManifest"][0]["weights"]}
    forms = {n["name"][:-len("/dequantize")]: n["op"] for n in model["modelTopology"]["node"]
             if n["op"] in ("Add", "Mul") and n["name"].endswith("/dequantize")}
    assert len(forms) == 2 == per_channel.dequantized_weight_count(model)  # the depthwise and Dense kernels
    assert "Mul" in forms.values()  # zero-centred channels: the one-Mul symmetric form
    decoded = codec.read_weights(model["weightsManifest"], str(out))
    for name, op in forms.items():
        low = 0.0 if op == "Add" else -128.0  # affine q in 0..255 / symmetric k in -128..127: exact
        assert entries[name]["quantization"] == {"dtype": "uint8", "min": low, "scale": 1.0,
                                                 "original_dtype": "float32"}
        for vector in ("scale", "min") if op == "Add" else ("scale",):
            assert entries[f"{name}/dequantize/{vector}"]["dtype"] == "float32"
            assert "quantization" not in entries[f"{name}/dequantize/{vector}"]
        assert decoded[name].min() == low and decoded[name].max() == low + 255
        assert np.array_equal(decoded[name], np.round(decoded[name]))
    # verify: TF.js matches the decoded reference to float32 rounding, and reports the error against
    # the float model beside the rounding floor (Keras's weights rounded per tensor), which it beats.
    from tfjs_export.converter.verify import verify
    report = verify(path, str(out), samples=8)
    assert report.ok, report.table()
    (output,) = report.outputs
    assert 0 < output["max_abs_err_vs_float"] < 0.5 * output["rounding_floor"], report.table()
    assert "rounding floor" in report.table()


def test_per_channel_rounding_is_judged_by_the_keep_float32_rule(rng):
    """quantization_plan.py's rule on the per-channel rounding: integers wider than 255 lose their
    integer values per channel too, so the weight is not rewritten and the writer keeps it float32
    (keep_float32="none": rewritten as any other)."""
    weights = np.round(_spread_channels(rng, (3, 3, 4, 8)) * 100).astype("float32")
    assert float(weights.max() - weights.min()) > 255
    plan = QuantizationPlan(uint8=None)
    assert per_channel.quantize_per_channel(_conv_graph(weights), plan) == 0
    assert plan.keep_reason("w", weights) == "integer values" and plan.dtype_for("w", weights) is None
    assert per_channel.quantize_per_channel(_conv_graph(weights), QuantizationPlan(uint8=None, keep_float32="none")) == 1


def _conv_bias_graph(weights, bias, scale):
    """x -> conv(w) + b (BiasAdd) -> * s (a per-channel Mul) -> 'y'; also a rank-1 'table' gathered."""
    import tensorflow as tf
    with tf.Graph().as_default() as graph:
        x = tf.compat.v1.placeholder(tf.float32, [None, 6, 6, weights.shape[2]], name="x")
        y = tf.nn.bias_add(tf.nn.conv2d(x, tf.constant(weights, name="w"), 1, "VALID"), tf.constant(bias, name="b"))
        y = y * tf.constant(scale, name="s")
        table = tf.gather(tf.constant(np.linspace(0, 1, 20, dtype="float32"), name="table"), [1, 3])
        tf.identity(y + tf.reduce_sum(table), name="y")
    return graph.as_graph_def()


def test_per_channel_keeps_channel_vectors_float32(rng):
    """per_channel: a bias or per-channel scale has one value per channel, so its per-channel range
    is its value: the plan keeps it float32 (and says why); a vector read otherwise (a gathered
    table) and every vector under per_tensor or keep_float32="none" is quantised as before."""
    channels = 32  # more than quantization_plan.TINY: not kept as a tiny tensor
    weights, bias, scale = rng.normal(size=(3, 3, 4, channels)).astype("float32"), \
        rng.normal(size=channels).astype("float32"), rng.uniform(0.5, 2, channels).astype("float32")
    plan = QuantizationPlan(uint8=None)
    per_channel.quantize_per_channel(_conv_bias_graph(weights, bias, scale), plan)
    assert plan.keep_reason("b", bias) == plan.keep_reason("s", scale) == per_channel.CHANNEL_VECTOR_REASON
    assert plan.dtype_for("b", bias) is None
    table = np.linspace(0, 1, 20, dtype="float32")
    assert plan.dtype_for("table", table) == "uint8"
    assert per_channel.keep_channel_vectors(_conv_bias_graph(weights, bias, scale), QuantizationPlan(
        uint8=None, keep_float32="none")) == []
    tensor_plan = QuantizationPlan(uint8=None)
    per_channel.quantize_per_channel(_conv_bias_graph(weights, bias, scale), tensor_plan, per_channel=False)
    assert tensor_plan.dtype_for("b", bias) == "uint8"
    assert per_channel.keep_channel_vectors(_conv_bias_graph(weights, bias, scale),
                                            QuantizationPlan(uint8=["w"])) == []  # b, s not asked for


def test_a_keras_models_batch_norm_offsets_stay_float32_per_channel(tmp_path):
    """Through convert(): a Keras Conv2D + BatchNormalization (trained-like statistics) written
    per_channel keeps the folded offsets float32 and the report names them; per_tensor (the
    official converter's form) stores them uint8."""
    import keras

    from tfjs_export.converter import convert
    from tools.testing import bn_statistics
    keras.utils.set_random_seed(3)
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.Conv2D(24, 3, use_bias=False)(inputs)
    x = keras.layers.ReLU()(keras.layers.BatchNormalization()(x))
    head = keras.layers.Conv2D(20, 1)
    model = keras.Model(inputs, head(x))
    head.bias.assign(np.random.default_rng(3).normal(size=20).astype("float32"))  # not zeros: not exact in uint8
    path = str(tmp_path / "conv_bn.keras")
    bn_statistics.trained_like_statistics(model).save(path)
    dtypes = {}
    for granularity in ("per_tensor", "per_channel"):
        out = tmp_path / granularity
        summary = convert(path, str(out), output_format="tfjs_graph_model", quantize_uint8=None,
                          quantization_granularity=granularity)
        entries = json.loads((out / "model.json").read_text())["weightsManifest"][0]["weights"]
        dtypes[granularity] = {w["name"]: w.get("quantization", {}).get("dtype", w["dtype"])
                               for w in entries if len(w["shape"]) == 1}
        kept = dict(summary.kept_float32)
    vectors = [n for n, d in dtypes["per_channel"].items() if d == "float32"]
    assert len(vectors) == 2, dtypes  # the batch norm's folded offset and the 1x1 conv's bias
    assert all(dtypes["per_tensor"][n] == "uint8" for n in vectors), dtypes
    assert all(kept[n] == per_channel.CHANNEL_VECTOR_REASON for n in vectors), kept
