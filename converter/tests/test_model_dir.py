"""converter/model_dir.py: what write_model_dir writes, read_model_dir accepts (both formats,
string weights whose lengths straddle shards); its refusals name the file and the field."""

import json
import os

import numpy as np
import pytest

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.model_dir import looks_like_model_dir, read_model_dir, write_model_dir
from tfjs_export.converter.quantization_plan import QuantizationPlan
from tfjs_export.converter.spec import ModelSpec, Weight

TOPOLOGY = {"class_name": "Sequential", "config": {"name": "s", "layers": []}}


def _weights():
    strings = np.empty(5, dtype=object)
    strings[:] = ["a", "", "longer string", "ü", "z" * 9]
    return [Weight("k", np.arange(6, dtype=np.float32).reshape(2, 3)), Weight("words", strings),
            Weight("i", np.array([1, -2, 3], dtype=np.int32)), Weight("flag", np.array([True, False]))]


@pytest.mark.parametrize("shard_size", [1, 3, 7, 1 << 20])
@pytest.mark.parametrize("fmt", ["layers-model", "graph-model"])
def test_round_trip(tmp_path, fmt, shard_size):
    extra = {"signature": {"inputs": {}, "outputs": {}}} if fmt == "graph-model" else {}
    topology = {"node": [{"name": w.name, "op": "Const"} for w in _weights()]} if fmt == "graph-model" else TOPOLOGY
    spec = ModelSpec(fmt, topology, _weights(), "test", extra=extra)
    files, manifest = write_model_dir(spec, tmp_path / "web", QuantizationPlan(), shard_size)
    assert sorted(files) == sorted(os.listdir(tmp_path / "web"))
    checked = read_model_dir(tmp_path / "web")
    assert checked.format == fmt and checked.manifest == manifest and not checked.quantized
    assert len(checked.shards) == len(files) - 1
    arrays = checked.read_weights()
    for weight in _weights():
        assert arrays[weight.name].tolist() == weight.array.tolist()
    text = (tmp_path / "web" / "model.json").read_text()
    assert json.loads(text)["generatedBy"] == "test" and ("signature" in text) == (fmt == "graph-model")
    assert looks_like_model_dir(tmp_path / "web")


def _written(tmp_path, shard_size=7):
    write_model_dir(ModelSpec("layers-model", TOPOLOGY, _weights()), tmp_path / "web", QuantizationPlan(), shard_size)
    return tmp_path / "web"


def test_a_string_length_pointing_past_the_shards_is_refused(tmp_path):
    web = _written(tmp_path, 1 << 20)
    shard = web / "group1-shard1of1.bin"
    data = bytearray(shard.read_bytes())
    data[24:28] = (1000).to_bytes(4, "little")  # the first string's length (after 24 bytes of k)
    shard.write_bytes(bytes(data))
    with pytest.raises(ConversionError, match="weight 'words' ends .* after the group's last shard"):
        read_model_dir(web)


def test_bytes_after_the_last_string_are_refused(tmp_path):
    web = _written(tmp_path, 1 << 20)
    with open(web / "group1-shard1of1.bin", "ab") as f:
        f.write(b"\0" * 5)
    with pytest.raises(ConversionError, match="5 bytes after the last weight"):
        read_model_dir(web)


def test_messages_name_the_file_and_the_field(tmp_path):
    web = _written(tmp_path)
    model = json.loads((web / "model.json").read_text())
    model["weightsManifest"][0]["weights"][2]["shape"] = [3, -1]
    (web / "model.json").write_text(json.dumps(model))
    with pytest.raises(ConversionError) as err:
        read_model_dir(web)
    assert str(err.value) == (f"{web / 'model.json'}: weightsManifest[0].weights[2].shape: expected a list of "
                              "integers >= 0, got a list [3, -1]")


def test_what_overwrite_may_replace(tmp_path):
    web = _written(tmp_path)
    assert looks_like_model_dir(web)
    (web / "index.html").write_text("<p>bundle page</p>")
    (web / "tfjs").mkdir()
    assert looks_like_model_dir(web)
    (web / "notes.txt").write_text("mine")
    assert not looks_like_model_dir(web)
