"""`bundle`: integrity file, loader, service worker and demo page next to model.json; bad input is
one line on stderr, exit != 0, nothing written. (Browser behaviour: runtime_tests/bundle_browser_test.py.)"""

import hashlib
import json
import os

import pytest

from tfjs_export.converter.tests.helpers import assert_one_line_error, run_cli

BUNDLE_FILES = ["index.html", "integrity.json", "tfjs-bundle-loader.js", "tfjs-bundle-sw.js"]


@pytest.fixture
def model_dir(tmp_path, keras_files):
    out = tmp_path / "web"
    result = run_cli("convert", keras_files["cnn_functional"], str(out), "--weight_shard_size_bytes", "1024")
    assert result.returncode == 0, result.stderr
    return out


def _fake_node_modules(root):
    """A node_modules with the five TF.js files bundle copies (contents don't matter here)."""
    from tfjs_export.converter.web_bundle import TFJS_FILES
    for src, _ in TFJS_FILES:
        path = root / src
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(f"/* {src} */".encode())
    return root


def test_bundle_writes_integrity_of_every_file(model_dir):
    before = sorted(os.listdir(model_dir))
    result = run_cli("bundle", str(model_dir))
    assert result.returncode == 0, result.stderr
    assert sorted(os.listdir(model_dir)) == sorted(before + BUNDLE_FILES)
    integrity = json.loads((model_dir / "integrity.json").read_text())
    shards = [p for p in before if p.endswith(".bin")]
    assert len(shards) > 1
    assert list(integrity["files"]) == ["model.json"] + sorted(shards, key=lambda s: int(s.split("shard")[1].split("of")[0]))
    for name, entry in integrity["files"].items():
        data = (model_dir / name).read_bytes()
        assert entry == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert result.stdout.startswith(f"bundled {model_dir}: integrity.json covers model.json + {len(shards)} shards")
    assert "pass --tfjs" in result.stderr  # the page would find no TF.js: say so


def test_bundle_is_deterministic_and_idempotent(model_dir):
    assert run_cli("bundle", str(model_dir)).returncode == 0
    first = {n: (model_dir / n).read_bytes() for n in BUNDLE_FILES}
    assert run_cli("bundle", str(model_dir)).returncode == 0
    assert {n: (model_dir / n).read_bytes() for n in BUNDLE_FILES} == first


def test_bundle_copies_tfjs_and_lists_it_in_the_service_worker(model_dir, tmp_path):
    modules = _fake_node_modules(tmp_path / "node_modules")
    result = run_cli("bundle", str(model_dir), "--tfjs", str(modules))
    assert result.returncode == 0, result.stderr
    assert "pass --tfjs" not in result.stderr
    copied = sorted(os.listdir(model_dir / "tfjs"))
    assert copied == sorted(["tf.min.js", "tf-backend-wasm.min.js", "tfjs-backend-wasm.wasm",
                             "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"])
    sw = (model_dir / "tfjs-bundle-sw.js").read_text()
    assert all(f'"tfjs/{name}"' in sw for name in copied) and "__SHELL_FILES__" not in sw
    page = (model_dir / "index.html").read_text()
    assert "__TITLE__" not in page and 'src="tfjs/tf.min.js"' in page


def test_not_a_model_directory(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    result = run_cli("bundle", str(tmp_path))
    assert_one_line_error(result, str(tmp_path), "not a converted TF.js model directory")
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]


def test_missing_directory_and_file_instead_of_directory(tmp_path):
    assert_one_line_error(run_cli("bundle", str(tmp_path / "nope")), "nope", "no such directory")
    (tmp_path / "model.json").write_text("{}")
    assert_one_line_error(run_cli("bundle", str(tmp_path / "model.json")), "not a directory")


def test_model_json_that_is_not_a_model(tmp_path):
    (tmp_path / "model.json").write_text('{"hello": 1}')
    assert_one_line_error(run_cli("bundle", str(tmp_path)), "model.json", "not a TF.js model.json")
    (tmp_path / "model.json").write_text('{"modelTopology": ')
    assert_one_line_error(run_cli("bundle", str(tmp_path)), "model.json", "not valid JSON")


def _shards(model_dir):
    return json.loads((model_dir / "model.json").read_text())["weightsManifest"][0]["paths"]


def test_missing_shard(model_dir):
    missing = _shards(model_dir)[1]
    (model_dir / missing).unlink()
    before = sorted(os.listdir(model_dir))
    result = run_cli("bundle", str(model_dir))
    assert_one_line_error(result, missing, "weight shard listed in model.json is missing")
    assert sorted(os.listdir(model_dir)) == before  # nothing written


def test_truncated_shard(model_dir):
    last = _shards(model_dir)[-1]
    shard = model_dir / last
    shard.write_bytes(shard.read_bytes()[:-4])
    result = run_cli("bundle", str(model_dir))
    assert_one_line_error(result, last, "truncated or wrong shard")
    assert not (model_dir / "integrity.json").exists()


def test_tfjs_option_pointing_nowhere(model_dir, tmp_path):
    result = run_cli("bundle", str(model_dir), "--tfjs", str(tmp_path / "empty"))
    assert_one_line_error(result, "tf.min.js", "--tfjs wants a node_modules directory")
    assert not (model_dir / "integrity.json").exists() and not (model_dir / "tfjs").exists()
