"""The .keras reader: topology translated for tfjs-layers, weights named and ordered right."""

import json
import sys
import zipfile

import numpy as np
import pytest

from tfjs_export.converter.errors import ConversionError, UnsupportedLayerError
from tfjs_export.converter.readers import detect_format, read_model


def test_reader_does_not_import_tensorflow_or_keras(keras_files):
    import subprocess
    code = ("import sys; from tfjs_export.converter.readers import read_model; read_model(sys.argv[1]); "
            "bad = [m for m in ('tensorflow', 'keras', 'tf_keras', 'tensorflowjs') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code, keras_files["cnn_functional"]],
                            capture_output=True, text=True, env={"PYTHONPATH": ":".join(sys.path)})
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", ["mlp", "cnn_sequential", "cnn_functional", "two_in_two_out"])
def test_weights_match_keras_layer_by_layer(name, keras_files, keras_models_by_name):
    model = keras_models_by_name[name]
    expected = {}
    for layer in model.layers:
        for variable in layer.weights:
            expected[f"{layer.name}/{variable.name}"] = np.asarray(variable)
    spec = read_model(keras_files[name])
    assert [w.name for w in spec.weights] == list(expected)
    for weight in spec.weights:
        np.testing.assert_array_equal(weight.array, expected[weight.name], err_msg=weight.name)


def test_sequential_topology_is_keras2_style(keras_files):
    topology = read_model(keras_files["mlp"]).topology
    assert topology["class_name"] == "Sequential"
    first = topology["config"]["layers"][0]
    assert first == {"class_name": "InputLayer",
                     "config": {"batch_input_shape": [None, 8], "dtype": "float32", "name": first["config"]["name"]}}
    dense = topology["config"]["layers"][1]["config"]
    assert dense["dtype"] == "float32" and dense["activation"] == "relu"
    assert dense["kernel_initializer"] == {"class_name": "GlorotUniform", "config": {"seed": None}}
    assert "module" not in json.dumps(topology) and "registered_name" not in json.dumps(topology)


def test_functional_inbound_nodes_are_keras2_lists(keras_files):
    topology = read_model(keras_files["two_in_two_out"]).topology
    assert topology["class_name"] == "Model"
    config = topology["config"]
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["first", 0, 0], ["second", 0, 0]]
    by_name = {l["name"]: l for l in config["layers"]}
    concat = next(l for l in config["layers"] if l["class_name"] == "Concatenate")
    (node,) = concat["inbound_nodes"]
    # The merge layer's one call takes both Dense outputs, fed from inputs a and b in that order.
    assert [by_name[ref[0]]["inbound_nodes"][0][0][0] for ref in node] == ["a", "b"]
    for layer in config["layers"]:
        for node in layer["inbound_nodes"]:
            for ref in node:
                assert isinstance(ref[0], str) and ref[1:3] == [0, 0] and isinstance(ref[3], dict)


def test_detect_format_from_content_not_extension(tmp_path, keras_files):
    renamed = tmp_path / "model.bin"
    renamed.write_bytes(open(keras_files["mlp"], "rb").read())
    assert detect_format(str(renamed)) == "keras"
    h5 = tmp_path / "weights.keras"
    h5.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\0" * 100)
    assert detect_format(str(h5)) == "keras_h5"
    text = tmp_path / "notes.keras"
    text.write_text("hello")
    with pytest.raises(ConversionError, match="is not a model"):
        detect_format(str(text))


def _rewrite_config(src, dst, edit):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                edit(config)
                data = json.dumps(config).encode()
            zout.writestr(item, data)


def test_unsupported_layer_names_layer_and_class(tmp_path, keras_files):
    bad = tmp_path / "bad.keras"

    def edit(config):
        config["config"]["layers"][1]["class_name"] = "MultiHeadAttention"
    _rewrite_config(keras_files["mlp"], bad, edit)
    with pytest.raises(UnsupportedLayerError) as info:
        read_model(str(bad))
    assert info.value.class_name == "MultiHeadAttention"
    assert "MultiHeadAttention" in str(info.value) and str(bad) in str(info.value)


def test_unknown_setting_is_an_error_not_silently_dropped(tmp_path, keras_files):
    bad = tmp_path / "bad.keras"

    def edit(config):
        config["config"]["layers"][1]["config"]["some_new_option"] = 3
    _rewrite_config(keras_files["mlp"], bad, edit)
    with pytest.raises(UnsupportedLayerError, match="some_new_option=3"):
        read_model(str(bad))


def test_relu_with_threshold_is_rejected(tmp_path, keras_files):
    bad = tmp_path / "bad.keras"

    def edit(config):
        relu = next(l for l in config["config"]["layers"] if l["class_name"] == "ReLU")
        relu["config"]["threshold"] = 0.5
    _rewrite_config(keras_files["cnn_functional"], bad, edit)
    with pytest.raises(UnsupportedLayerError, match="threshold=0.5"):
        read_model(str(bad))
