"""Parity of our Graph models in tfjs-node: the test zoo and graph-only models (Lambda, custom
layer, MultiHeadAttention + LayerNormalization, batch norms to fold, Keras 3 GRU + LSTM, a
tf.while_loop), from
`.keras`, SavedModel, Keras 3 `.h5` and tf_keras `.h5`, float32 and quantised, converted with
--output_format tfjs_graph_model, loaded with tf.loadGraphModel, inputs fed and outputs fetched
by signature name, compared with TensorFlow's own outputs.

Tolerances as in layers_parity_test.py: float32 rounding only (1e-5 abs + 1e-5 x max|out|).
Quantised cases compare with TensorFlow running *our written graph* with the weights as TF.js
decodes them (docs/architecture.md, "Quantisation"); the float model's error is recorded for information.
"""

import json
import os

import numpy as np
import pytest

from tfjs_export.converter import convert
from tfjs_export.converter.graph.reference import run_written_graph_model
from runtime_tests import parity
from tools.testing import graph_models, keras_models

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ATOL = RTOL = 1e-5
FLOAT32_WHY = "float32 rounding only: same maths, different order"
QUANTISED_WHY = "reference is TF on our graph with the weights as TF.js dequantises them"

# (case name, source kind, model name, quantisation option or None)
CASES = (
    [(f"{name}_keras_float32", "keras", name, None) for name in keras_models.ZOO]
    + [(f"{name}_keras_float32", "keras", name, None) for name in graph_models.KERAS_GRAPH_ONLY]
    + [
        ("cnn_functional_saved_model_float32", "saved_model", "cnn_functional", None),
        ("recurrent_saved_model_float32", "saved_model", "recurrent", None),
        ("two_in_two_out_saved_model_float32", "saved_model", "two_in_two_out", None),
        ("while_loop_saved_model_float32", "tf_module", "while_loop", None),
        ("tf1_saved_model_float32", "tf_module", "tf1", None),
        ("cnn_functional_h5_float32", "keras3_h5", "cnn_functional", None),
        ("tf_keras_cnn_h5_float32", "tf_keras_h5", "tf_keras_cnn", None),
        ("attention_keras_float16", "keras", "attention", "quantize_float16"),
        ("mlp_keras_float16", "keras", "mlp", "quantize_float16"),
        ("cnn_functional_keras_uint8", "keras", "cnn_functional", "quantize_uint8"),
        ("depthwise_bn_keras_uint8", "keras", "depthwise_bn", "quantize_uint8"),
        # Per-channel ranges (graph/per_channel.py): integers + Mul/Add in the graph, for a folded
        # depthwise kernel and a Dense kernel with a folded batch norm.
        ("depthwise_bn_keras_uint8_per_channel", "keras", "depthwise_bn", "quantize_uint8/per_channel"),
        # The Mul after the conv (graph/scale_after.py): fused BiasAdd b / s + Relu, Relu6 split off.
        ("conv_bn_stack_keras_uint8_per_channel", "keras", "conv_bn_stack", "quantize_uint8/per_channel"),
    ])


def _keras_builder(name):
    return keras_models.ZOO.get(name) or graph_models.KERAS_GRAPH_ONLY[name]


def _tf_keras_cnn(seed=21):
    """A Keras 2 (tf_keras) CNN with BatchNormalization: its graph has FusedBatchNormV3."""
    import tf_keras
    rng = np.random.default_rng(seed)
    model = tf_keras.Sequential([
        tf_keras.Input((8, 8, 3)),
        tf_keras.layers.Conv2D(5, 3, use_bias=False),
        tf_keras.layers.BatchNormalization(),
        tf_keras.layers.Activation("relu"),
        tf_keras.layers.GlobalAveragePooling2D(),
        tf_keras.layers.Dense(3),
    ], name="tf_keras_cnn")
    values = [rng.normal(0, 0.5, w.shape).astype("float32") for w in model.get_weights()]
    values[4] = np.abs(values[4]) + 0.5  # moving variance
    model.set_weights(values)
    return model


