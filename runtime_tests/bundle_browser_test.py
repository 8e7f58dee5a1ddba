"""The web bundle in headless Chromium (runtime_tests/browser/bundle_scenarios.js): the example
model converted with small shards (4 of them) and bundled with `tfjs-export bundle --tfjs`, then
served from a loopback server:
  - first visit: the loader downloads and verifies every file, the page predicts; the model it
    assembled from the shards matches Keras on a parity case (float32 rounding);
  - the server is stopped and the page reloaded: page (service worker), model (Cache Storage) and
    prediction still work, with no request;
  - a shard's download is cut half way: the page reports it; after the server recovers a reload
    fetches only that shard;
  - one flipped byte / a truncated shard, fresh profile: the page shows an integrity error naming
    the shard and predicts nothing.
Screenshots (demo page online, offline, integrity error) go to $TEST_UNDECLARED_OUTPUTS_DIR.
"""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

from runtime_tests import browser, parity
from tools.testing import keras_models

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "bars_cnn.keras")
SHARD_BYTES = 2048  # the example's ~7.6 KB of weights -> 4 shards (3 full + 1 short)


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))  # the converter as this test sees it
    return subprocess.run([sys.executable, "-m", "tfjs_export.converter.cli", *args], capture_output=True, text=True,
                          env=env)


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    browser.check_browser()
    tmp = tmp_path_factory.mktemp("bundle")
    model_dir = tmp / "web_model"
    convert = _cli("convert", EXAMPLE, str(model_dir), "--weight_shard_size_bytes", str(SHARD_BYTES))
    assert convert.returncode == 0, convert.stderr
    modules = parity.find_runtime_dir() / "node_modules"
    bundle = _cli("bundle", str(model_dir), "--tfjs", str(modules))
    assert bundle.returncode == 0, bundle.stderr

    import keras
    model = keras.saving.load_model(EXAMPLE)
    inputs = keras_models.sample_inputs(model, batch=4, seed=5)
    case_dir = parity.write_case(tmp / "case", model_dir / "model.json", inputs,
                                 [model.predict(inputs, verbose=0)], name="bars_cnn_bundle",
                                 input_names=["image"], output_names=["class_probs"],
                                 atol=1e-5, rtol=1e-5, why="float32 rounding only")
    shots = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR") or str(tmp / "shots")
    out = tmp / "scenarios.json"
    proc = subprocess.run([parity.node_binary(), "browser/bundle_scenarios.js", str(model_dir), str(out),
                           shots, str(case_dir)], cwd=parity.find_runtime_dir(), capture_output=True,
                          text=True, timeout=300, env=parity.node_env({"CHROMIUM": browser.CHROMIUM}))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print(proc.stdout)  # the scenario timings
    result = json.loads(out.read_text())
    result["_shots"] = shots
    result["_shards"] = sorted(p.name for p in model_dir.glob("group*-shard*.bin"))
    return result


def test_bundle_has_several_shards(scenarios):
    assert len(scenarios["_shards"]) == 4


def test_first_visit_loads_verifies_and_predicts(scenarios):
    v = scenarios["first_visit"]
    assert v["state"] == "ready" and not v["pageErrors"], v
    assert sorted(v["info"]["fromNetwork"]) == sorted(["model.json"] + scenarios["_shards"])  # parallel downloads
    assert v["info"]["fromCache"] == [] and v["info"]["integritySource"] == "network"
    assert v["result"][0]["shape"] == [1, 3] and abs(sum(v["result"][0]["values"]) - 1) < 1e-5  # softmax
    assert v["latency"]["first_ms"] > 0 and v["latency"]["median_ms"] > 0
    assert v["serviceWorker"] is True, v  # registered and active (control starts with the next load)


def test_model_assembled_from_shards_matches_keras(scenarios):
    for visit in ("first_visit", "offline_reload"):
        parity_result = scenarios[visit]["parity"]
        assert parity_result["ok"], (visit, parity_result)
        assert parity_result["outputs"][0]["max_abs_err"] <= parity_result["outputs"][0]["bound"]


def test_second_visit_uses_the_cache(scenarios):
    v = scenarios["wasm_visit"]
    assert v["state"] == "ready" and v["backend"] == "wasm", v
    assert v["info"]["fromNetwork"] == [] and v["info"]["downloadedBytes"] == 0
    assert [r["path"] for r in v["requests"]] == ["integrity.json"]  # only the freshness check


def test_reload_with_the_server_stopped_works_offline(scenarios):
    v = scenarios["offline_reload"]
    assert v["state"] == "ready" and v["result"] is not None, v
    assert v["requests_while_stopped"] == 0
    assert v["info"]["integritySource"] == "cache" and v["info"]["fromNetwork"] == []
    assert sorted(v["info"]["fromCache"]) == sorted(["model.json"] + scenarios["_shards"])


def test_broken_download_resumes_with_only_the_missing_shard(scenarios):
    r = scenarios["resume"]
    assert r["interrupted"]["state"] == "error" and r["interrupted"]["errorKind"] == "network", r
    assert r["broken_shard"] in r["interrupted"]["error"]
    resumed = r["resumed"]
    assert resumed["state"] == "ready" and resumed["result"] is not None, resumed
    assert resumed["info"]["fromNetwork"] == [r["broken_shard"]]
    shard_requests = [q["path"] for q in resumed["requests"] if q["path"].endswith(".bin")]
    assert shard_requests == [r["broken_shard"]]


@pytest.mark.parametrize("kind, what", [("flipped", "SHA-256 mismatch"), ("truncated", "bytes, expected")])
def test_corrupted_shard_is_refused_with_an_integrity_error(scenarios, kind, what):
    c = scenarios["corrupt"]
    v = c[kind]
    shard = c["flipped_shard" if kind == "flipped" else "truncated_shard"]
    assert v["state"] == "error" and v["errorKind"] == "integrity", v
    assert shard in v["error"] and what in v["error"] and "integrity check failed" in v["status"]
    assert v["result"] is None and v["info"] is None


def test_screenshots_saved(scenarios):
    for name in ("bundle_demo.png", "bundle_demo_offline.png", "bundle_integrity_error.png"):
        path = os.path.join(scenarios["_shots"], name)
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", path
        assert os.path.getsize(path) > 5000, path
