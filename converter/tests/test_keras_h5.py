"""The `.h5` readers (Keras 3 and tf_keras), the extended translation table, the live-model API,
and bad input around them (each: one line on stderr, exit != 0, nothing left on disk)."""

import json
import os
import sys
import zipfile

import h5py
import numpy as np
import pytest

from tfjs_export.converter import convert_keras_model
from tfjs_export.converter.readers import detect_format, read_model
from tfjs_export.converter.tests.helpers import assert_one_line_error, leftovers, run_cli


@pytest.fixture(scope="module")
def zoo_files(tmp_path_factory):
    """{name: (keras path, h5 path, model)} for a few zoo models with nested/wrapped weights."""
    from tools.testing import keras_zoo
    folder = tmp_path_factory.mktemp("zoo")
    files = {}
    for name in ("rnn_text", "rnn_wrappers", "nested_shared", "preprocessing"):
        model = keras_zoo.ZOO[name]()
        paths = (str(folder / f"{name}.keras"), str(folder / f"{name}.h5"))
        for path in paths:
            model.save(path)
        files[name] = paths + (model,)
    return files


@pytest.mark.parametrize("name", ["rnn_text", "rnn_wrappers", "nested_shared", "preprocessing"])
def test_h5_and_keras_give_the_same_weights(zoo_files, name):
    """Keras 3 .h5 (legacy order, trainable first) and .keras (creation order) must agree."""
    keras_path, h5_path, _ = zoo_files[name]
    assert detect_format(h5_path) == "keras_h5"
    from_zip, from_h5 = read_model(keras_path), read_model(h5_path)
    assert from_zip.topology["config"] == from_h5.topology["config"]
    assert [w.name for w in from_zip.weights] == [w.name for w in from_h5.weights]
    for a, b in zip(from_zip.weights, from_h5.weights):
        np.testing.assert_array_equal(a.array, b.array, err_msg=a.name)


def test_weights_follow_tfjs_naming(zoo_files):
    names = [w.name for w in read_model(zoo_files["rnn_wrappers"][0]).weights]
    assert "time_distributed/kernel" in names  # tfjs names a wrapped layer's variables after the wrapper
    import re
    assert any(re.fullmatch(r"bidirectional(_\d+)?/forward_lstm(_\d+)?/kernel", n) for n in names), names
    assert any(re.fullmatch(r"bidirectional(_\d+)?/backward_lstm(_\d+)?/bias", n) for n in names), names
    nested = [w.name for w in read_model(zoo_files["nested_shared"][0]).weights]
    assert nested[:2] == ["shared/kernel", "shared/bias"] and "inner_bn/moving_variance" in nested


def test_nested_model_calls_are_node_one_in_tfjs(zoo_files):
    """tfjs gives a nested model its own node 0: outer calls must point at node 1."""
    layers = read_model(zoo_files["nested_shared"][0]).topology["config"]["layers"]
    shared_second_call = next(l for l in layers if l["name"] == "shared")["inbound_nodes"][1]
    assert shared_second_call[0][:3] == ["inner_seq", 1, 0]


def test_normalization_becomes_our_class(zoo_files):
    spec = read_model(zoo_files["preprocessing"][0])
    model = zoo_files["preprocessing"][2]
    keras_norm = next(layer for layer in model.layers if type(layer).__name__ == "Normalization")
    norm = next(l for l in spec.topology["config"]["layers"] if l["name"] == keras_norm.name)
    assert norm["class_name"] == "tfjs-export-layers>Normalization"
    assert norm["config"]["trainable"] is False
    weights = {w.name: w.array for w in spec.weights}
    for stat in ("mean", "variance"):
        np.testing.assert_array_equal(weights[f"{keras_norm.name}/{stat}"], np.asarray(getattr(keras_norm, stat)).reshape(-1))
    assert weights[f"{keras_norm.name}/count"].shape == ()  # kept: the model converts back to Keras


