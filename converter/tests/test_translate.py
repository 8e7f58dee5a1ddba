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


def test_recurrent_layers_become_our_js_classes_where_tfjs_differs():
    """GRU reset_after=True (Keras' default) or any RNN with zero_output_for_mask=True (Keras'
    Bidirectional returning sequences) is our class (tfjs-export-layers>..., reading those keys);
    otherwise tfjs-layers' own class, without them."""
    cases = [("GRU", {"reset_after": True}, "tfjs-export-layers>GRU"),
             ("GRU", {"reset_after": False, "zero_output_for_mask": True}, "tfjs-export-layers>GRU"),
             ("GRU", {"reset_after": False, "zero_output_for_mask": False}, "GRU"),
             ("LSTM", {"zero_output_for_mask": True}, "tfjs-export-layers>LSTM"),
             ("LSTM", {"zero_output_for_mask": False}, "LSTM"),
             ("SimpleRNN", {"zero_output_for_mask": True}, "tfjs-export-layers>SimpleRNN")]
    for keras_class, settings, class_name in cases:
        layer = _layer(keras_class, "rnn", shape=(None, 5, 4), units=2, **settings)
        translated = translate_model(_functional(layer, output="rnn")).topology["config"]["layers"][1]
        assert translated["class_name"] == class_name, (keras_class, settings)
        present = [key in translated["config"] for key in settings]
        assert all(present) if class_name != keras_class else not any(present)


def _mha(*args, **kwargs):
    mha = _layer("MultiHeadAttention", "mha", shape=(None, 3, 4), num_heads=2, key_dim=2)
    mha["inbound_nodes"] = [{"args": list(args), "kwargs": kwargs}]
    return mha


def test_a_call_with_tensors_in_several_arguments_becomes_one_list():
    """MultiHeadAttention(query, value, key=..., attention_mask=..., use_causal_mask=True): one
    TF.js call on [query, value, key, mask] with tensor_args naming them; a tensor given twice
    (self-attention) is one input."""
    inputs = [_input(name, (None, 3, 4)) for name in ("q", "v", "k", "m")]
    mha = _mha(_tensor("q", shape=(None, 3, 4)), _tensor("v", shape=(None, 3, 4)), key=_tensor("k"),
               attention_mask=_tensor("m"), use_causal_mask=True)
    config = _functional(mha, output="mha")
    config["config"]["layers"][:1] = inputs
    config["config"]["input_layers"] = [[n, 0, 0] for n in ("q", "v", "k", "m")]
    layer = translate_model(config).topology["config"]["layers"][-1]
    assert layer["class_name"] == "tfjs-export-layers>MultiHeadAttention"
    kwargs = {"use_causal_mask": True, "tensor_args": {"query": 0, "value": 1, "key": 2, "attention_mask": 3}}
    assert layer["inbound_nodes"] == [[[n, 0, 0, kwargs] for n in ("q", "v", "k", "m")]]
    self_attention = _functional(_mha(_tensor("x", shape=(None, 3, 4)), _tensor("x", shape=(None, 3, 4))), output="mha")
    node = translate_model(self_attention).topology["config"]["layers"][-1]["inbound_nodes"][0]
    assert node == [["x", 0, 0, {"tensor_args": {"query": 0, "value": 0}}]]


def test_the_mask_of_a_later_argument_comes_from_a_keras_mask_layer():
    """tfjs-layers passes a layer its first input's mask only: a masked value gets a KerasMask."""
    embedding = _layer("Embedding", "embedding", input_dim=5, output_dim=4, mask_zero=True)
    mha = _mha(_tensor("x", shape=(None, 3, 4)), _tensor("embedding", shape=(None, 3, 4)))
    layers = translate_model(_functional(embedding, mha, output="mha")).topology["config"]["layers"]
    assert [(layer["class_name"], layer["name"]) for layer in layers[2:]] == [
        ("tfjs-export-layers>KerasMask", "embedding_keras_mask"), ("tfjs-export-layers>MultiHeadAttention", "mha")]
    assert layers[2]["inbound_nodes"] == [[["embedding", 0, 0, {}]]]
    assert layers[3]["inbound_nodes"][0][0][3]["tensor_args"] == {"query": 0, "value": 1, "value_mask": 2}


