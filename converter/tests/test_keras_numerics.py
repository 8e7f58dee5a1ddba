"""Low-precision and Keras-quantised weights on the Layers path, checked against Keras itself
(no TF.js here: runtime_tests/keras_numerics_parity_test.py runs the converted models):
- bfloat16 / float16 weights read from `.keras` and both `.h5` layouts equal Keras' own loading,
  widened to float32 (bfloat16 from its raw 16 bits);
- Keras-quantised Dense / Embedding (int8, int4 per channel and per block, float8) dequantise to
  exactly the weights Keras' inference uses (keras_reference.py asks Keras for them);
- the int4 unpacking and float8 rounding against Keras' packer and ml_dtypes;
- refusals name a value by its class, in lines of bounded length.
"""

import json
import zipfile

import numpy as np
import pytest

from tfjs_export.converter.errors import ConversionError, brief
from tfjs_export.converter.keras_reference import reference_model
from tfjs_export.converter.layers_config import keras_quantized
from tfjs_export.converter.readers import read_model
from tools.testing import numerics_models


def _keras_float32_weights(model):
    return {w.path: np.asarray(w).astype(np.float32) for w in model.weights}


def _save(model, tmp_path, name, ext):
    path = str(tmp_path / f"{name}.{ext}")
    model.save(path)
    return path


@pytest.mark.parametrize("ext", ["keras", "h5"])
@pytest.mark.parametrize("builder", ["bfloat16_dense", "float16_policy", "bfloat16_policy"])
def test_low_precision_weights_read_as_keras_loads_them(tmp_path, builder, ext):
    import keras
    model = {"bfloat16_dense": numerics_models.bfloat16_dense_model,
             "float16_policy": lambda: numerics_models.policy_model("float16"),
             "bfloat16_policy": lambda: numerics_models.policy_model("bfloat16")}[builder]()
    path = _save(model, tmp_path, builder, ext)
    keras_path = path if ext == "keras" else _save(model, tmp_path, builder + "_ref", "keras")
    # Keras 3.15 cannot load the bfloat16 weights of an .h5 it wrote ("No cast function
    # available"): the same model's .keras, loaded by Keras, is the reference then.
    loaded = keras.saving.load_model(keras_path, compile=False)
    expected = {f"{w.path.split('/')[0]}/{w.path.split('/')[-1]}": v for w, v in
                zip(loaded.weights, _keras_float32_weights(loaded).values())}
    spec = read_model(path)
    spec.narrow_dtypes()
    got = {w.name: w.array for w in spec.weights}
    assert set(got) == set(expected)
    for name, array in got.items():
        assert array.dtype == np.float32, name
        np.testing.assert_array_equal(array, expected[name], err_msg=name)
    low = [w for w in loaded.weights if str(w.dtype) in ("bfloat16", "float16")]
    assert low, "the model has no low-precision weights: the test would prove nothing"


QUANTISED = [("int8", None), ("int4", None), ("int4", -1), ("int4", 4), ("float8", None)]


@pytest.mark.parametrize("ext", ["keras", "h5"])
@pytest.mark.parametrize("mode,block", QUANTISED, ids=[f"{m}_{b}" for m, b in QUANTISED])
def test_keras_quantised_weights_dequantise_as_keras_computes_them(tmp_path, mode, block, ext):
    model = numerics_models.quantized_model(mode, block_size=block)
    path = _save(model, tmp_path, f"q_{mode}_{block}", ext)
    reference, label = reference_model(model)  # Keras' own dequantised weights
    assert label == f"Keras {mode} inference"
    expected = {f"{w.path.split('/')[0]}/{w.path.split('/')[-1]}": np.asarray(w) for w in reference.weights}
    spec = read_model(path)
    got = {w.name: w.array for w in spec.weights}
    assert set(got) == set(expected) == {"embed/embeddings", "hidden/kernel", "hidden/bias", "out/kernel", "out/bias"}
    for name, array in got.items():
        assert array.dtype == np.float32, name
        np.testing.assert_array_equal(array, expected[name], err_msg=name)
    notices = " ".join(spec.notices)
    assert f"Keras {mode} weights dequantised" in notices