def test_h5_reader_does_not_import_tensorflow_or_keras(zoo_files):
    import subprocess
    code = ("import sys; from tfjs_export.converter.readers import read_model; read_model(sys.argv[1]); "
            "bad = [m for m in ('tensorflow', 'keras', 'tf_keras', 'tensorflowjs') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    result = subprocess.run([sys.executable, "-c", code, zoo_files["rnn_text"][1]],
                            capture_output=True, text=True, env={"PYTHONPATH": ":".join(sys.path)})
    assert result.returncode == 0, result.stdout + result.stderr


def test_tf_keras_h5_is_read_with_keras2_weight_names(tmp_path):
    from tools.testing import keras_zoo
    model = keras_zoo.TF_KERAS_ZOO["tfk_nested"]()
    path = str(tmp_path / "tfk.h5")
    model.save(path)
    spec = read_model(path)
    assert spec.generated_by.startswith("keras v2")
    expected = {v.name.split(":")[0]: np.asarray(v) for v in model.weights}
    names = [w.name for w in spec.weights]
    assert "in_dense/kernel" in names and "time_distributed/kernel" in names
    np.testing.assert_array_equal(dict((w.name, w.array) for w in spec.weights)["in_dense/kernel"],
                                  expected["in_dense/kernel"])
    # tf_keras already counts a nested model's own node: no shift
    layers = spec.topology["config"]["layers"]
    assert next(l for l in layers if l["name"] == "shared")["inbound_nodes"][1][0][:2] == ["inner", 1]


def test_convert_keras_model_live(tmp_path, zoo_files):
    summary = convert_keras_model(zoo_files["nested_shared"][2], str(tmp_path / "out"))
    assert "model.json" in summary.files
    from tools.testing import keras_zoo
    summary = convert_keras_model(keras_zoo.TF_KERAS_ZOO["tfk_rnn"](), str(tmp_path / "out2"))
    assert json.load(open(tmp_path / "out2" / "model.json"))["format"] == "layers-model"


def _model_with(tmp_path, build, name="bad.keras"):
    path = str(tmp_path / name)
    build().save(path)
    return path


def test_gru_reset_after_true_becomes_our_js_class(tmp_path):
    """Keras' default GRU (reset_after=True), which tfjs-layers lacks, is written as the GRU class
    of tfjs-export-layers (converter/layers_js), its weights under the tfjs names."""
    import keras
    path = _model_with(tmp_path, lambda: keras.Sequential([keras.Input((4, 3)), keras.layers.GRU(2, name="g")]))
    spec = read_model(path)
    (gru,) = [layer for layer in spec.topology["config"]["layers"] if layer["config"]["name"] == "g"]
    assert gru["class_name"] == "tfjs-export-layers>GRU"
    assert sorted(w.name for w in spec.weights) == ["g/bias", "g/kernel", "g/recurrent_kernel"]


