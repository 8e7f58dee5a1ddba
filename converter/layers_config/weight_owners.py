"""Which top-level layer of a TF.js Layers topology owns each weight, in the order Keras binds them.

TF.js names a weight `<layer>/.../<variable>` after the layer that created it, which may sit inside
a model used as a layer or a wrapper (TimeDistributed, Bidirectional); TF.js's own `model.save`
lists trainable weights of the whole model first, then the non-trainable ones. Keras' `.h5` layout
and `--split_weights_by_layer` need them per top-level layer instead, trainable first.
"""

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.layers_config.layer_table import MODEL_CLASSES

# Variables TF.js and Keras create non-trainable whatever the layer's setting.
_NON_TRAINABLE_VARIABLES = ("moving_mean", "moving_variance")


def layers_of(config):
    """The layer list of a model config's inner `config` (Sequential: a list or {"layers": [...]})."""
    inner = config.get("config")
    layers = inner if isinstance(inner, list) else (inner or {}).get("layers")
    return layers if isinstance(layers, list) else []


def _names_inside(layer, trainable=True):
    """{name: trainable} of `layer` and every layer nested in it (models used as layers, wrappers)."""
    config = layer.get("config") or {}
    trainable = trainable and config.get("trainable", True) is not False
    names = {config.get("name", layer.get("name")): trainable}
    if layer.get("class_name") in MODEL_CLASSES:
        for inner in layers_of(layer):
            names.update(_names_inside(inner, trainable))
    for key in ("layer", "backward_layer"):  # TimeDistributed, Bidirectional
        if isinstance(config.get(key), dict):
            names.update(_names_inside(config[key], trainable))
    return names


def group_weights_by_layer(topology, weights, path=None):
    """[(top-level layer name, [Weight] in the order Keras loads them)] for every top-level layer
    of `topology`, from the TF.js weights (named `<layer>/.../<variable>`, the owning layer
    possibly nested). Raises ConversionError for a weight no layer owns."""
    layers = layers_of(topology)
    owner, trainable = {}, {}
    for layer in layers:
        for name, is_trainable in _names_inside(layer).items():
            owner[name] = layer["config"]["name"] if "config" in layer else layer.get("name")
            trainable[name] = is_trainable
    grouped = {(layer.get("config") or {}).get("name", layer.get("name")): ([], []) for layer in layers}
    for weight in weights:
        parts = weight.name.split("/")
        first = next((p for p in parts[:-1] if p in owner), None)
        if first is None:
            raise ConversionError(f"weight '{weight.name}' belongs to no layer of the model", path)
        keep = trainable[first] and parts[-1] not in _NON_TRAINABLE_VARIABLES
        grouped[owner[first]][0 if keep else 1].append(weight)
    return [(name, first + second) for name, (first, second) in grouped.items()]
