"""Graphs from the wild in tfjs-node: every model of tools/testing/graph_symptom_models.py (each
reproduces a failure seen on models we did not write: debugging ops, remapper fusions TF.js
lacks, recurrent layers and nested loops TF.js could not schedule, tf_keras layer norms, ...)
converted to a Graph model, loaded with tf.loadGraphModel, fed and fetched by signature name,
and compared with TensorFlow's own outputs.

Tolerance: float32 rounding only (1e-5 abs + 1e-5 x max|out|). Quantised cases compare with
TensorFlow running our written graph with the weights as TF.js decodes them (reference.py), the
float model's error recorded for information."""

import json
import os

import pytest

from tfjs_export.converter import convert
from tfjs_export.converter.graph.reference import run_written_graph_model
from runtime_tests import parity
from tools.testing import graph_symptom_models

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ATOL = RTOL = 1e-5
# (case name, source, quantisation option or None)
CASES = [(name, name, None) for name in sorted(graph_symptom_models.SOURCES)] + [
    ("lstm_text_keras_uint8", "lstm_text_keras", "quantize_uint8"),
    ("lstm_text_saved_model_float16", "lstm_text_saved_model", "quantize_float16"),
    ("stacked_keras_uint8", "stacked_keras", "quantize_uint8"),
]
NAMES = [c[0] for c in CASES]


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Converted models + case dirs for every source, then one tfjs-node run over all."""
    tmp = tmp_path_factory.mktemp("graph_wild")
    case_dirs = {}
    for name, source_name, quantize in CASES:
        case_dir = tmp / name
        case_dir.mkdir()
        source = graph_symptom_models.SOURCES[source_name](str(case_dir))
        model_dir = case_dir / "model"
        options = {quantize: None} if quantize else {}
        convert(source.path, str(model_dir), output_format="tfjs_graph_model", unsafe_deserialization=True,
                **options)
        signature = json.loads((model_dir / "model.json").read_text())["signature"]
        input_keys, output_keys = sorted(signature["inputs"]), list(signature["outputs"])
        assert input_keys == sorted(source.inputs) and sorted(output_keys) == sorted(source.outputs), name
        inputs = [source.inputs[k] for k in input_keys]
        float_outputs = [source.outputs[k] for k in output_keys]
        expected, why = float_outputs, "float32 rounding only: same maths, different order"
        if quantize:
            reference = run_written_graph_model(str(model_dir), inputs)
            expected = [reference[sorted(output_keys).index(k)] for k in output_keys]
            why = "reference is TF on our graph with the weights as TF.js dequantises them"
        parity.write_case(
            case_dir, model_dir / "model.json", inputs, expected, name=name, input_names=input_keys,
            output_names=output_keys, fmt="graph-model", atol=ATOL, rtol=RTOL, why=why,
            float_reference=float_outputs if quantize else None)
        case_dirs[name] = case_dir
    run = parity.run_node_tests(*case_dirs.values())
    return case_dirs, run


@pytest.mark.parametrize("name", NAMES)
def test_case_matches_tensorflow(cases, name):
    case_dirs, run = cases
    parity.assert_within_bounds(parity.read_result(case_dirs[name]), context=run.stdout[-2000:])


@pytest.mark.parametrize("name", [c[0] for c in CASES if c[2]])
def test_quantised_weights_are_used(cases, name):
    case_dirs, _ = cases
    parity.assert_quantised_weights_used(parity.read_result(case_dirs[name]), name)


def test_written_graphs_hold_only_tfjs_ops(cases):
    """No Assert/CheckNumerics/PrintV2/_FusedBatchNormEx/_MklLayerNorm anywhere (op check on
    what we wrote, library functions included)."""
    from google.protobuf.json_format import ParseDict

    from tfjs_export.converter.graph import op_check
    from tfjs_export.converter.graph.tf_modules import tensorflow_protos
    case_dirs, _ = cases
    for name, case_dir in case_dirs.items():
        topology = json.loads((case_dir / "model" / "model.json").read_text())["modelTopology"]
        graph_def = ParseDict(topology, tensorflow_protos().graph_pb2.GraphDef())
        assert op_check.unsupported_nodes(graph_def) == {}, name
