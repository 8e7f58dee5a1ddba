"""converter/labels.py and `--labels FILE` of `convert` and `bundle`: class names kept in
model.json's userDefinedMetadata.labels; a bad labels file is one error line, nothing written."""

import json
import os

import pytest

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.labels import read_labels, write_labels
from tfjs_export.converter.tests.helpers import assert_one_line_error, leftovers, run_cli


def _file(tmp_path, data):
    path = tmp_path / "labels.txt"
    path.write_bytes(data)
    return str(path)


@pytest.mark.parametrize("data, labels", [
    (b"cat\ndog\n", ["cat", "dog"]),
    (b"cat\r\ndog", ["cat", "dog"]),
    (b"\xef\xbb\xbfkatze \n  hund\n", ["katze", "hund"]),  # a BOM, spaces around names
    ("gr\u00fcn\n\u732b\n".encode(), ["gr\u00fcn", "\u732b"]),
])
def test_read_labels(tmp_path, data, labels):
    assert read_labels(_file(tmp_path, data)) == labels


@pytest.mark.parametrize("data, message", [
    (b"", "labels file is empty"),
    (b"\n", "labels file is empty"),
    (b"cat\n\ndog\n", "labels file line 2 is blank"),
    (b"cat\n   \n", "labels file line 2 is blank"),
    (b"\xffcat\n", "labels file is not UTF-8 text (byte 0)"),
])
def test_bad_labels_file(tmp_path, data, message):
    with pytest.raises(ConversionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_labels(_file(tmp_path, data))


def test_missing_labels_file(tmp_path):
    with pytest.raises(ConversionError, match="labels file not found"):
        read_labels(str(tmp_path / "nope.txt"))
    with pytest.raises(ConversionError, match="labels file is a directory"):
        read_labels(str(tmp_path))


def test_write_labels_keeps_the_rest_of_model_json(tmp_path):
    layers = {"format": "layers-model", "modelTopology": {"b": 1, "a": 2}, "weightsManifest": []}
    (tmp_path / "model.json").write_text(json.dumps(layers, separators=(",", ":")))
    write_labels(str(tmp_path), ["x", "y"])
    text = (tmp_path / "model.json").read_text()
    assert text == json.dumps(dict(layers, userDefinedMetadata={"labels": ["x", "y"]}), separators=(",", ":"))
    graph = {"format": "graph-model", "signature": {}, "userDefinedMetadata": {"other": 1}}
    (tmp_path / "model.json").write_text(json.dumps(graph, separators=(",", ":"), sort_keys=True))
    write_labels(str(tmp_path), ["z"])
    assert json.loads((tmp_path / "model.json").read_text())["userDefinedMetadata"] == {"other": 1, "labels": ["z"]}
    assert leftovers(tmp_path) == ["model.json"]


def test_convert_and_bundle_keep_the_labels(tmp_path, keras_files):
    labels = _file(tmp_path, b"zero\none\ntwo\n")
    out = tmp_path / "web"
    result = run_cli("convert", keras_files["mlp"], str(out), "--labels", labels)
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "model.json").read_text())["userDefinedMetadata"] == {"labels": ["zero", "one", "two"]}
    same = tmp_path / "same"  # still deterministic
    assert run_cli("convert", keras_files["mlp"], str(same), "--labels", labels).returncode == 0
    assert (same / "model.json").read_bytes() == (out / "model.json").read_bytes()

    other = _file(tmp_path, b"a\nb\nc\n")
    result = run_cli("bundle", str(out), "--labels", other, "--quiet")
    assert result.returncode == 0, result.stderr
    assert json.loads((out / "model.json").read_text())["userDefinedMetadata"]["labels"] == ["a", "b", "c"]
    integrity = json.loads((out / "integrity.json").read_text())["files"]["model.json"]
    assert integrity["size"] == os.path.getsize(out / "model.json")  # integrity covers the new model.json


def test_a_bad_labels_file_writes_nothing(tmp_path, keras_files):
    bad = _file(tmp_path, b"cat\n\ndog\n")
    result = run_cli("convert", keras_files["mlp"], str(tmp_path / "web"), "--labels", bad)
    assert_one_line_error(result, "labels.txt", "labels file line 2 is blank")
    assert not (tmp_path / "web").exists()
    model = tmp_path / "model"
    assert run_cli("convert", keras_files["mlp"], str(model)).returncode == 0
    before = sorted(os.listdir(model))
    result = run_cli("bundle", str(model), "--labels", str(tmp_path / "missing.txt"))
    assert_one_line_error(result, "missing.txt", "labels file not found")
    assert sorted(os.listdir(model)) == before
