"""Lookup tables in our Graph models, in tfjs-node: model.json's `modelInitializer` fills the
tables, the graph runs with executeAsync, outputs are compared with TensorFlow's by output name.

Cases: a TF SavedModel with static hash tables (int64 -> float and int32 -> int32 with rank-2
keys, a vocabulary file string -> int64, the table size); Keras 3
StringLookup + IntegerLookup from `.keras` and from a SavedModel Keras exported; the same `.keras`
quantised to uint8 (the table contents stay exact). String inputs are fed as string tensors.
"""

import json
import os

import numpy as np
import pytest

from tfjs_export.converter import convert
from tfjs_export.converter.graph.reference import run_written_graph_model
from runtime_tests import parity
from tools.testing import table_models

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ATOL = RTOL = 1e-5
FLOAT32_WHY = "float32 rounding only; lookups are exact"
QUANTISED_WHY = "reference is TF on our graph with the weights as TF.js dequantises them"


def _tables_saved_model(tmp):
    import tensorflow as tf
    path = os.path.join(tmp, "tables_saved_model")
    table_models.save_tables_saved_model(path)
    function = tf.saved_model.load(path).signatures["serving_default"]
    inputs = dict(zip(["ids", "words"], table_models.tables_saved_model_inputs()))
    outputs = function(**{k: tf.constant(v) for k, v in inputs.items()})
    return path, inputs, {k: np.asarray(v) for k, v in outputs.items()}


def _lookup_layers(tmp, export):
    import keras
    model = table_models.lookup_layers()
    inputs = dict(zip(["words", "codes"], table_models.lookup_layers_inputs()))
    path = os.path.join(tmp, "lookup_layers" + ("_saved_model" if export else ".keras"))
    if export:
        model.export(path, verbose=False)
        key = "output_0"
    else:
        model.save(path)
        model = keras.saving.load_model(path)  # the model as a user has it
        key = "logits"
    return path, inputs, {key: np.asarray(model([inputs["words"], inputs["codes"]]))}


# (case name, source builder, quantisation option or None)
CASES = [
    ("tables_saved_model_float32", _tables_saved_model, None),
    ("lookup_layers_keras_float32", lambda tmp: _lookup_layers(tmp, export=False), None),
    ("lookup_layers_saved_model_float32", lambda tmp: _lookup_layers(tmp, export=True), None),
    ("lookup_layers_keras_uint8", lambda tmp: _lookup_layers(tmp, export=False), "quantize_uint8"),
]


def _user_signature(model_dir):
    """(sorted input keys without the tables' resource inputs, output keys), and model.json."""
    model = json.load(open(os.path.join(model_dir, "model.json")))
    inputs = sorted(k for k, v in model["signature"]["inputs"].items() if "resourceId" not in v)
    return inputs, sorted(model["signature"]["outputs"]), model


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("graph_tables"))
    case_dirs, models = {}, {}
    sources = {}
    for case_name, build, quantize in CASES:
        key = case_name.rsplit("_", 1)[0]  # one source per model and format
        if key not in sources:
            sources[key] = build(tmp)
        path, inputs, outputs = sources[key]
        case_dir = os.path.join(tmp, case_name)
        model_dir = os.path.join(case_dir, "model")
        convert(path, model_dir, output_format="tfjs_graph_model", **({quantize: None} if quantize else {}))
        input_keys, output_keys, models[case_name] = _user_signature(model_dir)
        assert input_keys == sorted(inputs) and output_keys == sorted(outputs), (input_keys, output_keys)
        feeds = [inputs[k] for k in input_keys]
        expected = [outputs[k] for k in output_keys]
        if quantize:
            expected = [np.asarray(o) for o in run_written_graph_model(model_dir, feeds)]
        parity.write_case(case_dir, os.path.join(model_dir, "model.json"), feeds, expected, name=case_name,
                          input_names=input_keys, output_names=output_keys, fmt="graph-model",
                          atol=ATOL, rtol=RTOL, why=QUANTISED_WHY if quantize else FLOAT32_WHY,
                          float_reference=[outputs[k] for k in output_keys] if quantize else None)
        case_dirs[case_name] = case_dir
    return case_dirs, models, parity.run_node_tests(*case_dirs.values())


