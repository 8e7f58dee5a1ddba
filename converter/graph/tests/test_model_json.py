"""weights.py + model_json.py, through the whole pipeline: the model.json TF.js reads, weights
taken out of the Const nodes, deterministic bytes, quantisation and sharding options."""

import json
import os

from tfjs_export import codec
from tfjs_export.converter import convert


def _convert(src, out, **options):
    convert(src, str(out), output_format="tfjs_graph_model", **options)
    return json.loads((out / "model.json").read_text())


def test_model_json_layout(model_files, tmp_path):
    model = _convert(model_files["two_in_two_out"], tmp_path / "m")
    assert model["format"] == "graph-model" and model["convertedBy"].startswith("tfjs-export v")
    assert model["generatedBy"].startswith("Keras 3.")
    assert model["signature"]["inputs"]["a"] == {
        "name": "a:0", "dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "-1"}, {"size": "6"}]}}
    assert sorted(model["signature"]["outputs"]) == ["first", "second"]
    nodes = model["modelTopology"]["node"]
    consts = [n for n in nodes if n["op"] == "Const"]
    weights = model["weightsManifest"][0]["weights"]
    assert [w["name"] for w in weights] == [n["name"] for n in consts]
    for node in consts:  # the topology keeps dtype and shape, never the data
        tensor = node["attr"]["value"]["tensor"]
        assert set(tensor) <= {"dtype", "tensorShape"}, tensor
    decoded = codec.read_weights(model["weightsManifest"], str(tmp_path / "m"))
    assert all(decoded[w["name"]].shape == tuple(w["shape"]) for w in weights)


def test_output_is_byte_identical_across_runs(model_files, tmp_path):
    for out in ("a", "b"):
        _convert(model_files["cnn_functional"], tmp_path / out, quantize_uint8=None, weight_shard_size_bytes=300)
    names = sorted(os.listdir(tmp_path / "a"))
    assert names == sorted(os.listdir(tmp_path / "b")) and len(names) >= 3
    for name in names:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_quantisation_globs_apply_to_graph_weights(model_files, tmp_path):
    model = _convert(model_files["cnn_functional"], tmp_path / "q", quantize_float16=["*probs*"])
    weights = model["weightsManifest"][0]["weights"]
    quantised = [w["name"] for w in weights if "quantization" in w]
    assert quantised and all("probs" in name for name in quantised)
    assert all(w["quantization"]["dtype"] == "float16" for w in weights if "quantization" in w)
