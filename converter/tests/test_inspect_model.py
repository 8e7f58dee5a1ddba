"""`inspect`: the summary of a converted directory, and its shard/manifest consistency check."""

import json
import os

import pytest

from tfjs_export.converter import convert
from tfjs_export.converter.tests.helpers import assert_one_line_error, run_cli


@pytest.fixture
def converted(tmp_path, keras_files):
    out = tmp_path / "web"
    convert(keras_files["cnn_functional"], out, quantize_uint8=["conv*/kernel"], weight_shard_size_bytes=300)
    return out


def test_json_summary(converted):
    result = run_cli("inspect", str(converted), "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["format"] == "layers-model" and summary["model_class"] == "Model"
    assert summary["inputs"] == [{"name": "image", "shape": [None, 12, 12, 3], "dtype": "float32"}]
    assert summary["outputs"] == [{"name": "probs"}]
    assert summary["layer_counts"]["Conv2D"] == 3 and summary["layer_counts"]["BatchNormalization"] == 1
    (group,) = summary["groups"]
    shard_bytes = sum(s["bytes"] for s in group["shards"])
    assert shard_bytes == summary["weight_bytes"] == sum(w["bytes"] for w in group["weights"])
    assert len(group["shards"]) == -(-shard_bytes // 300) > 2
    kernels = [w for w in group["weights"] if w["name"].endswith("/kernel") and w["name"].startswith("conv")]
    assert kernels and all(w["quantization"] == "uint8" for w in kernels)
    # uint8 stores 1 byte per value instead of 4: 3 bytes saved per quantised value.
    saved = sum(3 * w["bytes"] for w in kernels)
    assert summary["bytes_saved_by_quantization"] == saved


def test_text_summary(converted):
    result = run_cli("inspect", str(converted))
    assert result.returncode == 0, result.stderr
    assert "input:        image [None, 12, 12, 3] float32" in result.stdout
    assert "shards match the manifest" in result.stdout


def _shards(folder):
    return sorted(p for p in os.listdir(folder) if p.endswith(".bin"))


def test_missing_shard(converted):
    missing = _shards(converted)[1]
    os.remove(converted / missing)
    assert_one_line_error(run_cli("inspect", str(converted)), str(converted), missing)


@pytest.mark.parametrize("change", [b"", b"\0"], ids=["short", "long"])
def test_shard_size_disagrees_with_manifest(converted, change):
    last = converted / _shards(converted)[-1]
    data = last.read_bytes()
    last.write_bytes(data[:-1] if not change else data + change)
    result = run_cli("inspect", str(converted))
    assert_one_line_error(result, str(converted), "do not match the manifest")


def test_manifest_claims_more_weights_than_stored(converted):
    model = json.loads((converted / "model.json").read_text())
    model["weightsManifest"][0]["weights"][0]["shape"][0] += 1
    (converted / "model.json").write_text(json.dumps(model))
    assert_one_line_error(run_cli("inspect", str(converted)), "do not match the manifest")


def test_not_a_model_directory(tmp_path):
    assert_one_line_error(run_cli("inspect", str(tmp_path)), str(tmp_path), "no model.json")
