"""Parity of our Layers models in tfjs-node (and on the light WASM runtime): every test model,
float32 and quantised, converted by the converter, loaded with tf.loadLayersModel and compared
with Keras' own predictions.

Tolerances. Float32 weights: TF.js and Keras run the same float32 maths in a different order, so
outputs differ by float32 rounding only; we allow 1e-5 absolute + 1e-5 x max|output| (observed:
~1e-7). Quantised weights: comparing with the float model would need a tolerance so loose it
proves little (docs/architecture.md, "Quantisation"). Instead the reference is Keras run on the weights *as TF.js
decodes them* (read back from our shards and dequantised as TF.js does), which TF.js must reach to
the same float32 tolerance; a wrong scale or a misplaced byte shows. The float model's error is
recorded in result.json for information only.
"""

import os
import shutil

import numpy as np
import pytest

from tfjs_export.converter import convert
from tfjs_export.converter.verify import set_weights_as_tfjs_reads_them
from runtime_tests import parity
from tools.testing import keras_models

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ATOL = RTOL = 1e-5
FLOAT32_WHY = "float32 rounding only: same maths, different order"
QUANTISED_WHY = "reference is Keras on the weights as TF.js dequantises them; float32 rounding only"
EXAMPLE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples", "bars_cnn.keras")

# (case name, model builder or path, quantisation option or None)
CASES = [(f"{name}_float32", name, None) for name in keras_models.ZOO] + [
    ("mlp_float16", "mlp", "quantize_float16"),
    ("cnn_functional_uint8", "cnn_functional", "quantize_uint8"),
    ("two_in_two_out_uint16", "two_in_two_out", "quantize_uint16"),
    ("bars_cnn_float32", "example", None),
    ("bars_cnn_uint8", "example", "quantize_uint8"),
]


def _load(source, tmp):
    """(a fresh Keras model, the .keras file it was loaded from): a user's model as saved."""
    import keras
    path = EXAMPLE if source == "example" else os.path.join(tmp, f"{source}.keras")
    if not os.path.exists(path):
        keras_models.ZOO[source]().save(path)
    return keras.saving.load_model(path), path


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Converted models + case dirs for every CASES entry, then one tfjs-node run over all."""
    tmp = str(tmp_path_factory.mktemp("parity"))
    case_dirs = {}
    for case_name, source, quantize in CASES:
        model, path = _load(source, tmp)
        case_dir = os.path.join(tmp, case_name)
        model_dir = os.path.join(case_dir, "model")
        options = {quantize: None} if quantize else {}
        convert(path, model_dir, **options)
        inputs = keras_models.sample_inputs(model, batch=4, seed=len(case_name))
        float_outputs = [np.asarray(o) for o in _as_list(model.predict(inputs, verbose=0))]
        expected = float_outputs
        if quantize:
            set_weights_as_tfjs_reads_them(model, model_dir, path)
            expected = [np.asarray(o) for o in _as_list(model.predict(inputs, verbose=0))]
        parity.write_case(
            case_dir, os.path.join(model_dir, "model.json"), inputs, expected, name=case_name,
            input_names=[t.name for t in model.inputs], output_names=[t._keras_history[0].name for t in model.outputs],
            atol=ATOL, rtol=RTOL, why=QUANTISED_WHY if quantize else FLOAT32_WHY,
            float_reference=float_outputs if quantize else None)
        case_dirs[case_name] = case_dir
    run = parity.run_node_tests(*case_dirs.values())
    return case_dirs, run


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def test_node_run_passes(cases):
    case_dirs, run = cases
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


@pytest.mark.parametrize("case_name", [c[0] for c in CASES])
def test_case_within_float32_tolerance(cases, case_name):
    case_dirs, _ = cases
    parity.assert_within_bounds(parity.read_result(case_dirs[case_name]))


def test_quantised_models_differ_from_float_model(cases):
    """The quantised cases really use quantised weights (else the test proves nothing)."""
    case_dirs, _ = cases
    for case_name, _, quantize in CASES:
        if quantize:
            parity.assert_quantised_weights_used(parity.read_result(case_dirs[case_name]), case_name)


def test_a_corrupted_byte_is_caught(cases, tmp_path):
    """Mutation check: flip one weight byte in a copy of a passing case; parity must fail."""
    case_dirs, _ = cases
    parity.assert_corruption_caught(case_dirs["cnn_functional_float32"], tmp_path / "broken")


def test_swapped_weights_are_caught(cases, tmp_path):
    """Mutation check: swap the names of two same-shaped weights (BatchNormalization gamma and
    beta); the model still loads, so only the numbers can tell. Parity must fail."""
    import json
    case_dirs, _ = cases
    broken = tmp_path / "swapped"
    shutil.copytree(case_dirs["cnn_functional_float32"], broken)
    model_json = broken / "model" / "model.json"
    model = json.loads(model_json.read_text())
    weights = model["weightsManifest"][0]["weights"]
    gamma = next(w for w in weights if w["name"].endswith("/gamma"))
    beta = next(w for w in weights if w["name"] == gamma["name"].replace("/gamma", "/beta"))
    gamma["name"], beta["name"] = beta["name"], gamma["name"]
    model_json.write_text(json.dumps(model))
    run = parity.run_node_tests(broken)
    assert run.returncode != 0
    assert not parity.read_result(broken)["ok"]


def test_the_light_runtime_matches_too(cases, tmp_path):
    """The same cases on the runtime verify falls back to without tfjs-node (TF.js + the WASM
    backend, as installed from converter/runtime/light's lock), in one Node process."""
    case_dirs, _ = cases
    copies = [shutil.copytree(case_dir, tmp_path / name) for name, case_dir in case_dirs.items()]
    run = parity.run_predict(*copies, node_modules=parity.light_node_modules())
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    for copy in copies:
        result = parity.read_result(copy)
        assert result["runtime"] == "tfjs", result
        parity.assert_within_bounds(result, backend="wasm", context=copy.name)
