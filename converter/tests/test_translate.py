"""converter/layers_config/translate.py on hand-written configs (no Keras import): what changes
between a Keras 3 config and the Keras-2-style config tfjs-layers reads, the rewrites, and the
errors naming the layer."""

import copy

import pytest

from tfjs_export.converter.errors import ConversionError, UnsupportedLayerError
from tfjs_export.converter.layers_config.translate import translate_model


def _tensor(layer, node=0, index=0, shape=(None, 4)):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(shape), "dtype": "float32", "keras_history": [layer, node, index]}}


def _input(name="x", shape=(None, 4)):
    return {"module": "keras.layers", "class_name": "InputLayer", "name": name, "inbound_nodes": [],
            "config": {"batch_shape": list(shape), "dtype": "float32", "sparse": False, "ragged": False,
                       "name": name, "optional": False}, "registered_name": None}


def _layer(class_name, name, inbound="x", shape=(None, 4), **config):
    return {"module": "keras.layers", "class_name": class_name, "name": name, "registered_name": None,
            "config": dict({"name": name, "trainable": True, "dtype": {
                "module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
                "registered_name": None}}, **config),
            "build_config": {"input_shape": list(shape)},
            "inbound_nodes": [{"args": [_tensor(inbound, shape=shape)], "kwargs": {}}]}


def _dense(name="dense", inbound="x", units=3, **extra):
    return _layer("Dense", name, inbound, units=units, activation="linear", use_bias=True,
                  kernel_initializer={"module": "keras.initializers", "class_name": "GlorotUniform",
                                      "config": {"seed": None}, "registered_name": None},
                  bias_initializer={"module": "keras.initializers", "class_name": "Zeros", "config": {},
                                    "registered_name": None},
                  kernel_regularizer=None, bias_regularizer=None, kernel_constraint=None,
                  bias_constraint=None, quantization_config=None, **extra)


def _functional(*layers, output="dense"):
    return {"module": "keras.src.models.functional", "class_name": "Functional", "registered_name": "Functional",
            "config": {"name": "m", "trainable": True, "layers": [_input(), *layers],
                       "input_layers": ["x", 0, 0], "output_layers": [output, 0, 0]}}


def test_a_keras3_functional_model_becomes_a_tfjs_model():
    translation = translate_model(_functional(_dense()))
    topology = translation.topology
    assert topology["class_name"] == "Model"
    assert topology["config"]["input_layers"] == [["x", 0, 0]]
    assert topology["config"]["output_layers"] == [["dense", 0, 0]]
    inp, dense = topology["config"]["layers"]
    assert inp["config"] == {"batch_input_shape": [None, 4], "dtype": "float32", "name": "x"}
    assert dense["inbound_nodes"] == [[["x", 0, 0, {}]]]
    assert dense["config"]["dtype"] == "float32"  # the DTypePolicy object, as a name
    assert dense["config"]["kernel_initializer"] == {"class_name": "GlorotUniform", "config": {"seed": None}}
    assert "quantization_config" not in dense["config"] and "module" not in dense
    assert translation.layer_weights == {"x": [], "dense": [("dense/kernel", True), ("dense/bias", True)]}


def test_use_bias_false_drops_the_bias_weight():
    config = _functional(_dense())
    config["config"]["layers"][1]["config"]["use_bias"] = False
    assert translate_model(config).layer_weights["dense"] == [("dense/kernel", True)]


def test_subclassed_models_are_refused():
    config = _functional(_dense())
    config["class_name"] = "MyModel"
    with pytest.raises(ConversionError, match="model class 'MyModel' is a subclassed model"):
        translate_model(config, path="m.keras")


@pytest.mark.parametrize("change, message", [
    (lambda c: c.update(threshold=0.5), "threshold=0.5 is not supported in TF.js (only threshold=0.0)"),
    (lambda c: c.update(something_new=1), "setting something_new=1 is not translated yet"),
])
def test_a_setting_tfjs_lacks_names_the_layer(change, message):
    relu = _layer("ReLU", "relu", inbound="dense", max_value=None, negative_slope=0.0, threshold=0.0)
    change(relu["config"])
    with pytest.raises(UnsupportedLayerError) as err:
        translate_model(_functional(_dense(), relu, output="relu"), path="m.keras")
    assert str(err.value) == f"m.keras: layer 'relu' (ReLU): {message}"