def test_int4_unpacking_matches_keras_packing():
    from keras import quantizers
    rng = np.random.default_rng(0)
    for length in (1, 6, 7):
        values = rng.integers(-8, 8, size=(3, length)).astype(np.int8)
        packed, _, _ = quantizers.pack_int4(values, axis=-1)
        np.testing.assert_array_equal(keras_quantized.unpack_int4(np.asarray(packed), length), values)
    with pytest.raises(ValueError):
        keras_quantized.unpack_int4(np.zeros((2, 3), np.int8), 7)


def test_float8_rounding_matches_ml_dtypes():
    import ml_dtypes
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.normal(0, 30, 20000), rng.normal(0, 0.01, 5000), [0.0, 448.0, -448.0, 1000.0,
                        2 ** -9, 2 ** -10, 3 * 2 ** -11, 0.0625 + 2 ** -7]]).astype(np.float32)
    for scale in (np.float32(1.0), np.float32(0.37)):
        clipped = np.clip(x / scale, -448, 448).astype(np.float32)
        expected = clipped.astype(ml_dtypes.float8_e4m3fn).astype(np.float32) * scale
        np.testing.assert_array_equal(keras_quantized._float8_qdq(x, scale), expected)


def _config_with(tmp_path, class_name, **settings):
    """A .keras file whose one Dense layer has `settings` in its config (weights left out)."""
    layer = {"class_name": class_name, "config": {"name": "d", "units": 2, "dtype": "float32", **settings},
             "inbound_nodes": []}
    config = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "InputLayer", "config": {"batch_shape": [None, 3], "name": "in"}}, layer]}}
    path = tmp_path / f"{class_name}.keras"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", json.dumps(config))
        archive.writestr("model.weights.h5", b"")
    return str(path)


_BIG = {"module": "keras.quantizers", "class_name": "GPTQConfig", "config": {"weight_bits": 4, "group_size": 128,
        "dataset": list(range(50)), "tokenizer": {"class_name": "Tok", "config": {}}}, "shared_object_id": 1396747813}


@pytest.mark.parametrize("settings", [
    {"dtype": {"module": "keras.dtype_policies", "class_name": "QuantizedDTypePolicy",
               "config": {"mode": "int2", "source_name": "float32"}}, "quantization_config": _BIG},
    {"dtype": {"module": "keras.dtype_policies", "class_name": "GPTQDTypePolicy",
               "config": {"mode": "gptq/4/128", "source_name": "float32"}}, "quantization_config": _BIG},
    {"lora_rank": {"deeply": {"nested": list(range(200))}}},
    {"brand_new_option": {"class_name": "SomethingNew", "config": {"a": list(range(300))}}},
    {"brand_new_option": "x" * 500},
    {"activation": {"module": "keras.activations", "class_name": "CustomActivation", "config": {"x": [1] * 99}}},
], ids=["unknown_mode", "gptq_policy", "nested_dict", "new_key_object", "long_string", "activation"])
def test_refusals_name_values_briefly(tmp_path, settings):
    with pytest.raises(ConversionError) as caught:
        read_model(_config_with(tmp_path, "Dense", **settings))
    line = str(caught.value)
    assert "\n" not in line and len(line) < 320, line
    assert "shared_object_id" not in line and "{" not in line and "139674" not in line, line
    assert "'d' (Dense)" in line, line


def test_brief():
    assert brief({"class_name": "Int8QuantizationConfig", "config": {}}) == "Int8QuantizationConfig"
    assert brief({"a": 1, "b": 2}) == "a dict of 2 keys"
    assert brief([{"x": 1}] * 3) == "a list of 3 items"
    assert brief("same") == "'same'" and brief([1, 1]) == "[1, 1]"
    assert len(brief("y" * 1000)) == 40