def test_a_js_class_called_twice_with_different_arguments_is_refused():
    mha = _mha(_tensor("x", shape=(None, 3, 4)), _tensor("x", shape=(None, 3, 4)))
    mha["inbound_nodes"].append({"args": mha["inbound_nodes"][0]["args"], "kwargs": {"use_causal_mask": True}})
    with pytest.raises(UnsupportedLayerError, match="called several times with different arguments"):
        translate_model(_functional(mha, output="mha"))


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
    config = _functional(_layer("Lambda", "fn", function="..."), _layer("GroupQueryAttention", "mha", inbound="fn"),
                         output="mha")
    with pytest.raises(UnsupportedLayerError) as err:
        translate_model(config)
    message = str(err.value)
    assert message.startswith("2 layers cannot be expressed in the TF.js Layers format: 'fn' (Lambda): class "
                              "'Lambda' has no TF.js Layers equivalent")
    assert "'mha' (GroupQueryAttention)" in message


def test_mismatched_classes_say_why():
    with pytest.raises(UnsupportedLayerError, match="Masking.*keeps a mask through Flatten"):
        translate_model(_functional(_layer("Masking", "mask", mask_value=0.0), output="mask"))


def test_resizing_is_our_keras_exact_class():
    layer = translate_model(_functional(_layer("Resizing", "resize", height=2, width=3, interpolation="nearest"),
                                        output="resize")).topology["config"]["layers"][1]
    assert layer["class_name"] == "tfjs-export-layers>Resizing"
    assert (layer["config"]["height"], layer["config"]["width"], layer["config"]["interpolation"]) == (2, 3, "nearest")
    with pytest.raises(UnsupportedLayerError, match="interpolation='bicubic' is not implemented"):
        translate_model(_functional(_layer("Resizing", "resize", height=2, width=2, interpolation="bicubic"),
                                    output="resize"))


def _keras2(class_name, name, inbound, **config):
    """A Keras 2 (tf_keras .h5) functional layer: list inbound nodes, no recorded shapes."""
    return {"class_name": class_name, "name": name, "config": dict({"name": name, "trainable": True}, **config),
            "inbound_nodes": [[[inbound, 0, 0, {}]]] if inbound else []}


def test_keepdims_pooling_of_a_keras2_config_finds_its_channels_through_the_topology():
    """tf_keras records no shapes: the channels entering the pooling come from the Conv2D's
    filters, through the ReLU, the Add (its first input) and the BatchNormalization after it."""
    layers = [
        _keras2("InputLayer", "x", None, batch_input_shape=[None, 8, 8, 3], dtype="float32"),
        _keras2("Conv2D", "conv", "x", filters=6, kernel_size=[1, 1]),
        _keras2("ReLU", "relu", "conv"),
        _keras2("Add", "add", None),
        _keras2("BatchNormalization", "bn", "add"),
        _keras2("GlobalAveragePooling2D", "pool", "bn", keepdims=True, data_format="channels_last"),
    ]
    layers[3]["inbound_nodes"] = [[["relu", 0, 0, {}], ["conv", 0, 0, {}]]]
    config = {"class_name": "Functional", "config": {"name": "m", "layers": layers, "input_layers": [["x", 0, 0]],
                                                     "output_layers": [["pool", 0, 0]]}}
    translated = translate_model(config, keras_version="2.19.0").topology["config"]["layers"]
    reshape = [layer for layer in translated if layer["name"] == "pool"][0]
    assert reshape["class_name"] == "Reshape" and reshape["config"]["target_shape"] == [1, 1, 6]
    layers[1]["config"]["data_format"] = "channels_first"  # unknown channels: still refused
    with pytest.raises(UnsupportedLayerError, match="keepdims=True needs the layer's input shape"):
        translate_model(config, keras_version="2.19.0")


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
