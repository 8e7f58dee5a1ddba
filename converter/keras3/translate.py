"""Keras 3 model config -> tfjs-layers topology, layer by layer (see layer_table.RULES).

Differences handled here (DESIGN.md section 4): `batch_shape` -> `batch_input_shape`; DTypePolicy
dicts -> dtype names; `module`/`registered_name`/`build_config` dropped; Keras 3 inbound nodes
(`{"args": [__keras_tensor__...], "kwargs": {}}`) -> Keras 2 node lists
(`[[[layer, node_index, tensor_index, kwargs], ...]]`); `Functional` -> `Model`.
"""

from converter.errors import ConversionError, UnsupportedLayerError
from converter.keras3 import objects
from converter.keras3.layer_table import _COMMON_KEYS, RULES


class Translation:
    """The translated topology plus, per layer, the TF.js weight names in Keras save order."""

    def __init__(self, topology, layer_weights, notices):
        self.topology = topology
        self.layer_weights = layer_weights  # {layer name: [weight names]} in model order
        self.notices = notices


def translate_model(config, path=None):
    """Translate a Keras 3 `config.json` dict (Sequential or Functional) for tfjs-layers."""
    class_name = config.get("class_name")
    inner = config.get("config")
    if not isinstance(inner, dict) or not isinstance(inner.get("layers"), list):
        raise ConversionError(f"config.json: model {class_name!r} has no layer list", path)
    translator = _Translator(path)
    if class_name == "Sequential":
        topology = translator.sequential(inner)
    elif class_name in ("Functional", "Model"):
        topology = translator.functional(inner)
    else:
        raise ConversionError(
            f"model class {class_name!r} is a subclassed model: the Layers format needs a "
            "Sequential or functional model", path)
    return Translation(topology, translator.layer_weights, translator.notices)


class _Translator:
    def __init__(self, path):
        self.path = path
        self.layer_weights = {}
        self.notices = []

    def sequential(self, config):
        layers = [self.layer(spec) for spec in config["layers"]]
        if layers and layers[0]["class_name"] != "InputLayer":
            # Keras 3 Sequential built without an Input: its first layer records the input shape.
            shape = (config.get("build_input_shape")
                     or (config["layers"][0].get("build_config") or {}).get("input_shape"))
            if shape is None:
                raise ConversionError("Sequential model has no input shape (build it or give it "
                                      "an Input before saving)", self.path)
            layers[0]["config"]["batch_input_shape"] = list(shape)
        return {"class_name": "Sequential",
                "config": {"name": config.get("name", "sequential"), "layers": layers}}

    def functional(self, config):
        layers = []
        for spec in config["layers"]:
            layer = self.layer(spec)
            layer["name"] = layer["config"]["name"]
            layer["inbound_nodes"] = [self.node(n, layer["name"]) for n in spec.get("inbound_nodes", [])]
            layers.append(layer)
        return {"class_name": "Model", "config": {
            "name": config.get("name", "model"),
            "layers": layers,
            "input_layers": _tensor_refs(config.get("input_layers")),
            "output_layers": _tensor_refs(config.get("output_layers")),
        }}

    def layer(self, spec):
        class_name = spec.get("class_name")
        config = spec.get("config")
        if not isinstance(config, dict):
            raise ConversionError(f"config.json: layer of class {class_name!r} has no config", self.path)
        name = config.get("name", spec.get("name", "?"))
        rule = RULES.get(class_name)
        if rule is None:
            raise UnsupportedLayerError(name, class_name, "not translated to the TF.js Layers format yet",
                                        self.path)
        out = {}
        for key, value in config.items():
            try:
                if key in rule.keys or key in _COMMON_KEYS:
                    out[rule.rename.get(key, key)] = self.value(key, value)
                elif key in rule.fixed:
                    if value != rule.fixed[key] and not (value is None and rule.fixed[key] is False):
                        raise objects.ObjectError(f"{key}={value!r} is not supported in TF.js "
                                                  f"(only {key}={rule.fixed[key]!r})")
                elif key not in rule.ignored:
                    raise objects.ObjectError(f"setting {key}={value!r} is not translated yet")
            except objects.ObjectError as err:
                raise UnsupportedLayerError(name, class_name, str(err), self.path) from None
        self.layer_weights[name] = rule.weights(config)
        return {"class_name": class_name, "config": out}

    def value(self, key, value):
        if key == "dtype":
            return objects.dtype_name(value, self.notices)
        if key == "activation":
            return objects.activation(value)
        if key.endswith("_initializer"):
            return objects.initializer(value)
        if key.endswith("_regularizer"):
            return objects.regularizer(value)
        if key.endswith("_constraint"):
            return objects.constraint(value)
        return value

    def node(self, node, layer_name):
        """One Keras 3 call of a layer -> one Keras 2 node: a list of inbound tensor refs."""
        if not isinstance(node, dict) or not node.get("args"):
            raise ConversionError(f"config.json: layer '{layer_name}' has a malformed inbound node", self.path)
        kwargs = node.get("kwargs") or {}
        try:
            tensors = _keras_tensors(node["args"][0])
            # TF.js nodes carry tensors only as the first call argument.
            elsewhere = _keras_tensors(node["args"][1:]) + _keras_tensors(list(kwargs.values()))
        except ValueError as err:
            raise ConversionError(f"config.json: layer '{layer_name}': {err}", self.path) from None
        if not tensors or elsewhere:
            raise UnsupportedLayerError(layer_name, "call", "called with tensors in other arguments "
                                        "than the first, which TF.js layers cannot express", self.path)
        return [[t[0], t[1], t[2], dict(kwargs)] for t in tensors]


def _keras_tensors(value):
    """Flatten the keras_history triples of every __keras_tensor__ in a nested args value."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = value.get("config", {}).get("keras_history")
            if not (isinstance(history, list) and len(history) == 3):
                raise ValueError("malformed keras_history in an inbound node")
            return [history]
        return []
    if isinstance(value, (list, tuple)):
        return [t for item in value for t in _keras_tensors(item)]
    return []


def _tensor_refs(value):
    """`["x", 0, 0]` (one tensor) or `[["x", 0, 0], ...]` -> always a list of refs."""
    if not value:
        return []
    if isinstance(value[0], str):
        return [list(value)]
    return [list(v) for v in value]
