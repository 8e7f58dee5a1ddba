"""converter/structure.py: leaves in Keras' flattening order, their names, the recorded
structure, and the structures refused with a message saying why (no TensorFlow needed)."""

import pytest

from tfjs_export.converter.layers_config.translate import translate_model
from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter import structure


def test_leaves_follow_keras_flattening_order_dict_keys_sorted():
    struct = [["a", 0, 0], {"zeta": ["z", 0, 0], "alpha": [["b", 0, 0], ["c", 1, 0]]}]
    assert structure.flatten(struct) == [((0,), ["a", 0, 0]), ((1, "alpha", 0), ["b", 0, 0]),
                                         ((1, "alpha", 1), ["c", 1, 0]), ((1, "zeta"), ["z", 0, 0])]
    # two leaves under one key would get the same name: refused
    with pytest.raises(structure.StructureError, match="two outputs would both be named 'alpha'"):
        structure.named_leaves(struct, "outputs")


def test_names_join_dict_keys_and_fall_back_to_the_layer_name():
    struct = {"task": {"score": ["s", 0, 0]}, "aux": [["x", 0, 0]]}
    leaves = structure.named_leaves(struct, "outputs")
    assert [(name, ref[0], keyed) for name, ref, keyed in leaves] == [("aux", "x", True), ("task/score", "s", True)]
    assert [n for n, _, _ in structure.named_leaves([["p", 0, 0], [["q", 0, 0]]])] == ["p", "q"]


def test_metadata_records_only_structures_tf_js_cannot_express_itself():
    assert structure.metadata(["x", 0, 0], [["a", 0, 0], ["b", 0, 0]], ["x"], ["a", "b"]) is None
    recorded = structure.metadata({"k": ["x", 0, 0]}, [["a", 0, 0], [["b", 0, 0]]], ["k"], ["a", "b"])
    assert recorded == {"structure": {"inputs": {"k": "k"}, "outputs": ["a", ["b"]]}}


@pytest.mark.parametrize("struct, message", [
    ({"a": None}, r"outputs\['a'\] is null, not a tensor"),
    ([["a", 0, 0], []], r"outputs\[1\] is an empty list, not a tensor"),
    ({"a": 3}, r"outputs\['a'\] is 3, not a tensor"),
])
def test_leaves_that_are_not_tensors_are_refused(struct, message):
    with pytest.raises(structure.StructureError, match=message):
        structure.flatten(struct, "outputs")


def _functional(outputs, layers=("s", "c")):
    def dense(name):
        return {"class_name": "Dense", "config": {"name": name, "units": 1, "use_bias": False, "activation": "linear"},
                "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
                                             "config": {"shape": [None, 2], "keras_history": ["x", 0, 0]}}],
                                   "kwargs": {}}]}
    return {"class_name": "Functional", "config": {
        "name": "m", "layers": [{"class_name": "InputLayer", "config": {"name": "x", "batch_shape": [None, 2]},
                                 "inbound_nodes": []}] + [dense(n) for n in layers],
        "input_layers": {"feat": ["x", 0, 0]}, "output_layers": outputs}}


def test_translation_renames_dict_inputs_and_names_dict_outputs_after_their_keys():
    translation = translate_model(_functional({"score": ["s", 0, 0], "c": ["c", 0, 0]}))
    config = translation.topology["config"]
    assert config["input_layers"] == [["feat", 0, 0]] and config["layers"][0]["name"] == "feat"
    assert config["layers"][1]["inbound_nodes"] == [[["feat", 0, 0, {}]]]
    assert config["output_layers"] == [["c", 0, 0], ["score", 0, 0]]  # "c" is its layer's name: kept
    identity = config["layers"][-1]
    assert identity["name"] == "score" and identity["class_name"] == "Activation"
    assert identity["inbound_nodes"] == [[["s", 0, 0, {}]]] and identity["config"]["activation"] == "linear"
    assert translation.structure == {"structure": {"inputs": {"feat": "feat"}, "outputs": {"c": "c", "score": "score"}}}


def test_a_dict_key_naming_another_layer_is_refused_with_the_reason():
    with pytest.raises(ConversionError, match="dict key 's' would take the name of layer 's'"):
        translate_model(_functional({"s": ["c", 0, 0], "other": ["s", 0, 0]}), "m.keras")
