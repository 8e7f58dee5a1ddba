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
    the shard and predicts nothing;
  - the demo page as a user sees it (bundled with `--labels`, WebGL and WebGPU enabled, no
    ?backend): the fastest backend the bundle and browser offer is chosen; a picked image of a
    bar shows beside its top classes as labelled bars, whose values are Keras' probabilities for
    that image; timings are shown.
Screenshots (demo page online, offline, integrity error, classifier) go to
$TEST_UNDECLARED_OUTPUTS_DIR.
"""

import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest

from examples import bars
from runtime_tests import browser, parity
from tools.testing import keras_models, structure_models

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "bars_cnn.keras")
SHARD_BYTES = 2048  # the example's ~7.6 KB of weights -> 4 shards (3 full + 1 short)


def _png_gray(pixels):
    """A greyscale 8-bit PNG of a 2-D uint8 array (what a user would pick in the file input)."""
    height, width = pixels.shape
    raw = b"".join(b"\x00" + row.tobytes() for row in pixels)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _cli(*args):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))  # the converter as this test sees it
    return subprocess.run([sys.executable, "-m", "tfjs_export.converter.cli", *args], capture_output=True, text=True,
                          env=env)


def _structured_bundles(tmp, modules):
    """Bundles of a model with dict inputs and dict outputs that uses a dict-I/O model as a layer
    (tools/testing/structure_models.py), Layers then Graph format, each with its parity case as
    `verify` builds it (by name): [bundle dir, case dir, ...]."""
    from tfjs_export.converter.model_dir import read_model_dir
    from tfjs_export.converter.verify import _graph_reference, _layers_reference
    src = tmp / "model_in_model.keras"
    structure_models.model_in_model().save(src)
    args = []
    for fmt in ("tfjs_layers_model", "tfjs_graph_model"):
        model_dir = tmp / f"dict_model_{fmt}"
        assert _cli("convert", str(src), str(model_dir), "--output_format", fmt).returncode == 0
        bundle = _cli("bundle", str(model_dir), "--tfjs", str(modules))
        assert bundle.returncode == 0, bundle.stderr
        checked = read_model_dir(str(model_dir))
        case = (_graph_reference(str(src), checked, 2, 3, "serving_default", ("serve",), False)
                if fmt == "tfjs_graph_model" else _layers_reference(str(src), checked, 2, 3))
        case_dir = parity.write_case(tmp / f"dict_case_{fmt}", model_dir / "model.json", case.inputs, case.expected,
                                     name=f"model_in_model_{fmt}", input_names=case.input_names,
                                     output_names=case.output_names, fmt=checked.format, atol=1e-5, rtol=1e-5,
                                     why="float32 rounding only")
        args += [str(model_dir), str(case_dir)]
    return args


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    browser.check_browser()
    tmp = tmp_path_factory.mktemp("bundle")
    model_dir = tmp / "web_model"
    convert = _cli("convert", EXAMPLE, str(model_dir), "--weight_shard_size_bytes", str(SHARD_BYTES))
    assert convert.returncode == 0, convert.stderr
    modules = parity.find_runtime_dir() / "node_modules"
    labels = tmp / "labels.txt"
    labels.write_text("\n".join(bars.CLASSES) + "\n")
    bundle = _cli("bundle", str(model_dir), "--tfjs", str(modules), "--labels", str(labels))
    assert bundle.returncode == 0, bundle.stderr

    import keras
    model = keras.saving.load_model(EXAMPLE)
    images, truth = bars.make_images(4, seed=7)
    pixels = np.rint(images[1, :, :, 0] * 255).astype(np.uint8)  # a diagonal bar
    image = tmp / "diagonal_bar.png"
    image.write_bytes(_png_gray(pixels))
    picked = (pixels.astype("float32") / 255)[None, :, :, None]  # what the page feeds the model
    inputs = keras_models.sample_inputs(model, batch=4, seed=5)
    case_dir = parity.write_case(tmp / "case", model_dir / "model.json", inputs,
                                 [model.predict(inputs, verbose=0)], name="bars_cnn_bundle",
                                 input_names=["image"], output_names=["class_probs"],
                                 atol=1e-5, rtol=1e-5, why="float32 rounding only")
    dict_bundles = _structured_bundles(tmp, modules)
    shots = os.environ.get("TEST_UNDECLARED_OUTPUTS_DIR") or str(tmp / "shots")
    out = tmp / "scenarios.json"
    proc = subprocess.run([parity.node_binary(), "browser/bundle_scenarios.js", str(model_dir), str(out),
                           shots, str(case_dir), str(image), *dict_bundles],
                          cwd=parity.find_runtime_dir(), capture_output=True,
                          text=True, timeout=300, env=parity.node_env({"CHROMIUM": browser.CHROMIUM}))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    print(proc.stdout)  # the scenario timings
    result = json.loads(out.read_text())
    result["_shots"] = shots
    result["_shards"] = sorted(p.name for p in model_dir.glob("group*-shard*.bin"))
    result["_picked"] = {"truth": bars.CLASSES[truth[1]], "keras": model.predict(picked, verbose=0)[0].tolist(),
                         "webgpu_bundled": (model_dir / "tfjs" / "tf-backend-webgpu.min.js").is_file()}
    result["_model_json"] = json.loads((model_dir / "model.json").read_text())
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


def test_labels_are_kept_in_the_model(scenarios):
    assert scenarios["_model_json"]["userDefinedMetadata"]["labels"] == list(bars.CLASSES)


def test_demo_page_picks_the_fastest_backend(scenarios):
    """No ?backend: WebGPU when the bundle has it (node_modules held the package), else WebGL
    (the browser here offers it through SwiftShader); the selector keeps "fastest available"."""
    dom = scenarios["demo_page"]["dom"]
    tried = dom["backend"]["tried"]
    assert [t["name"] for t in tried] == ["webgpu", "webgl", "wasm", "cpu"][:len(tried)]
    assert [t["ok"] for t in tried] == [False] * (len(tried) - 1) + [True]
    wanted = "webgpu" if scenarios["_picked"]["webgpu_bundled"] else "webgl"
    assert dom["backend"]["chosen"] == dom["tfBackend"] == wanted, tried
    if wanted == "webgl":
        assert tried[0] == {"name": "webgpu", "ok": False, "why": "not in this bundle"}
    assert dom["backendChosen"] == f"{wanted} (fastest available)"
    assert dom["backendSelect"] == "" and dom["backendOptions"][1:] == ["webgpu", "webgl", "wasm", "cpu"]


def test_demo_page_shows_the_top_classes_as_labelled_bars(scenarios):
    """The picked image's classes, most likely first, named from --labels, with Keras'
    probabilities for that image; each bar's width is its probability."""
    dom = scenarios["demo_page"]["dom"]
    assert dom["state"] == "ready" and dom["labels"] == list(bars.CLASSES), dom
    keras_probs = scenarios["_picked"]["keras"]
    wanted = sorted(range(len(bars.CLASSES)), key=lambda i: -keras_probs[i])
    assert [b["label"] for b in dom["bars"]] == [bars.CLASSES[i] for i in wanted]
    assert dom["bars"][0]["label"] == scenarios["_picked"]["truth"] == "diagonal"
    for bar, index in zip(dom["bars"], wanted):
        assert bar["shown"] and abs(bar["value"] - keras_probs[index]) < 1e-4, (bar, keras_probs)
        assert bar["text"] == f"{100 * bar['value']:.1f}%"
        assert abs(bar["widthPx"] / bar["trackPx"] - bar["value"]) < 0.01, bar


