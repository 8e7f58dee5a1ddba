"""Dict and nested inputs/outputs (converter/structure.py) on both formats, in tfjs-node.

Every model of tools/testing/structure_models.py (dict inputs, dict outputs, both, nested
outputs, dict keys in another order than the layers, a model with dict I/O used as a layer of
another, dict outputs straight from a nested functional model and a nested Sequential) is saved
as `.keras` and Keras 3 `.h5`, converted to the Layers format and (from `.keras`, plus two from
`.h5`) to the Graph format, and run in one tfjs-node process on the
cases `verify` builds: inputs fed and outputs matched *by name* (the runner says so in
result.json), against Keras' own predictions (float32 rounding only). Two more cases prove the
matching is by name: the inputs of a case given in reversed order still pass, and a case whose
names are not the model's fails with a message saying so. The Bazel tfjs_parity_test rule's
check runs on one model of each format.
"""

import json
import os

import pytest

from tfjs_export.converter import convert
from tfjs_export.converter.model_dir import read_model_dir
from tfjs_export.converter.runtime import cases
from tfjs_export.converter.verify import _graph_reference, _layers_reference
from runtime_tests import parity
from tools.testing import structure_models

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

ATOL = RTOL = 1e-5
MODELS = sorted(structure_models.BUILDERS)
GRAPH_H5 = ("dict_both", "model_in_model")
CASES = ([(m, ext, "layers") for m in MODELS for ext in ("keras", "h5")]
         + [(m, "keras", "graph") for m in MODELS] + [(m, "h5", "graph") for m in GRAPH_H5])


def _case(tmp, model_name, ext, fmt):
    src = os.path.join(tmp, f"{model_name}.{ext}")
    model_dir = os.path.join(tmp, f"{model_name}_{ext}_{fmt}")
    options = {"output_format": "tfjs_graph_model"} if fmt == "graph" else {}
    convert(src, model_dir, **options)
    checked = read_model_dir(model_dir)
    if fmt == "graph":
        return checked, _graph_reference(src, checked, 3, 1, "serving_default", ("serve",), False)
    return checked, _layers_reference(src, checked, 3, 1)


def _write(case_dir, checked, case, name, reverse_inputs=False, rename=None):
    order = list(range(len(case.inputs)))[::-1 if reverse_inputs else 1]
    input_names = [case.input_names[i] for i in order]
    if rename:
        input_names = [rename.get(n, n) for n in input_names]
    cases.write_case(case_dir, checked.model_json_path, [case.inputs[i] for i in order], case.expected,
                     name=name, input_names=input_names, output_names=case.output_names, fmt=checked.format,
                     atol=ATOL, rtol=RTOL, why="float32 rounding only")
    return case_dir


@pytest.fixture(scope="module")
def tmp(tmp_path_factory):
    return str(tmp_path_factory.mktemp("structures"))


@pytest.fixture(scope="module")
def results(tmp):
    """{case name: (result.json, model.json, ParityCase)} after one tfjs-node run over every case."""
    for name in MODELS:
        model = structure_models.BUILDERS[name]()
        for ext in ("keras", "h5"):
            model.save(os.path.join(tmp, f"{name}.{ext}"))
    written = {}
    for model_name, ext, fmt in CASES:
        checked, case = _case(tmp, model_name, ext, fmt)
        case_name = f"{model_name}_{ext}_{fmt}"
        written[case_name] = (_write(os.path.join(tmp, "cases", case_name), checked, case, case_name), checked, case)
        if (model_name, ext) == ("key_order", "keras"):  # by name, not by position
            for extra, kwargs in (("reversed", {"reverse_inputs": True}), ("renamed", {"rename": {"zeta": "z"}})):
                extra_name = f"{case_name}_{extra}"
                written[extra_name] = (_write(os.path.join(tmp, "cases", extra_name), checked, case, extra_name,
                                              **kwargs), checked, case)
    run = parity.run_predict(*(d for d, _, _ in written.values()))
    assert "cases passed" in run.stdout, run.stdout + run.stderr
    return {name: (cases.read_result(d), checked.model_json, case) for name, (d, checked, case) in written.items()}


@pytest.mark.parametrize("model_name, ext, fmt", CASES)
def test_structure_matches_keras_by_name(results, model_name, ext, fmt):
    result, model_json, case = results[f"{model_name}_{ext}_{fmt}"]
    parity.assert_within_bounds(result)
    assert result["matched"] == "name", result
    inputs, outputs = structure_models.NAMES[model_name]
    assert case.input_names == inputs and case.output_names == outputs
    assert [o["name"] for o in result["outputs"]] == outputs


@pytest.mark.parametrize("model_name, ext, fmt", CASES)
def test_names_and_structure_in_model_json(results, model_name, ext, fmt):
    _, model_json, _ = results[f"{model_name}_{ext}_{fmt}"]
    inputs, outputs = structure_models.NAMES[model_name]
    metadata = model_json.get("userDefinedMetadata", {})
    assert metadata.get("structure") == structure_models.STRUCTURES[model_name]
    if fmt == "layers":  # the TF.js model's own inputs and outputs, in the documented order
        config = model_json["modelTopology"]["config"]
        assert [ref[0] for ref in config["input_layers"]] == inputs
        assert [ref[0] for ref in config["output_layers"]] == outputs
    else:
        assert sorted(model_json["signature"]["inputs"]) == sorted(inputs)
        assert sorted(model_json["signature"]["outputs"]) == sorted(outputs)
        assert "structuredOutputKeys" not in metadata  # only with --use_structured_outputs_names


def test_inputs_given_in_another_order_are_fed_by_name(results):
    result, _, _ = results["key_order_keras_layers_reversed"]
    parity.assert_within_bounds(result)
    assert result["matched"] == "name"


def test_names_that_are_not_the_models_fail(results):
    result, _, _ = results["key_order_keras_layers_renamed"]
    assert not result["ok"]
    assert "must match by name" in result["error"] and "z" in result["error"], result


@pytest.mark.parametrize("fmt", ["layers", "graph"])
def test_the_bazel_parity_rule_matches_by_name(results, tmp, capsys, fmt):
    """tfjs_parity_test's main (tools/bazel/parity_check.py) on the key-order model: passes, and
    its table names the outputs after the dict keys."""
    from tools.bazel import parity_check
    src = os.path.join(tmp, "key_order.keras")
    assert parity_check.main(["--model_dir", os.path.join(tmp, f"key_order_keras_{fmt}"), "--src", src,
                              "--name", f"key_order_{fmt}"]) == 0
    table = capsys.readouterr().out
    assert "parity OK" in table and all(f"  {name} " in table for name in ("a_out", "z_out")), table


def test_inspect_shows_the_structure(results, tmp):
    from tfjs_export.converter.inspect_model import inspect_model
    for fmt in ("layers", "graph"):
        summary = inspect_model(os.path.join(tmp, f"nested_outputs_keras_{fmt}"))
        assert summary["structure"] == structure_models.STRUCTURES["nested_outputs"]
