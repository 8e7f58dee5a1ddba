"""converter/readers/topology_check.py: a structurally broken model config is one error line
naming the layer, before the translation sees it (Keras 3 and Keras 2 layouts)."""

import pytest

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.readers.topology_check import check_model_config, translate_checked


def _keras2(*layers, outputs=("b",)):
    return {"class_name": "Model", "config": {
        "name": "m", "layers": [{"class_name": "InputLayer", "name": "a", "config": {"name": "a"},
                                 "inbound_nodes": []}, *layers],
        "input_layers": [["a", 0, 0]], "output_layers": [[name, 0, 0] for name in outputs]}}


def _dense(name, *inbound):
    return {"class_name": "Dense", "name": name, "config": {"name": name, "units": 1},
            "inbound_nodes": [[[source, 0, 0, {}] for source in inbound]]}


def _keras3_dense(name, source):
    return {"class_name": "Dense", "name": name, "config": {"name": name, "units": 1}, "inbound_nodes": [
        {"args": [{"class_name": "__keras_tensor__", "config": {"keras_history": [source, 0, 0]}}], "kwargs": {}}]}


def test_a_good_config_passes():
    check_model_config(_keras2(_dense("b", "a")), "m.h5")
    check_model_config(_keras2(_keras3_dense("b", "a")), "m.keras")


@pytest.mark.parametrize("config, message", [
    (_keras2(_dense("b", "a"), _dense("b", "a")), "model config: two layers are named 'b'"),
    (_keras2(_dense("b", "nowhere")), "refers to layer 'nowhere', which is not in the model"),
    (_keras2(_keras3_dense("b", "nowhere")), "refers to layer 'nowhere', which is not in the model"),
    (_keras2(_dense("b", "c"), _dense("c", "b")), "depends on itself (a cycle in inbound_nodes)"),
    (_keras2(dict(_dense("b", "a"), inbound_nodes={"x": 1})), "layer 'b': inbound_nodes is not a list"),
    (_keras2("not a layer"), "model config: layer #1 is not a JSON object with a config"),
    (_keras2({"class_name": "Dense", "config": {"name": 7}}), "layer #1 has a non-string name 7"),
])
def test_a_broken_graph_is_one_line_naming_the_layer(config, message):
    with pytest.raises(ConversionError) as err:
        check_model_config(config, "m.h5")
    assert str(err.value).startswith("m.h5: ") and message in str(err.value), str(err.value)


def test_nested_models_are_checked_with_their_name():
    inner = dict(_keras2(_dense("b", "a"), _dense("b", "a")), name="inner")
    inner["config"]["name"] = "inner"
    inner["inbound_nodes"] = [[["a", 0, 0, {}]]]
    with pytest.raises(ConversionError, match="model config: model 'inner': two layers are named 'b'"):
        check_model_config(_keras2(dict(inner, name="inner"), outputs=("inner",)), "m.h5")


def test_translate_checked_turns_a_type_error_into_one_line():
    config = _keras2(_dense("b", "a"))
    config["config"]["layers"][1]["class_name"] = ["Dense"]  # passes the checks, trips the translation
    with pytest.raises(ConversionError) as err:
        translate_checked(config, "m.h5", "model config", "2")
    assert str(err.value) == "m.h5: model config: malformed model config (TypeError: unhashable type: 'list')"
    with pytest.raises(ConversionError, match="the model's class_name is missing or not a string"):
        translate_checked({"config": {"layers": []}}, "m.h5", "model config", "2")
