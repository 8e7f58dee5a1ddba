"""converter/layers_config/rnn_cells.py on hand-written configs: Keras' RNN(cell) as the cell's
recurrent layer, a stack as a chain, and the refusals naming the layer. (Numbers from tfjs-node:
runtime_tests/rnn_cells_parity_test.py.)"""

import pytest

from tfjs_export.converter.errors import UnsupportedLayerError
from tfjs_export.converter.layers_config import rnn_cells
from tfjs_export.converter.layers_config.translate import translate_model


def _cell(class_name, units, **extra):
    return {"module": "keras.layers", "class_name": class_name, "registered_name": None,
            "config": dict({"name": class_name.lower(), "trainable": True, "dtype": "float32", "units": units,
                            "activation": "tanh", "use_bias": True, "dropout": 0.0, "recurrent_dropout": 0.0,
                            "seed": None}, **extra)}


def _rnn(cell, name="rnn", **flags):
    config = dict({"name": name, "trainable": True, "dtype": "float32", "return_sequences": False,
                   "return_state": False, "go_backwards": False, "stateful": False, "unroll": False,
                   "zero_output_for_mask": False, "cell": cell}, **flags)
    return {"module": "keras.layers", "class_name": "RNN", "registered_name": None, "config": config,
            "build_config": {"input_shape": [None, 5, 3]},
            "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__", "config": {
                "shape": [None, 5, 3], "dtype": "float32", "keras_history": ["x", 0, 0]}}], "kwargs": {}}]}


def _stack(*cells):
    return {"module": "keras.layers", "class_name": "StackedRNNCells", "registered_name": None,
            "config": {"name": "stacked_rnn_cells", "trainable": True, "dtype": "float32", "cells": list(cells)}}


def _model(layer, output="rnn"):
    inputs = {"module": "keras.layers", "class_name": "InputLayer", "name": "x", "inbound_nodes": [],
              "config": {"batch_shape": [None, 5, 3], "dtype": "float32", "sparse": False, "ragged": False,
                         "name": "x", "optional": False}}
    return {"class_name": "Functional", "config": {"name": "m", "trainable": True, "layers": [inputs, layer],
                                                   "input_layers": ["x", 0, 0], "output_layers": [output, 0, 0]}}


def test_one_cell_is_its_layer_with_the_rnns_flags():
    [layer] = rnn_cells.as_layers(_rnn(_cell("GRUCell", 4, reset_after=True), return_sequences=True), str)
    assert layer["class_name"] == "GRU"
    config = layer["config"]
    assert (config["name"], config["units"], config["return_sequences"], config["reset_after"]) == ("rnn", 4, True, True)


def test_a_stack_is_a_chain_returning_sequences_but_the_last():
    spec = _rnn(_stack(_cell("LSTMCell", 3), _cell("SimpleRNNCell", 2)), name="r")
    first, last = rnn_cells.as_layers(spec, lambda name: name + "_x")
    assert (first["class_name"], first["config"]["name"], first["config"]["return_sequences"]) == ("LSTM", "r_cell1_x", True)
    assert (last["class_name"], last["config"]["name"], last["config"]["return_sequences"]) == ("SimpleRNN", "r", False)


def test_translated_chain_is_wired_and_weights_are_in_stack_order():
    translation = translate_model(_model(_rnn(_stack(_cell("LSTMCell", 3), _cell("GRUCell", 2, reset_after=False)))))
    layers = translation.topology["config"]["layers"]
    assert [(l["class_name"], l["name"]) for l in layers[1:]] == [("LSTM", "rnn_cell1"), ("GRU", "rnn")]
    assert layers[2]["inbound_nodes"] == [[["rnn_cell1", 0, 0, {}]]]
    assert [n for n, _ in translation.layer_weights["rnn"]] == [
        "rnn_cell1/kernel", "rnn_cell1/recurrent_kernel", "rnn_cell1/bias", "rnn/kernel", "rnn/recurrent_kernel", "rnn/bias"]


@pytest.mark.parametrize("flag", ["return_state", "go_backwards", "stateful"])
def test_what_a_chain_cannot_express_is_refused(flag):
    spec = _rnn(_stack(_cell("GRUCell", 2), _cell("GRUCell", 2)), **{flag: True})
    with pytest.raises(UnsupportedLayerError, match=f"'rnn' \\(RNN\\): {flag}=True with stacked cells"):
        translate_model(_model(spec), "m.keras")


def test_a_custom_cell_is_refused_naming_its_class():
    spec = _rnn({"class_name": "MyCell", "config": {"name": "c", "units": 2}})
    with pytest.raises(UnsupportedLayerError, match="RNN of cell class 'MyCell'"):
        translate_model(_model(spec), "m.keras")
