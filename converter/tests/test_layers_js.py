"""converter/writers/layers_js.py: which classes a topology uses, which families the file holds,
deterministic bytes, no file when nothing is needed; the CLI's report and --json name them."""

import json

import pytest

from tfjs_export.converter.writers import layers_js


def _topology(*class_names):
    """A Layers topology using `class_names` (one nested in a Bidirectional)."""
    layers = [{"class_name": name, "config": {"name": f"l{i}"}} for i, name in enumerate(class_names)]
    wrapped = {"class_name": "Bidirectional", "config": {"name": "bi", "layer": layers.pop()}} if layers else None
    return {"class_name": "Model", "config": {"layers": layers + ([wrapped] if wrapped else [])}}


def test_classes_in_finds_ours_nested_too():
    topology = _topology("Dense", "tfjs-export-layers>MultiHeadAttention", "tfjs-export-layers>GRU")
    assert layers_js.classes_in(topology) == ["GRU", "MultiHeadAttention"]
    assert layers_js.classes_in(_topology("Dense", "LSTM")) == []


def test_the_file_holds_only_the_families_needed(tmp_path):
    name, classes = layers_js.write_library(tmp_path, _topology("Dense", "tfjs-export-layers>GRU"))
    assert (name, classes) == ("tfjs-export-layers.js", ["GRU"])
    text = (tmp_path / name).read_text()
    assert '{name: "recurrent"}' in text and '{name: "common"}' in text
    assert "class MultiHeadAttention" not in text and "class EinsumDense" not in text
    assert text.startswith(f"/* tfjs-export-layers {layers_js.version()}: TF.js layer classes GRU, GRUCell, LSTM, SimpleRNN.")


def test_same_classes_same_bytes(tmp_path):
    topology = _topology("tfjs-export-layers>MultiHeadAttention", "tfjs-export-layers>GRU")
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir(), second.mkdir()
    layers_js.write_library(first, topology)
    layers_js.write_library(second, json.loads(json.dumps(topology)))
    assert (first / layers_js.FILE_NAME).read_bytes() == (second / layers_js.FILE_NAME).read_bytes()


def test_no_file_without_our_classes(tmp_path):
    assert layers_js.write_library(tmp_path, _topology("Dense")) == (None, [])
    assert list(tmp_path.iterdir()) == []


def test_a_class_no_family_provides_is_an_error():
    with pytest.raises(ValueError, match="no family of tfjs-export-layers provides Nope"):
        layers_js.families_for(["Nope"])


def test_package_version_is_the_converters():
    from tfjs_export.converter.version import __version__
    with open(f"{layers_js.LIBRARY_DIR}/package.json") as f:
        package = json.load(f)
    assert package["version"] == layers_js.version() == __version__
    assert package["name"] == layers_js.PACKAGE
    with open(f"{layers_js.LIBRARY_DIR}/package-lock.json") as f:
        assert json.load(f)["version"] == __version__


def test_family_modules_require_nothing():
    """The converter inlines them: a require() would fail in a page."""
    import os
    src = os.path.join(layers_js.LIBRARY_DIR, "src")
    for name in os.listdir(src):
        with open(os.path.join(src, name)) as f:
            assert "require(" not in f.read(), name


def test_the_report_names_the_classes_and_how_to_load_them():
    from tfjs_export.converter.report import ConversionSummary
    summary = ConversionSummary(src="m.keras", input_format="keras", output_format="tfjs_layers_model", out_dir="web",
                                files=["model.json", "group1-shard1of1.bin", "tfjs-export-layers.js"], total_bytes=10,
                                seconds=0.1, notices=[], tensors=3, js_classes=["GRU", "MultiHeadAttention"])
    lines = summary.block().splitlines()
    assert lines[2] == ("  classes  GRU, MultiHeadAttention from tfjs-export-layers.js: load it before the model, in Node "
                        "`require(dir + '/tfjs-export-layers.js').register(tf)`, in a page "
                        "`<script src=\"tfjs-export-layers.js\">` after tf.min.js")
    assert lines[3].startswith("  output   model.json + 1 shard + tfjs-export-layers.js, 10 bytes")
    assert summary.as_dict()["js_classes"] == ["GRU", "MultiHeadAttention"]


# Classes of the library a case proves through another class (GRU's cell).
_PROVEN_INSIDE = {"GRUCell": "GRU"}


def test_every_class_of_the_library_has_a_parity_case():
    """Each class the library provides is used by a js_layer_cases case (whose list of classes
    js_layers_parity_test checks against the converted model): every class is proven in
    tfjs-node and the four Chromium backends."""
    from tools.testing import js_layer_cases
    used = {name for case in js_layer_cases.all_cases() for name in case.classes}
    assert set(layers_js.provided_classes()) - used - set(_PROVEN_INSIDE) == set()
    assert set(_PROVEN_INSIDE.values()) <= used and used <= set(layers_js.provided_classes())