def _source(kind, name, tmp):
    """(path to convert, predict(inputs) -> outputs, inputs, input names, output names): inputs,
    outputs and names in the source model's order; names as our signature keys them."""
    import tensorflow as tf
    from tfjs_export.converter.graph.load import keras_output_keys
    if kind in ("keras", "keras3_h5", "saved_model"):
        model = _keras_builder(name)()
        inputs = keras_models.sample_inputs(model, batch=3, seed=len(name))
        ext = {"keras": ".keras", "keras3_h5": ".h5", "saved_model": ""}[kind]
        path = os.path.join(tmp, f"{name}_{kind}{ext}")
        if not os.path.exists(path):
            model.export(path, verbose=False) if kind == "saved_model" else model.save(path)
        if kind != "saved_model":  # the model as a user has it: loaded back from the file
            import keras
            model = keras.saving.load_model(path, safe_mode=False)
        outputs = ([f"output_{i}" for i in range(len(model.outputs))] if kind == "saved_model"
                   else keras_output_keys(model))
        return (path, lambda xs: _as_list(model(xs if len(xs) > 1 else xs[0], training=False)), inputs,
                [t.name for t in model.inputs], outputs)
    if kind == "tf_keras_h5":
        model = _tf_keras_cnn()
        path = os.path.join(tmp, f"{name}.h5")
        if not os.path.exists(path):
            model.save(path)
        inputs = [np.random.default_rng(5).normal(size=(3, 8, 8, 3)).astype("float32")]
        return (path, lambda xs: _as_list(model(xs[0], training=False)), inputs,
                [model.inputs[0].name.split(":")[0]], keras_output_keys(model))
    if kind == "tf_module":  # SavedModels written by TensorFlow code, not Keras
        path = os.path.join(tmp, name)
        save, input_key, output_keys = {"while_loop": (graph_models.save_while_loop_saved_model, "state",
                                                       ["final", "total"]),
                                        "tf1": (graph_models.save_tf1_saved_model, "x", ["y"])}[name]
        if not os.path.exists(path):
            save(path)
        function = tf.saved_model.load(path).signatures["serving_default"]
        inputs = [np.random.default_rng(6).normal(size=(3, 4)).astype("float32")]
        return (path, lambda xs: [np.asarray(v) for _, v in sorted(function(**{input_key: tf.constant(xs[0])}).items())],
                inputs, [input_key], output_keys)
    raise ValueError(kind)


def _as_list(outputs):
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [np.asarray(o) for o in outputs]