def test_node_run_passes(cases):
    _, _, run = cases
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


@pytest.mark.parametrize("case_name", [c[0] for c in CASES])
def test_case_matches_tensorflow_with_tables_initialised(cases, case_name):
    case_dirs, models, _ = cases
    result = parity.read_result(case_dirs[case_name])
    assert result["ok"], result
    assert result["mode"] == "executeAsync"  # TF.js's table ops are async
    for output in result["outputs"]:
        assert output["max_abs_err"] <= output["bound"], output
        assert output["max_abs_expected"] > 1e-3, "outputs all ~0: the comparison would prove nothing"
    model = models[case_name]
    resources = {v["resourceId"] for v in model["signature"]["inputs"].values() if "resourceId" in v}
    initialised = {v["resourceId"] for v in model["initializerSignature"]["outputs"].values()}
    assert resources and resources == initialised
    assert {"HashTableV2", "LookupTableImportV2"} <= {n["op"] for n in model["modelInitializer"]["node"]}


def test_saved_model_lookups_are_exact(cases):
    """Hits, misses (default value) and the table size, as TensorFlow computed them."""
    case_dirs, _, _ = cases
    case_dir = case_dirs["tables_saved_model_float32"]
    result = parity.read_result(case_dir)
    by_name = {o["name"]: o for o in result["outputs"]}
    for name in ("word_ids", "code_values", "vocab_size"):
        assert by_name[name]["max_abs_err"] == 0, by_name[name]
    assert by_name["scores"]["shape"] == [4, 3]  # rank-2 keys keep their shape in TF.js


def test_quantised_table_model_keeps_table_contents_exact(cases):
    case_dirs, models, _ = cases
    weights = {w["name"]: w for g in models["lookup_layers_keras_uint8"]["weightsManifest"] for w in g["weights"]}
    tables = [w for name, w in weights.items() if name.startswith("table_initializer/")]
    assert tables and not any("quantization" in w for w in tables)
    assert any("quantization" in w for w in weights.values())
    result = parity.read_result(case_dirs["lookup_layers_keras_uint8"])
    assert max(o["max_abs_err_vs_float"] for o in result["outputs"]) > 1e-6


def test_a_wrong_table_value_is_caught(cases, tmp_path):
    """Mutation check: a case whose expected word ids are shifted by one must fail."""
    case_dirs, _, _ = cases
    broken = tmp_path / "broken"
    import shutil
    shutil.copytree(case_dirs["tables_saved_model_float32"], broken)
    spec = json.loads((broken / "case.json").read_text())
    index = [o["name"] for o in spec["outputs"]].index("word_ids")
    path = broken / spec["outputs"][index]["file"]
    path.write_bytes((np.frombuffer(path.read_bytes(), "<i4") + 1).astype("<i4").tobytes())
    run = parity.run_node_tests(broken)
    assert run.returncode != 0 and not parity.read_result(broken)["ok"]


@pytest.mark.parametrize("case_name", ["tables_saved_model_float32", "lookup_layers_keras_uint8"])
def test_verify_runs_table_models(cases, case_name):
    """`verify` feeds only the user's inputs (string ones too) and, for a quantised model, runs the
    written graph with its initializer in TensorFlow as the reference."""
    from tfjs_export.converter.verify import verify
    case_dirs, _, _ = cases
    model_dir = os.path.join(case_dirs[case_name], "model")
    path = {"tables_saved_model_float32": "tables_saved_model",
            "lookup_layers_keras_uint8": "lookup_layers.keras"}[case_name]  # as the fixture saved them
    report = verify(os.path.join(os.path.dirname(case_dirs[case_name]), path), model_dir)
    assert report.ok, report.table()
    assert report.quantized == case_name.endswith("uint8")
