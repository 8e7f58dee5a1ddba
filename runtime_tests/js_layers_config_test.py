"""getConfig / fromConfig and gradients of our JS classes of the families ops, preprocessing,
normalization and shapes (tools/testing/js_layer_cases ops.py, preprocessing.py, shapes.py) in
tfjs-node: every case's converted model, rebuilt from its own toJSON() through each class's
fromConfig, serialises identically and predicts the same numbers; one SGD step through our layers
moves every trainable weight (runtime_tests/js_layers_config.js does the TF.js side)."""

import json
import os

import pytest

from runtime_tests import parity
from tools.testing import js_layer_cases
from tools.testing.js_layer_cases import ops, preprocessing, shapes

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CASES = ops.CASES + preprocessing.CASES + shapes.CASES
# Backward passes TF.js itself cannot do (not through our classes), asserted so that a fix shows.
NO_GRADIENT = {}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    """{case name: the JS check's result line}, one tfjs-node run for every case."""
    folder = str(tmp_path_factory.mktemp("js_config"))
    dirs = [js_layer_cases.prepare(case, folder, seed=i).case_dir for i, case in enumerate(CASES)]
    run = parity.run_js(["js_layers_config.js", *dirs], cwd=parity.find_runtime_dir(), timeout=600,
                        node_modules=parity.find_runtime_dir() / "node_modules")
    assert run.returncode == 0, run.stderr[-3000:]
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    return {line["name"]: line for line in lines}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_config_round_trip_and_gradients(results, case):
    result = results[case.name]
    assert "error" not in result, result.get("error")
    assert result["sameConfig"], "toJSON after fromConfig differs"
    assert result["maxDiff"] == 0, result
    if case.name in NO_GRADIENT:
        assert NO_GRADIENT[case.name] in (result["gradientError"] or ""), result
    elif case.trainable:
        assert result["gradientError"] is None, result["gradientError"]
        assert result["trainableMoved"] == 1, result  # every trainable weight got a gradient
