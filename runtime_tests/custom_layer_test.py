"""`convert --allow_custom_layers`: a model with a custom Keras layer (ScaledDense) converted
with the flag, loaded in tfjs-node after registering the JS twin class, matches Keras; without
the flag (or without the JS class) it fails as it should."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from tfjs_export.converter import UnsupportedLayerError, convert
from runtime_tests import parity
from tools.testing import custom_layer

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
REGISTER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "custom_layers", "scaled_dense.js")


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    model = custom_layer.scaled_dense_model()
    folder = tmp_path_factory.mktemp("custom")
    path = str(folder / "with_custom_layer.keras")
    model.save(path)
    model.save(str(folder / "with_custom_layer.h5"))  # Keras 3 .h5: class "package>ScaledDense"
    return model, path


def _cli(*args):
    env = {"PYTHONPATH": os.pathsep.join(sys.path), "PATH": os.environ.get("PATH", "")}
    return subprocess.run([sys.executable, "-m", "tfjs_export.converter.cli", *args], capture_output=True, text=True, env=env)


def test_without_the_flag_the_custom_layer_is_refused(source, tmp_path):
    _, path = source
    with pytest.raises(UnsupportedLayerError, match=r"layer 'scaled_dense' \(ScaledDense\)"):
        convert(path, tmp_path / "out")
    result = _cli("convert", path, str(tmp_path / "cli_out"))
    assert result.returncode != 0
    errors = [line for line in result.stderr.strip().splitlines() if "error:" in line]
    assert len(errors) == 1 and "scaled_dense" in errors[0] and "Traceback" not in result.stderr
    assert os.listdir(tmp_path) == []


def test_flag_keeps_class_config_and_weight_names(source, tmp_path):
    model, path = source
    result = _cli("convert", path, str(tmp_path / "web"), "--allow_custom_layers")
    assert result.returncode == 0, result.stderr
    assert "kept as a custom layer" in result.stderr
    doc = json.loads((tmp_path / "web" / "model.json").read_text())
    layers = {l["name"]: l for l in doc["modelTopology"]["config"]["layers"]}
    custom = layers["scaled_dense"]
    assert custom["class_name"] == "ScaledDense"
    assert custom["config"]["units"] == 4 and custom["config"]["scale"] == -1.5
    assert custom["config"]["dtype"] == "float32"
    names = [w["name"] for w in doc["weightsManifest"][0]["weights"]]
    assert "scaled_dense/0" in names and "scaled_dense/1" in names
    shapes = {w["name"]: w["shape"] for w in doc["weightsManifest"][0]["weights"]}
    layer = model.get_layer("scaled_dense")
    assert shapes["scaled_dense/0"] == list(layer.kernel.shape)
    assert shapes["scaled_dense/1"] == list(layer.bias.shape)


def test_a_keras_builtin_tfjs_lacks_is_still_refused_with_the_flag(tmp_path):
    import keras
    x = keras.Input((4,), dtype="int32")
    model = keras.Model(x, keras.layers.CategoryEncoding(6, output_mode="multi_hot", name="codes")(x))
    path = str(tmp_path / "codes.keras")
    model.save(path)
    with pytest.raises(UnsupportedLayerError, match=r"'codes' \(CategoryEncoding\)"):
        convert(path, tmp_path / "out", allow_custom_layers=True)


@pytest.mark.parametrize("ext, quantize", [("keras", None), ("keras", "uint8"), ("h5", None)])
def test_registered_js_class_matches_keras(source, tmp_path, ext, quantize):
    model, path = source
    path = path[:-len("keras")] + ext
    model_dir = tmp_path / "model"
    # keep_float32="none": every weight quantised, so the reference below rounds them all (the
    # rule keeping tiny tensors float32 is tested with the quantisation plan)
    convert(path, model_dir, allow_custom_layers=True,
            **({f"quantize_{quantize}": None, "keep_float32": "none"} if quantize else {}))
    inputs = [np.random.default_rng(5).normal(size=(4, 6)).astype("float32")]
    expected = [np.asarray(model.predict(inputs, verbose=0))]
    float_reference = None
    if quantize:  # reference: Keras on the weights as TF.js dequantises them
        from tfjs_export import codec
        original = model.get_weights()
        model.set_weights([codec.dequantize(*codec.quantize(w, quantize)).reshape(w.shape) for w in original])
        float_reference, expected = expected, [np.asarray(model(inputs[0]))]
        model.set_weights(original)
    case = parity.write_case(tmp_path / "case", model_dir / "model.json", inputs, expected, name="custom",
                             input_names=["x"], output_names=["y"], atol=1e-5, rtol=1e-5,
                             why="float32 rounding only", float_reference=float_reference)
    run = parity.run_node_tests(case, register=[REGISTER])
    result = parity.read_result(case)
    assert run.returncode == 0 and result["ok"], (result, run.stdout[-3000:], run.stderr[-2000:])
    out = result["outputs"][0]
    assert out["max_abs_err"] <= out["bound"] and out["max_abs_expected"] > 1e-2
    if quantize:
        assert out["max_abs_err_vs_float"] > 1e-6


def test_without_the_js_class_tfjs_cannot_load_it(source, tmp_path):
    model, path = source
    convert(path, tmp_path / "model", allow_custom_layers=True)
    inputs = [np.zeros((1, 6), np.float32)]
    case = parity.write_case(tmp_path / "case", tmp_path / "model" / "model.json", inputs,
                             [np.asarray(model.predict(inputs, verbose=0))], name="unregistered",
                             input_names=["x"], output_names=["y"], atol=1e-5, rtol=1e-5, why="-")
    run = parity.run_node_tests(case)
    assert run.returncode != 0
    assert "ScaledDense" in run.stdout + run.stderr