def _signature_keys(model_dir):
    signature = json.load(open(os.path.join(model_dir, "model.json")))["signature"]
    return sorted(signature["inputs"]), list(signature["outputs"])


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Converted models + case dirs for every CASES entry, then one tfjs-node run over all."""
    graph_models.custom_layer_class()  # registered before any .keras holding it is loaded
    tmp = str(tmp_path_factory.mktemp("graph_parity"))
    case_dirs = {}
    for case_name, kind, name, quantize in CASES:
        source = _source(kind, name, tmp)
        path = source[0]
        case_dir = os.path.join(tmp, case_name)
        model_dir = os.path.join(case_dir, "model")
        option, _, granularity = (quantize or "").partition("/")
        options = {option: None, "quantization_granularity": granularity or "per_tensor"} if quantize else {}
        convert(path, model_dir, output_format="tfjs_graph_model", unsafe_deserialization=True, **options)
        input_keys, output_keys = _signature_keys(model_dir)
        path, predict, source_inputs, input_names, output_names = source
        assert sorted(input_names) == input_keys and sorted(output_names) == sorted(output_keys), \
            (input_names, input_keys, output_names, output_keys)
        inputs = [source_inputs[input_names.index(k)] for k in input_keys]  # fed by signature name
        source_outputs = predict(source_inputs)
        float_outputs = [source_outputs[output_names.index(k)] for k in output_keys]
        expected = float_outputs
        if quantize:
            reference = run_written_graph_model(model_dir, inputs)
            expected = [reference[sorted(output_keys).index(k)] for k in output_keys]
        parity.write_case(
            case_dir, os.path.join(model_dir, "model.json"), inputs, expected, name=case_name,
            input_names=input_keys, output_names=output_keys, fmt="graph-model",
            atol=ATOL, rtol=RTOL, why=QUANTISED_WHY if quantize else FLOAT32_WHY,
            float_reference=float_outputs if quantize else None)
        case_dirs[case_name] = case_dir
    run = parity.run_node_tests(*case_dirs.values())
    return case_dirs, run


def test_node_run_passes(cases):
    case_dirs, run = cases
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


@pytest.mark.parametrize("case_name", [c[0] for c in CASES])
def test_case_within_float32_tolerance(cases, case_name):
    case_dirs, _ = cases
    parity.assert_within_bounds(parity.read_result(case_dirs[case_name]))


@pytest.mark.parametrize("case_name", ["while_loop_saved_model_float32", "recurrent_keras_float32"])
def test_loops_run_as_control_flow(cases, case_name):
    """A tf.while_loop and Keras 3 GRU/LSTM stay loops in TF.js (executeAsync), not unrolled."""
    case_dirs, _ = cases
    assert parity.read_result(case_dirs[case_name])["mode"] == "executeAsync"


def test_quantised_models_differ_from_float_model(cases):
    case_dirs, _ = cases
    for case_name, _, _, quantize in CASES:
        if quantize:
            parity.assert_quantised_weights_used(parity.read_result(case_dirs[case_name]), case_name)


def _dequantised_weights(case_dir):
    from tfjs_export.converter.graph.per_channel import dequantized_weight_count
    return dequantized_weight_count(json.load(open(os.path.join(case_dir, "model", "model.json"))))


def test_per_channel_models_dequantise_in_the_graph_and_beat_per_tensor(cases):
    """TF.js runs the per-channel Mul/Add (the parity above), and per-channel ranges bring the
    folded depthwise model nearer the float model than one range per tensor does."""
    case_dirs, _ = cases
    assert _dequantised_weights(case_dirs["depthwise_bn_keras_uint8_per_channel"]) == 2
    error = {name: max(o["max_abs_err_vs_float"] for o in parity.read_result(case_dirs[name])["outputs"])
             for name in ("depthwise_bn_keras_uint8", "depthwise_bn_keras_uint8_per_channel")}
    assert error["depthwise_bn_keras_uint8_per_channel"] < 0.75 * error["depthwise_bn_keras_uint8"], error


def test_per_channel_scales_run_after_the_conv_in_tfjs(cases):
    """conv_bn_stack's two 3x3 kernels are read as integers by their convs, each conv's output
    multiplied by the scale vector (the ReLU one fused, the ReLU6 one split off after the Mul):
    the parity above is TF.js running that form."""
    case_dirs, _ = cases
    nodes = json.load(open(os.path.join(case_dirs["conv_bn_stack_keras_uint8_per_channel"], "model",
                                        "model.json")))["modelTopology"]["node"]
    by_name = {n["name"]: n for n in nodes}
    moved = [by_name[n["input"][0]] for n in nodes if n["name"].endswith("/dequantize") and n["op"] == "Mul"
             and n["input"][0] != n["name"][:-len("/dequantize")]]
    assert sorted(n["op"] for n in moved) == ["_FusedConv2D", "_FusedConv2D"], moved
    assert any(n["op"] == "Relu6" and n["input"][0].endswith("/dequantize") for n in nodes)


def test_a_corrupted_weight_is_caught(cases, tmp_path):
    """Mutation check: flip one exponent bit of a weight in a copy of a passing case."""
    case_dirs, _ = cases
    parity.assert_corruption_caught(case_dirs["cnn_functional_keras_float32"], tmp_path / "broken")