def test_a_value_tfjs_does_not_implement():
    conv = _layer("Conv1D", "conv", shape=(None, 8, 4), filters=2, kernel_size=[3], strides=[1],
                  padding="causal", data_format="channels_last", dilation_rate=[1], groups=1,
                  activation="linear", use_bias=True, kernel_initializer=None, bias_initializer=None,
                  kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                  kernel_constraint=None, bias_constraint=None, lora_rank=None)
    config = _functional(conv, output="conv")
    config["config"]["layers"][0] = _input(shape=(None, 8, 4))
    with pytest.raises(UnsupportedLayerError, match="padding='causal' is not implemented in TF.js"):
        translate_model(config)


def test_gru_reset_after_becomes_our_js_class():
    """reset_after=True (Keras' default) is our GRU (tfjs-export-layers>GRU, reading reset_after
    and zero_output_for_mask); reset_after=False stays tfjs-layers' own GRU."""
    for reset_after, class_name in ((True, "tfjs-export-layers>GRU"), (False, "GRU")):
        gru = _layer("GRU", "gru", shape=(None, 5, 4), units=2, reset_after=reset_after, zero_output_for_mask=True)
        translation = translate_model(_functional(gru, output="gru"))
        layer = translation.topology["config"]["layers"][1]
        assert layer["class_name"] == class_name
        assert ("reset_after" in layer["config"], "zero_output_for_mask" in layer["config"]) == (reset_after,) * 2


def test_mask_operations_are_left_out():
    """Keras 3 records Embedding(mask_zero)'s mask as a NotEqual operation passed as `mask`: TF.js
    layers compute masks themselves, so the operation and the kwarg go."""
    embedding = _layer("Embedding", "embedding", input_dim=5, output_dim=4, mask_zero=True)
    not_equal = dict(_layer("NotEqual", "not_equal"), module="keras.src.ops.numpy", config={"name": "not_equal"})
    not_equal["inbound_nodes"][0]["args"].append(0)
    dense = _dense(inbound="embedding")
    dense["inbound_nodes"][0]["kwargs"] = {"mask": _tensor("not_equal")}
    layers = translate_model(_functional(embedding, not_equal, dense)).topology["config"]["layers"]
    assert [layer["name"] for layer in layers] == ["x", "embedding", "dense"]
    assert layers[2]["inbound_nodes"] == [[["embedding", 0, 0, {}]]]


def test_every_unsupported_layer_is_named_at_once():
    config = _functional(_layer("Lambda", "fn", function="..."), _layer("MultiHeadAttention", "mha", inbound="fn"),
                         output="mha")
    with pytest.raises(UnsupportedLayerError) as err:
        translate_model(config)
    message = str(err.value)
    assert message.startswith("2 layers cannot be expressed in the TF.js Layers format: 'fn' (Lambda): class "
                              "'Lambda' has no TF.js Layers equivalent")
    assert "'mha' (MultiHeadAttention)" in message


def test_mismatched_classes_say_why():
    with pytest.raises(UnsupportedLayerError, match="Resizing resizes with align_corners=True"):
        translate_model(_functional(_layer("Resizing", "resize", height=2, width=2), output="resize"))


def test_keepdims_pooling_becomes_pooling_and_reshape():
    pool = _layer("GlobalAveragePooling2D", "gap", shape=(None, 3, 3, 4), data_format="channels_last", keepdims=True)
    config = _functional(pool, output="gap")
    config["config"]["layers"][0] = _input(shape=(None, 3, 3, 4))
    layers = translate_model(config).topology["config"]["layers"]
    assert [(layer["class_name"], layer["config"]["name"]) for layer in layers] == [
        ("InputLayer", "x"), ("GlobalAveragePooling2D", "gap_pool"), ("Reshape", "gap")]
    assert layers[2]["config"]["target_shape"] == [1, 1, 4]
    assert "keepdims" not in layers[1]["config"]


def test_the_input_config_is_not_changed():
    config = _functional(_dense())
    before = copy.deepcopy(config)
    translate_model(config)
    assert config == before
