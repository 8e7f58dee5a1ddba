"""keras_quantized_ops: a Keras int8-quantised model's frozen graph loses BatchMatMulV3 and every
int8 tensor yet computes the same numbers in TensorFlow (the integers are exact in float32); a
GatherV2 with a negative axis gets it counted from the front, outputs unchanged."""

import numpy as np

from tfjs_export.converter.graph.keras_quantized_ops import rewrite_keras_quantized_ops
from tfjs_export.converter.graph.tests.conftest import run_graph
from tools.testing import numerics_models

DT_INT8 = 6


def _frozen(function, *specs):
    import tensorflow as tf
    from tensorflow.python.framework.convert_to_constants import convert_variables_to_constants_v2
    concrete = tf.function(function, input_signature=list(specs)).get_concrete_function()
    frozen = convert_variables_to_constants_v2(concrete)
    return frozen.graph.as_graph_def(), frozen.inputs[0].name, frozen.outputs[0].name


def _int8_types(graph_def):
    return [n.name for n in graph_def.node if any((v.WhichOneof("value") == "type" and v.type == DT_INT8) or
                                                  DT_INT8 in v.list.type for v in n.attr.values())]


def test_int8_matmuls_become_float_ops_with_the_same_results():
    import tensorflow as tf
    model = numerics_models.quantized_model("int8", einsum=True)
    graph_def, feed, fetch = _frozen(lambda ids: model(ids, training=False), tf.TensorSpec([None, 5], tf.int32))
    assert "BatchMatMulV3" in {n.op for n in graph_def.node} and _int8_types(graph_def)
    ids = np.random.default_rng(0).integers(0, 10, size=(6, 5)).astype(np.int32)
    before = run_graph(graph_def, {feed: ids}, [fetch])[0]
    assert rewrite_keras_quantized_ops(graph_def) > 0
    assert "BatchMatMulV3" not in {n.op for n in graph_def.node}
    assert not _int8_types(graph_def)
    after = run_graph(graph_def, {feed: ids}, [fetch])[0]
    np.testing.assert_array_equal(after, before)
    assert np.abs(before).max() > 1e-2
    assert rewrite_keras_quantized_ops(graph_def) == 0  # nothing left to rewrite


def test_negative_gather_axis_counted_from_the_front():
    import tensorflow as tf
    indices = tf.constant([0, 0, 1], tf.int32)
    graph_def, feed, fetch = _frozen(lambda x: tf.gather(x, indices, axis=-1), tf.TensorSpec([None, 4, 2], tf.float32))
    x = np.random.default_rng(1).normal(size=(3, 4, 2)).astype(np.float32)
    before = run_graph(graph_def, {feed: x}, [fetch])[0]
    assert rewrite_keras_quantized_ops(graph_def) == 1
    gather = next(n for n in graph_def.node if n.op == "GatherV2")
    axis = next(n for n in graph_def.node if n.name == gather.input[2])
    assert tf.make_ndarray(axis.attr["value"].tensor) == 2
    np.testing.assert_array_equal(run_graph(graph_def, {feed: x}, [fetch])[0], before)


def test_uint8_keeps_keras_int8_kernels_exact_and_their_scales_float32(tmp_path):
    """--quantize_uint8 on a model quantised by Keras (int8 Embedding, Dense, EinsumDense): the
    int8 kernels are stored uint8 (TF.js's codec range, as written by the official package) and
    a Round after decoding gives back their integers (per_channel.round_integer_weights); Keras'
    per-channel scales stay float32. tfjs-node then computes Keras' quantised inference exactly,
    with a quarter of the kernel bytes; quantising everything (keep_float32="none") does not."""
    import json

    from tfjs_export import codec
    from tfjs_export.converter import convert
    from tfjs_export.converter.verify import verify
    path = str(tmp_path / "int8.keras")
    numerics_models.quantized_model("int8", einsum=True).save(path)
    sizes = {}
    for label, options in (("float32", {}), ("uint8", {"quantize_uint8": None}),
                           ("all", {"quantize_uint8": None, "keep_float32": "none"})):
        out = tmp_path / label
        summary = convert(path, str(out), output_format="tfjs_graph_model", **options)
        sizes[label] = summary.weight_bytes_written
        report = verify(path, str(out), samples=8)
        assert report.ok and report.backend == "tensorflow", report.table()
        (output,) = report.outputs
        if label == "uint8":
            model = json.loads((out / "model.json").read_text())
            rounds = [n for n in model["modelTopology"]["node"] if n["op"] == "Round" and n["name"].endswith("/round")]
            assert len(rounds) == 3  # the embedding table and the two kernels
            entries = {w["name"]: w for w in model["weightsManifest"][0]["weights"]}
            decoded = codec.read_weights(model["weightsManifest"], str(out))
            for node in rounds:
                kernel = node["input"][0]
                assert entries[kernel]["quantization"]["dtype"] == "uint8"
                values = np.round(decoded[kernel])
                assert values.min() >= -127 and values.max() <= 127 and np.any(decoded[kernel] != values)
            assert [reason for _, reason in summary.kept_float32] == ["a Keras int8 scale"] * 3
            assert all("quantization" not in entries[name] for name, _ in summary.kept_float32)
            assert output["max_abs_err_vs_float"] == 0, report.table()  # Keras' quantised inference, exactly
        if label == "all":
            assert output["max_abs_err_vs_float"] > 1e-4, report.table()
    assert sizes["uint8"] < 0.35 * sizes["float32"]
