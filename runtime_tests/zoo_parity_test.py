"""Zoo parity: one model per layer family of the translation table (plus keras.applications
MobileNet v1/v2), each saved as `.keras` and as Keras 3 `.h5`, and three tf_keras (Keras 2)
models saved as `.h5`; every file converted by our converter, loaded with tf.loadLayersModel in
tfjs-node, and compared with the source model's own predictions.

Tolerances as in layers_parity_test.py: float32 weights must match to float32 rounding
(1e-5 absolute + 1e-5 x max|output|); quantised cells are compared with Keras run on the weights
quantised and dequantised exactly as TF.js decodes them (DESIGN.md section 4), to the same bound.
"""

import os

import numpy as np
import pytest

import codec
from converter import convert
from runtime_tests import parity
from tools.testing import keras_zoo

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ATOL = RTOL = 1e-5
# Deep nets accumulate more float32 reordering noise: same bound scaled by max|output|.
FLOAT32_WHY = "float32 rounding only: same maths, different order"
QUANTISED_WHY = "reference is Keras on the weights as TF.js dequantises them; float32 rounding only"

KERAS3 = [(f"{name}_{ext}", name, ext, None) for name in keras_zoo.ZOO for ext in ("keras", "h5")]
TF_KERAS = [(f"{name}_h5", name, "tfk_h5", None) for name in keras_zoo.TF_KERAS_ZOO]
QUANTISED = [
    ("conv2d_keras_uint8", "conv2d", "keras", "uint8"),
    ("rnn_text_h5_float16", "rnn_text", "h5", "float16"),
    ("nested_shared_keras_uint16", "nested_shared", "keras", "uint16"),
    ("mobilenet_v2_keras_uint8", "mobilenet_v2", "keras", "uint8"),
    ("tfk_cnn_h5_uint8", "tfk_cnn", "tfk_h5", "uint8"),
]
CASES = KERAS3 + TF_KERAS + QUANTISED


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _dequantised_copy(model, dtype):
    """Give `model` its float32 weights quantised + dequantised as TF.js will decode them."""
    values = []
    for w in model.get_weights():
        if w.dtype == np.float32:
            encoded, quantization = codec.quantize(w, dtype)
            w = codec.dequantize(encoded, quantization).reshape(w.shape)
        values.append(w)
    model.set_weights(values)


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("zoo"))
    models, case_dirs = {}, {}
    for case_name, source, kind, quantize in CASES:
        if source not in models:
            build = keras_zoo.ZOO.get(source) or keras_zoo.TF_KERAS_ZOO[source]
            models[source] = build()
        model = models[source]
        path = os.path.join(tmp, f"{source}.{'keras' if kind == 'keras' else 'h5'}")
        if not os.path.exists(path):
            model.save(path)
        case_dir = os.path.join(tmp, case_name)
        model_dir = os.path.join(case_dir, "model")
        convert(path, model_dir, **({f"quantize_{quantize}": None} if quantize else {}))
        inputs = keras_zoo.sample_inputs(model, batch=3, seed=len(case_name))
        float_outputs = [np.asarray(o) for o in _as_list(model.predict(inputs, verbose=0))]
        expected = float_outputs
        if quantize:
            original = model.get_weights()
            _dequantised_copy(model, quantize)
            expected = [np.asarray(o) for o in _as_list(model.predict(inputs, verbose=0))]
            model.set_weights(original)
        parity.write_case(
            case_dir, os.path.join(model_dir, "model.json"), inputs, expected, name=case_name,
            input_names=[f"input_{i}" for i in range(len(inputs))],
            output_names=[f"output_{i}" for i in range(len(expected))],
            atol=ATOL, rtol=RTOL, why=QUANTISED_WHY if quantize else FLOAT32_WHY,
            float_reference=float_outputs if quantize else None)
        case_dirs[case_name] = case_dir
    run = parity.run_node_tests(*case_dirs.values())
    return case_dirs, run


def test_node_run_passes(cases):
    _, run = cases
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]


@pytest.mark.parametrize("case_name", [c[0] for c in CASES])
def test_zoo_case_matches_keras(cases, case_name):
    case_dirs, _ = cases
    result = parity.read_result(case_dirs[case_name])
    assert result["ok"], result
    assert result["backend"] == "tensorflow"
    for output in result["outputs"]:
        assert output["max_abs_err"] <= output["bound"], output
        assert output["max_abs_expected"] > 1e-3, "outputs all ~0: the comparison would prove nothing"


def test_quantised_cells_really_are_quantised(cases):
    case_dirs, _ = cases
    for case_name, _, _, quantize in QUANTISED:
        result = parity.read_result(case_dirs[case_name])
        assert max(o["max_abs_err_vs_float"] for o in result["outputs"]) > 1e-6, case_name
