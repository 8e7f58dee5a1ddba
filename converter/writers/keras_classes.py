"""Our JS layer classes back to the Keras classes they compute, for the writers of Keras files.

A Layers model this converter wrote may name classes of our JS library
(`tfjs-export-layers>GRU`, layer_table.RULES' js_class); Keras knows them as `GRU`. The Keras
writers (keras_h5.py, keras_model.py) rename them, so the file loads in Keras with no custom
objects. Classes with no Keras layer config of their own are refused, naming the layer: keras.ops
operations (Keras records them as operations, not layers), layers called with tensors in several
arguments (MultiHeadAttention's query/value: a TF.js node carries one list), and our mask helper.
"""

import copy

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.layers_config.layer_table import RULES, JsWhen
from tfjs_export.converter.layers_config.weight_owners import layers_of
from tfjs_export.converter.writers import layers_js

_WRAPPED = ("layer", "backward_layer")  # Bidirectional's and TimeDistributed's inner layers


def keras_class_of_ours():
    """{registered name of our JS class: the Keras class it computes} for the classes whose TF.js
    config is that Keras class' config."""
    mapping = {}
    for keras_name, rule in RULES.items():
        js_name = rule.js_class.name if isinstance(rule.js_class, JsWhen) else rule.js_class
        if js_name and not rule.call_args:
            mapping[layers_js.registered_name(js_name)] = keras_name
    return mapping


def with_keras_classes(topology, path=None):
    """A copy of the TF.js `topology` with our JS classes renamed to Keras'. Raises
    ConversionError naming the layers whose class of ours has no Keras layer config."""
    mapping = keras_class_of_ours()
    topology = copy.deepcopy(topology)
    refused = []

    def rename(layer):
        if not isinstance(layer, dict):
            return
        class_name = layer.get("class_name")
        config = layer.get("config")
        if isinstance(class_name, str) and class_name.startswith(layers_js.PACKAGE + ">"):
            if class_name in mapping:
                layer["class_name"] = mapping[class_name]
            else:
                name = config.get("name") if isinstance(config, dict) else layer.get("name")
                refused.append(f"'{name}' ({class_name})")
        for child in layers_of(layer):  # a nested model's layers
            rename(child)
        if isinstance(config, dict):
            for key in _WRAPPED:
                rename(config.get(key))

    rename(topology)
    if refused:
        more = f" and {len(refused) - 1} more" if len(refused) > 1 else ""
        raise ConversionError(f"layer {refused[0]}{more}: no Keras layer config for this class of ours "
                              "(keras.ops operations and multi-tensor attention calls have none): convert the "
                              "source Keras model instead", path)
    return topology
