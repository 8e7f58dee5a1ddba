"""Our JS layer classes (converter/layers_js) in tfjs-node: every case of
tools/testing/js_layer_cases.all_cases() converted to the Layers format, loaded with
tf.loadLayersModel after the model directory's tfjs-export-layers.js registered its classes (the
runner does that, as verify does), and compared with Keras' predictions (TensorFlow backend).
One tfjs-node run for the cases of a shard; the bound is each case's (float32 rounding: 1e-5 +
1e-5 x max|output|).
"""

import json
import os

import pytest

from runtime_tests import parity
from tools.testing import js_layer_cases

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

CASES = js_layer_cases.all_cases()
@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """{case name: Prepared} for this shard's cases, after one tfjs-node run over all of them."""
    folder = str(tmp_path_factory.mktemp("js_layers"))
    done = js_layer_cases.prepare_shard(CASES, folder)
    run = parity.run_node_tests(*[p.case_dir for p in done.values()])
    return done, run


# One shard group per case index, so pytest_main's sharding and js_layer_cases.prepare_shard agree.
@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=pytest.mark.shard_group(i))
                                  for i, c in enumerate(CASES)])
def test_case_matches_keras(prepared, case):
    done, run = prepared
    result = parity.read_result(done[case.name].case_dir)
    parity.assert_within_bounds(result, context=run.stdout[-3000:])


@pytest.mark.parametrize("case", [pytest.param(c, id=c.name, marks=pytest.mark.shard_group(i))
                                  for i, c in enumerate(CASES)])
def test_case_uses_our_classes(prepared, case):
    """The converted model uses exactly the case's classes of ours (so the cases' lists say which
    classes are proven), and the file beside it holds them."""
    done, _ = prepared
    p = done[case.name]
    assert set(case.classes) == set(p.summary.js_classes), (case.classes, p.summary.js_classes)
    with open(os.path.join(p.model_dir, "model.json")) as f:
        text = json.dumps(json.load(f)["modelTopology"])
    for name in case.classes:
        assert f'"tfjs-export-layers>{name}"' in text
    with open(os.path.join(p.model_dir, "tfjs-export-layers.js")) as f:
        library = f.read()
    assert all(f"'{name}'" in library for name in case.classes)
