"""quantization_plan.py's rule on the Graph path: a frozen graph's scalar epsilon is a weight,
and float16 would flush it to 0. Kept float32, the float16 model runs in tfjs-node as accurately
as its rounded kernel allows; quantised with it (keep_float32="none", the official converter's
output), the model computes log(0)."""

import json

import numpy as np
import pytest

EPSILON = 1e-10  # a log-normalisation epsilon, as audio front ends use: float16 rounds it to 0


@pytest.fixture(scope="module")
def log_model(tmp_path_factory):
    """A SavedModel: log(relu(x @ w) + 1e-10), w a seeded [8, 16] variable. Half the relu outputs
    are 0, where the epsilon alone keeps the log finite (log(1e-10) = -23)."""
    import tensorflow as tf

    class LogFeatures(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(np.random.default_rng(5).normal(size=(8, 16)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32, name="x")])
        def __call__(self, x):
            return {"y": tf.math.log(tf.nn.relu(tf.matmul(x, self.w)) + EPSILON)}

    path = str(tmp_path_factory.mktemp("kept_float32") / "log_model")
    module = LogFeatures()
    tf.saved_model.save(module, path, signatures={"serving_default": module.__call__})
    return path


def _epsilon_entry(model_dir):
    """(manifest entry, decoded value) of the graph's one scalar weight: the epsilon."""
    from tfjs_export import codec
    model = json.loads((model_dir / "model.json").read_text())
    (entry,) = [w for w in model["weightsManifest"][0]["weights"] if w["shape"] == []]
    return entry, codec.read_weights(model["weightsManifest"], str(model_dir))[entry["name"]]


def test_float16_keeps_the_epsilon_and_stays_accurate_in_tfjs_node(log_model, tmp_path):
    from tfjs_export.converter import convert
    from tfjs_export.converter.verify import verify
    out = tmp_path / "float16"
    summary = convert(log_model, str(out), output_format="tfjs_graph_model", quantize_float16=None)
    entry, value = _epsilon_entry(out)
    assert "quantization" not in entry and value == np.float32(EPSILON)
    assert summary.kept_float32 == [[entry["name"], "scalar"]] and summary.quantized == {"float16": 1}
    assert f"1 weight kept float32: {entry['name']} (scalar)" in summary.block()
    report = verify(log_model, str(out), samples=8)
    assert report.ok and report.backend == "tensorflow", report.table()  # tfjs-node
    (output,) = report.outputs
    assert output["max_abs_expected"] > 20  # the log(1e-10) entries are there
    # what rounding the variable (the kernel) costs and nothing more: the rounding floor, 2e-4 of
    # the output's scale (the official converter's output: -inf, below)
    assert output["max_abs_err_vs_float"] <= output["rounding_floor"] < 1e-3 * output["max_abs_expected"], \
        report.table()


def test_quantising_the_epsilon_too_flushes_it_to_zero(log_model, tmp_path):
    """keep_float32="none" (the official converter's output): the epsilon becomes float16 0, and
    the relu's zeros reach log(0) = -inf in TF.js."""
    from tfjs_export.converter import convert
    from tfjs_export.converter.verify import verify
    out = tmp_path / "float16_all"
    summary = convert(log_model, str(out), output_format="tfjs_graph_model", quantize_float16=None,
                      keep_float32="none")
    entry, value = _epsilon_entry(out)
    assert entry["quantization"]["dtype"] == "float16" and value == 0.0
    assert summary.kept_float32 == [] and summary.quantized == {"float16": 2}
    from tfjs_export.converter.graph.reference import run_written_graph_model
    x = np.random.default_rng(0).normal(size=(8, 8)).astype("float32")
    (y,) = run_written_graph_model(str(out), [x])  # TensorFlow on the weights as TF.js decodes them
    assert np.isneginf(np.asarray(y)).any()
    report = verify(log_model, str(out), samples=8)  # tfjs-node computes the same -inf ...
    (output,) = report.outputs
    assert report.ok and output["max_abs_err"] == 0, report.table()
    assert output["max_abs_err_vs_float"] is None, report.table()  # ... infinitely far from the float model
