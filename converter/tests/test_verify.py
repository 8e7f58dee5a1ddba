"""`verify` and `convert --verify`: real tfjs-node runs against Keras, passing and failing."""

import pytest

from tfjs_export.converter import convert
from tfjs_export.converter.tests.helpers import assert_one_line_error, run_cli
from tfjs_export.converter.verify import verify


@pytest.mark.parametrize("quantize", [None, "quantize_uint8"])
def test_verify_passes_on_a_good_conversion(tmp_path, keras_files, quantize):
    out = tmp_path / "web"
    convert(keras_files["two_in_two_out"], out, **({quantize: None} if quantize else {}))
    report = verify(keras_files["two_in_two_out"], str(out))
    assert report.ok and report.backend == "tensorflow" and len(report.outputs) == 2
    assert all(o["max_abs_err"] <= o["bound"] <= 1e-4 for o in report.outputs)
    assert report.quantized == bool(quantize)
    if quantize:  # the float model really differs: the dequantised reference is what made it pass
        assert max(o["max_abs_err_vs_float"] for o in report.outputs) > 1e-5


def test_convert_verify_cli(tmp_path, keras_files):
    result = run_cli("convert", keras_files["cnn_functional"], str(tmp_path / "web"), "--verify")
    assert result.returncode == 0, result.stderr
    assert "parity OK" in result.stdout and "probs" in result.stdout


def test_verify_fails_on_a_wrong_model(tmp_path, keras_files):
    """A model converted from different weights (same architecture) must fail parity."""
    out = tmp_path / "web"
    convert(keras_files["mlp"], out)
    import keras
    other = keras.saving.load_model(keras_files["mlp"])
    other.set_weights([w * 1.01 for w in other.get_weights()])
    other_path = str(tmp_path / "other.keras")
    other.save(other_path)
    result = run_cli("verify", other_path, str(out))
    assert "FAILED" in result.stdout
    assert_one_line_error(result, str(out), "parity FAILED")


def test_verify_needs_a_model_directory(tmp_path, keras_files):
    assert_one_line_error(run_cli("verify", keras_files["mlp"], str(tmp_path)), "no model.json")


@pytest.mark.parametrize("quantize", [None, "quantize_uint8"])
def test_verify_graph_model(tmp_path, keras_files, quantize):
    """Graph models: TensorFlow runs the source; quantised, TF runs our graph on decoded weights."""
    out = tmp_path / "graph"
    convert(keras_files["two_in_two_out"], out, output_format="tfjs_graph_model",
            **({quantize: None} if quantize else {}))
    report = verify(keras_files["two_in_two_out"], str(out))
    assert report.ok and len(report.outputs) == 2, report.table()
    assert all(o["max_abs_err"] <= o["bound"] <= 1e-4 for o in report.outputs)
    if quantize:
        assert max(o["max_abs_err_vs_float"] for o in report.outputs) > 1e-5


def test_convert_graph_verify_cli_fails_on_a_wrong_source(tmp_path, keras_files):
    result = run_cli("convert", keras_files["cnn_functional"], str(tmp_path / "g"),
                     "--output_format", "tfjs_graph_model", "--verify")
    assert result.returncode == 0 and "parity OK" in result.stdout, result.stdout + result.stderr
    import keras
    other = keras.saving.load_model(keras_files["cnn_functional"])
    other.set_weights([w * 1.01 for w in other.get_weights()])
    other.save(str(tmp_path / "other.keras"))
    assert_one_line_error(run_cli("verify", str(tmp_path / "other.keras"), str(tmp_path / "g")), "parity FAILED")


def test_verify_names_the_cause_when_tfjs_cannot_load_the_model(tmp_path, keras_files):
    """A model.json the reader accepts but TF.js cannot build (an unknown layer class): the load
    error itself is on stderr, not only in the table on stdout."""
    import json
    out = tmp_path / "web"
    convert(keras_files["mlp"], out)
    model = json.loads((out / "model.json").read_text())
    model["modelTopology"]["config"]["layers"][-1]["class_name"] = "Hologram"
    (out / "model.json").write_text(json.dumps(model))
    result = run_cli("verify", keras_files["mlp"], str(out))
    assert_one_line_error(result, str(out), "parity FAILED", "Hologram")


def test_verify_names_a_missing_shard_before_running_anything(tmp_path, keras_files):
    out = tmp_path / "web"
    convert(keras_files["mlp"], out, weight_shard_size_bytes=64)
    shard = sorted(p.name for p in out.iterdir() if p.suffix == ".bin")[1]
    (out / shard).unlink()
    result = run_cli("verify", keras_files["mlp"], str(out))
    assert_one_line_error(result, shard, "weight shard listed in model.json is missing")
    assert result.stdout == ""


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_verify_refuses_a_tolerance_that_is_not_a_finite_number(tmp_path, keras_files, value):
    result = run_cli("verify", keras_files["mlp"], str(tmp_path), f"--tolerance={value}")
    assert result.returncode == 2 and "expected a finite number >= 0" in result.stderr


def test_verify_feeds_indices_to_a_float_input_read_by_an_embedding(tmp_path):
    """TF.js Sequential text models (and Keras models written like them) have a float32 input
    that an Embedding reads: verify must sample valid indices there, not normal floats (negative
    indices made the Keras reference fail)."""
    import keras
    import numpy as np

    from tfjs_export.converter.verify import sample_inputs
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((6,), dtype="float32"), keras.layers.Embedding(7, 4),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(2)])
    (x,) = sample_inputs(model, samples=4, seed=0)
    assert x.dtype == np.float32 and x.min() >= 0 and x.max() < 7 and np.array_equal(x, np.round(x))
    src, out = str(tmp_path / "text.keras"), tmp_path / "web"
    model.save(src)
    convert(src, out)
    report = verify(src, str(out))
    assert report.ok, report.table()
