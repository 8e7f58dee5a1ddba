"""Zoo parity: one model per layer family of the translation table (plus keras.applications
MobileNet v1/v2, ResNet50 and EfficientNetB0), each saved as `.keras` and as Keras 3 `.h5`, and
three tf_keras (Keras 2) models saved as `.h5`; every file converted by our converter, loaded with
tf.loadLayersModel in tfjs-node, and compared with the source model's own predictions. Every
architecture is also converted float16 and uint8 (Keras 3 ones from .keras).

Sharded by source model (tools/pytest_main.py, `shard_group` marks): a shard builds only the
models its cells need and runs them all in one tfjs-node process.

Tolerances as in layers_parity_test.py: float32 weights must match to float32 rounding
(1e-5 absolute + 1e-5 x max|output|); quantised cells are compared with Keras run on the weights
TF.js decodes from the written shards (quantised ones dequantised, the ones the quantisation
plan keeps float32 as they are; docs/architecture.md, "Quantisation"), to the same bound.
"""

import os

import numpy as np
import pytest

from tfjs_export.converter import convert
from tfjs_export.converter.verify import set_weights_as_tfjs_reads_them
from runtime_tests import parity
from tools.testing import keras_zoo

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ATOL = RTOL = 1e-5
# Deep nets accumulate more float32 reordering noise: same bound scaled by max|output|.
FLOAT32_WHY = "float32 rounding only: same maths, different order"
QUANTISED_WHY = "reference is Keras on the weights as TF.js dequantises them; float32 rounding only"

# Heavy application models first: shards take source groups round-robin, so these spread out.
_HEAVY = ["resnet50", "efficientnet_b0", "mobilenet", "mobilenet_v2"]
SOURCES = _HEAVY + [name for name in keras_zoo.ZOO if name not in _HEAVY]
KERAS3 = [(f"{name}_{ext}", name, ext, None) for name in SOURCES for ext in ("keras", "h5")]
TF_KERAS = [(f"{name}_h5", name, "tfk_h5", None) for name in keras_zoo.TF_KERAS_ZOO]
# Every architecture float16 and uint8: Keras 3 models from .keras, tf_keras ones from their .h5;
# plus a Keras 3 .h5 cell and a uint16 cell.
QUANTISED = [(f"{name}_keras_{q}", name, "keras", q) for name in SOURCES for q in ("float16", "uint8")]
QUANTISED += [(f"{name}_h5_{q}", name, "tfk_h5", q) for name in keras_zoo.TF_KERAS_ZOO
              for q in ("float16", "uint8")]
QUANTISED += [("rnn_text_h5_float16", "rnn_text", "h5", "float16"),
              ("nested_shared_keras_uint16", "nested_shared", "keras", "uint16")]
CASES = KERAS3 + TF_KERAS + QUANTISED
QUANTISE = {c[0]: c[3] for c in CASES}


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _weights_as_tfjs_decodes_them(model, model_dir, src):
    """Give `model` the weights TF.js decodes from `model_dir`'s shards: the quantised ones
    dequantised, those the quantisation plan kept float32 (quantization_plan.py) as they are."""
    set_weights_as_tfjs_reads_them(model, model_dir, src)
    _refresh_cached_statistics(model)


def _refresh_cached_statistics(model):
    """Normalization computes from its adapt_mean/adapt_variance variables cached mean/variance
    tensors (finalize_state) that predict's traced function captures as constants; set_weights
    leaves both stale, so refresh the tensors and drop the traced function."""
    def visit(layer):
        if type(layer).__name__ == "Normalization":
            layer.finalize_state()
        for inner in getattr(layer, "layers", []):
            visit(inner)
    visit(model)
    model.predict_function = None


@pytest.fixture(scope="module")
def cases(request, tmp_path_factory):
    """Builds, converts and runs in one tfjs-node process the cells selected in this run (a
    Bazel shard or a -k filter), so each source model is built once per process."""
    selected = {item.callspec.params["case_name"] for item in request.session.items
                if hasattr(item, "callspec") and "case_name" in item.callspec.params}
    tmp = str(tmp_path_factory.mktemp("zoo"))
    models, case_dirs = {}, {}
    last_cell = {source: name for name, source, _, _ in CASES if name in selected}
    order = {source: i for i, source in enumerate(SOURCES + list(keras_zoo.TF_KERAS_ZOO))}
    for case_name, source, kind, quantize in sorted(CASES, key=lambda c: order[c[1]]):
        if case_name not in selected:
            continue
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
            _weights_as_tfjs_decodes_them(model, model_dir, path)
            expected = [np.asarray(o) for o in _as_list(model.predict(inputs, verbose=0))]
            model.set_weights(original)
            _refresh_cached_statistics(model)
        parity.write_case(
            case_dir, os.path.join(model_dir, "model.json"), inputs, expected, name=case_name,
            input_names=[f"input_{i}" for i in range(len(inputs))],
            output_names=[f"output_{i}" for i in range(len(expected))],
            atol=ATOL, rtol=RTOL, why=QUANTISED_WHY if quantize else FLOAT32_WHY,
            float_reference=float_outputs if quantize else None)
        case_dirs[case_name] = case_dir
        if last_cell[source] == case_name:
            del models[source]  # free big models (ResNet50) once their last cell is written
    run = parity.run_node_tests(*case_dirs.values())
    return case_dirs, run


@pytest.mark.parametrize("case_name", [
    pytest.param(c[0], marks=pytest.mark.shard_group(c[1])) for c in CASES])
def test_zoo_case_matches_keras(cases, case_name):
    case_dirs, run = cases
    result = parity.read_result(case_dirs[case_name])
    parity.assert_within_bounds(result, context=run.stdout[-3000:] + run.stderr[-2000:])
    if QUANTISE[case_name]:  # the cell really is quantised: TF.js differs from float Keras
        parity.assert_quantised_weights_used(result, case_name)