def test_demo_page_shows_the_picked_image_and_timings(scenarios):
    dom = scenarios["demo_page"]["dom"]
    assert dom["picked"] == {"shown": True, "naturalWidth": 16, "name": "diagonal_bar.png", "besideBars": True}
    timings = dom["timings"]
    assert timings["shown"] and all(" ms" in timings[k] for k in ("load", "first", "warm")), timings
    assert timings["warm"].endswith(f"(median of 5, {dom['tfBackend']})")


@pytest.mark.parametrize("index, fmt", [(0, "layers-model"), (1, "graph-model")])
def test_dict_model_is_fed_and_read_by_name_through_the_loader(scenarios, index, fmt):
    """A dict-in, dict-out model (with a dict-I/O model inside), in each format: the demo page
    predicts and names its outputs; the loader's predict() takes the inputs as a dict and returns
    the outputs as a dict keyed like the Keras model's, each matching Keras."""
    s = scenarios["structured"][index]
    assert s["visit"]["info"]["format"] == fmt
    assert s["visit"]["state"] == "ready" and not s["visit"]["pageErrors"], s["visit"]
    assert [r["name"] for r in s["visit"]["result"]] == ["cls", "total"]
    assert s["structure"] == structure_models.STRUCTURES["model_in_model"]
    assert sorted(s["outputKeys"]) == ["cls", "total"]
    assert s["parity"]["ok"], s["parity"]
    assert [o["name"] for o in s["parity"]["outputs"]] == ["cls", "total"]
    assert all(o["max_abs_err"] <= o["bound"] for o in s["parity"]["outputs"])


def test_screenshots_saved(scenarios):
    for name in ("bundle_demo.png", "bundle_demo_offline.png", "bundle_integrity_error.png",
                 "bundle_demo_classifier.png"):
        path = os.path.join(scenarios["_shots"], name)
        with open(path, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n", path
        assert os.path.getsize(path) > 5000, path
