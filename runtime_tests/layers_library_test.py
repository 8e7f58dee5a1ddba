"""tfjs-export-layers.js as its users load it, in tfjs-node (runtime_tests/layers_library_check.js):
for converted models of several js_layer_cases, loading without the file fails naming our class;
the file registers the model's classes both as a CommonJS module and as a classic script (a vm
context with a global `tf`, as a page after tf.min.js); the model rebuilt from its own toJSON()
predicts the same (getConfig / fromConfig round trip); every trainable weight gets a gradient and
five SGD steps of `fit` lower the loss (the classes train; that the gradients and fit steps
match Keras' is runtime_tests/training_parity_test.py's, for every case). The Bazel parity check (verify) and
`bundle` take the file; and the families' `provides`/`needs` the converter parses are what the
modules export."""

import json
import os

import pytest

from runtime_tests import parity
from tfjs_export.converter.writers import layers_js
from tools.testing import js_layer_cases

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

def _tfjs_node():
    return parity.find_runtime_dir() / "node_modules"


# One case per class (and mask path), with weights
NAMES = ("gru_sequences_states", "zero_masked_steps", "bilstm_tagger", "einsum_dense", "mha_cross_key_mask",
         "mha_masked_tokens", "transformer_classifier", "dot_attention", "additive_attention",
         # js16b's families with weights: keras.ops between Dense layers, the 1-D convolutions, the normalisations
         "ops_issue", "conv1d_family", "normalizations")


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("library"))
    cases = {c.name: c for c in js_layer_cases.all_cases()}
    prepared = {name: js_layer_cases.prepare(cases[name], folder) for name in NAMES}
    run = parity.run_js(["layers_library_check.js"] + [p.model_dir for p in prepared.values()],
                        cwd=parity.find_runtime_dir(), timeout=600, node_modules=_tfjs_node())
    lines = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == len(NAMES), run.stdout[-3000:] + run.stderr[-3000:]
    return {name: (cases[name], line, prepared[name]) for name, line in zip(NAMES, lines)}


@pytest.mark.parametrize("name", NAMES)
def test_library_registers_round_trips_and_trains(checked, name):
    case, result, _ = checked[name]
    assert "error" not in result, result
    assert result["without"] and result["without"].startswith("Unknown layer: tfjs-export-layers>"), result
    assert set(case.classes) <= set(result["classes"])
    assert result["scriptGlobal"] == result["classes"] and result["registered"]
    assert result["roundTrip"] <= 1e-6, result
    assert result["gradients"]["nonZero"] == result["gradients"]["of"] > 0, result
    assert result["training"]["after"] < result["training"]["before"], result


def test_parsed_families_are_what_the_modules_export():
    script = ("const fs = require('fs'); const dir = process.argv[1]; const out = {};"
              "for (const f of fs.readdirSync(dir)) { if (!f.endsWith('.js') || f === 'registry.js') continue;"
              "const m = require(dir + '/' + f); out[f.slice(0, -3)] = [m.provides, m.needs]; }"
              "console.log(JSON.stringify(out));")
    run = parity.run_js(["-e", script, os.path.join(layers_js.LIBRARY_DIR, "src")], cwd=parity.find_runtime_dir(),
                        node_modules=_tfjs_node())
    exported = json.loads(run.stdout)
    assert {k: (tuple(p), tuple(n)) for k, (p, n) in exported.items()} == layers_js.families()


def test_index_lists_every_family():
    script = "console.log(JSON.stringify(require(process.argv[1]).classNames))"
    run = parity.run_js(["-e", script, os.path.join(layers_js.LIBRARY_DIR, "index.js")], cwd=parity.find_runtime_dir(),
                        node_modules=_tfjs_node())
    assert json.loads(run.stdout) == sorted(layers_js.provided_classes())


def test_the_bazel_parity_check_and_the_bundle_take_the_file(checked, tmp_path):
    """tfjs_parity_test's check (tools/bazel/parity_check.py, i.e. verify) loads the model's
    tfjs-export-layers.js itself; `bundle` lists it in integrity.json with its SHA-256 (its
    loader runs it only after that check)."""
    import hashlib
    import shutil

    from tfjs_export.converter.web_bundle import write_bundle
    from tools.bazel import parity_check
    case, result, _ = checked["transformer_classifier"]
    model_dir = result["dir"]  # <folder>/<case>/model, converted from <folder>/<case>.keras
    source = os.path.join(os.path.dirname(os.path.dirname(model_dir)), f"{case.name}.keras")
    assert parity_check.main(["--model_dir", model_dir, "--src", source, "--name", case.name]) == 0
    bundled = tmp_path / "bundle"
    shutil.copytree(model_dir, bundled)
    write_bundle(bundled)
    integrity = json.loads((bundled / "integrity.json").read_text())["files"][layers_js.FILE_NAME]
    data = (bundled / layers_js.FILE_NAME).read_bytes()
    assert integrity == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
