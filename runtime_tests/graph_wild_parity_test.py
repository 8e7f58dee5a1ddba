"""Graphs from the wild in tfjs-node: every model of tools/testing/graph_symptom_models.py (each
reproduces a failure seen on models we did not write: debugging ops, remapper fusions TF.js
lacks, recurrent layers and nested loops TF.js could not schedule, tf_keras layer norms, ...)
converted to a Graph model, loaded with tf.loadGraphModel, fed and fetched by signature name,
and compared with TensorFlow's own outputs.

Tolerance: float32 rounding only (1e-5 abs + 1e-5 x max|out|)."""

import json
import os

import pytest

from tfjs_export.converter import convert
from runtime_tests import parity
from tools.testing import graph_symptom_models

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ATOL = RTOL = 1e-5
CASES = sorted(graph_symptom_models.SOURCES)


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """Converted models + case dirs for every source, then one tfjs-node run over all."""
    tmp = tmp_path_factory.mktemp("graph_wild")
    case_dirs = {}
    for name in CASES:
        case_dir = tmp / name
        case_dir.mkdir()
        source = graph_symptom_models.SOURCES[name](str(case_dir))
        model_dir = case_dir / "model"
        convert(source.path, str(model_dir), output_format="tfjs_graph_model", unsafe_deserialization=True)
        signature = json.loads((model_dir / "model.json").read_text())["signature"]
        input_keys, output_keys = sorted(signature["inputs"]), list(signature["outputs"])
        assert input_keys == sorted(source.inputs) and sorted(output_keys) == sorted(source.outputs), name
        parity.write_case(
            case_dir, model_dir / "model.json", [source.inputs[k] for k in input_keys],
            [source.outputs[k] for k in output_keys], name=name, input_names=input_keys,
            output_names=output_keys, fmt="graph-model", atol=ATOL, rtol=RTOL,
            why="float32 rounding only: same maths, different order")
        case_dirs[name] = case_dir
    run = parity.run_node_tests(*case_dirs.values())
    return case_dirs, run


@pytest.mark.parametrize("name", CASES)
def test_case_matches_tensorflow(cases, name):
    case_dirs, run = cases
    parity.assert_within_bounds(parity.read_result(case_dirs[name]), context=run.stdout[-2000:])


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