def test_lambda_and_custom_layers_are_all_named(tmp_path):
    import keras

    @keras.saving.register_keras_serializable(package="t")
    class Twice(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    def build():
        x = keras.Input((3,))
        y = keras.layers.Lambda(lambda t: t + 1, name="plus_one")(x)
        return keras.Model(x, Twice(name="twice")(y))
    path = _model_with(tmp_path, build)
    result = run_cli("convert", path, str(tmp_path / "out"))
    assert_one_line_error(result, "2 layers", "'plus_one' (Lambda)", "'twice' (Twice)", "Graph format")
    assert leftovers(tmp_path) == ["bad.keras"]


def test_keepdims_pooling_is_rewritten_with_a_reshape(tmp_path):
    import keras
    path = _model_with(tmp_path, lambda: keras.Sequential([
        keras.Input((4, 4, 3)), keras.layers.GlobalAveragePooling2D(keepdims=True, name="gap")]))
    layers = read_model(path).topology["config"]["layers"]
    assert [(l["class_name"], l["config"]["name"]) for l in layers[1:]] == [
        ("GlobalAveragePooling2D", "gap_pool"), ("Reshape", "gap")]
    assert layers[2]["config"]["target_shape"] == [1, 1, 3]


# -- bad input ------------------------------------------------------------------------------------

def test_h5_with_weights_only(tmp_path):
    import keras
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    src = tmp_path / "only.weights.h5"
    model.save_weights(str(src))
    result = run_cli("convert", str(src), str(tmp_path / "out"))
    assert_one_line_error(result, "only.weights.h5", "only weights")
    assert leftovers(tmp_path) == ["only.weights.h5"]


def test_h5_weights_shape_mismatch_config(tmp_path):
    import keras
    src = tmp_path / "mismatch.h5"
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="d")]).save(str(src))
    with h5py.File(src, "r+") as h5:  # the config now says 5 units; the stored kernel has 2
        config = json.loads(h5.attrs["model_config"])
        config["config"]["layers"][1]["config"]["units"] = 5
        h5.attrs["model_config"] = json.dumps(config)
    result = run_cli("convert", str(src), str(tmp_path / "out"))
    assert_one_line_error(result, "mismatch.h5", "'d/kernel' has shape [3, 2]", "does not fit the config")
    assert leftovers(tmp_path) == ["mismatch.h5"]


def test_keras_weights_shape_mismatch_config(tmp_path, zoo_files):
    src = tmp_path / "mismatch.keras"
    with zipfile.ZipFile(zoo_files["rnn_text"][0]) as zin, zipfile.ZipFile(src, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "config.json":
                config = json.loads(data)
                lstm = next(l for l in config["config"]["layers"] if l["class_name"] == "LSTM")
                lstm["config"]["units"] += 1
                data = json.dumps(config).encode()
            zout.writestr(item, data)
    result = run_cli("convert", str(src), str(tmp_path / "out"))
    assert_one_line_error(result, "mismatch.keras", "does not fit the config")
    assert leftovers(tmp_path) == ["mismatch.keras"]


def test_keras_zip_without_weights_file(tmp_path, zoo_files):
    src = tmp_path / "noweights.keras"
    with zipfile.ZipFile(zoo_files["rnn_text"][0]) as zin, zipfile.ZipFile(src, "w") as zout:
        for item in zin.infolist():
            if item.filename != "model.weights.h5":
                zout.writestr(item, zin.read(item.filename))
    result = run_cli("convert", str(src), str(tmp_path / "out"))
    assert_one_line_error(result, "noweights.keras", "no model.weights.h5")
    assert leftovers(tmp_path) == ["noweights.keras"]


def test_truncated_h5(tmp_path, zoo_files):
    data = open(zoo_files["rnn_text"][1], "rb").read()
    src = tmp_path / "cut.h5"
    src.write_bytes(data[: len(data) // 2])
    result = run_cli("convert", str(src), str(tmp_path / "out"))
    assert_one_line_error(result, "cut.h5")
    assert leftovers(tmp_path) == ["cut.h5"]


def test_flipped_byte_in_stored_weights_is_caught_by_crc(tmp_path, zoo_files):
    """model.weights.h5 is read through a direct view of the stored member; its CRC is checked."""
    src = tmp_path / "flipped.keras"
    data = bytearray(open(zoo_files["rnn_text"][0], "rb").read())
    with zipfile.ZipFile(zoo_files["rnn_text"][0]) as archive:
        info = archive.getinfo("model.weights.h5")
        assert info.compress_type == zipfile.ZIP_STORED
    data[info.header_offset + 30 + len("model.weights.h5") + info.file_size // 2] ^= 0x40
    src.write_bytes(bytes(data))
    result = run_cli("convert", str(src), str(tmp_path / "out"))
    assert_one_line_error(result, "flipped.keras", "CRC")
    assert leftovers(tmp_path) == ["flipped.keras"]
