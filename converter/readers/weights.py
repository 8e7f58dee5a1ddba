"""Pairing of a translation's weight names with the arrays a reader found, layer by layer.

Readers deliver, per top-level layer, the arrays in the order their file stores them; the
translation says which TF.js name each one takes (layer_table.py). Counts are checked per layer,
and the shapes that the config determines (a Dense kernel's units, a bias length, ...) are checked
against the config, so a file whose weights do not fit its config is an error here, not in TF.js.
"""

from converter.errors import ConversionError
from converter.spec import Weight


def legacy_order(entries):
    """The order Keras' `.h5` writers use: trainable weights first, then non-trainable ones."""
    return [e for e in entries if e[1]] + [e for e in entries if not e[1]]


def pair_weights(translation, arrays_by_layer, path, where):
    """[Weight] in manifest order from {layer: [arrays]} (already in the matching entry order).

    `arrays_by_layer` values are (entries, arrays): `entries` the (name, trainable) pairs in the
    order the arrays are in. `where` names the weights' location in messages.
    """
    weights = []
    for layer_name, (entries, arrays) in arrays_by_layer.items():
        if layer_name in translation.custom_layers:  # names unknown to the file: file order
            entries = [(f"{layer_name}/{index}", True) for index in range(len(arrays))]
        if len(arrays) != len(entries):
            expected = ", ".join(n.rsplit("/", 1)[-1] for n, _ in entries if n) or "none"
            raise ConversionError(f"{where}: layer '{layer_name}' has {len(arrays)} weights, "
                                  f"expected {len(entries)} ({expected})", path)
        for (name, _), array in zip(entries, arrays):
            if name is not None:
                weights.append(Weight(name, array))
    weights.extend(translation.constants)
    check_shapes(translation.topology, weights, path, where)
    return weights


def check_shapes(topology, weights, path, where):
    """Check the weight shapes the layer configs fix (output sizes); raise on a mismatch."""
    expected = {}
    _collect_expected(topology, expected)
    for weight in weights:
        rule = expected.get(weight.name)
        if rule is None:
            continue
        axis, size = rule
        shape = weight.array.shape
        if len(shape) == 0 or shape[axis] != size:
            raise ConversionError(f"{where}: weight '{weight.name}' has shape {list(shape)}, which "
                                  f"does not fit the config (its last axis must be {size})", path)


_OUT_SIZE = {"Dense": "units", "Conv1D": "filters", "Conv2D": "filters", "Conv3D": "filters",
             "SeparableConv2D": "filters", "Embedding": "output_dim"}
_GATES = {"SimpleRNN": 1, "GRU": 3, "LSTM": 4}


def _collect_expected(layer, expected, prefix=""):
    class_name, config = layer.get("class_name"), layer.get("config") or {}
    if isinstance(config.get("layers"), list):
        for inner in config["layers"]:
            _collect_expected(inner, expected)
        return
    name = config.get("name")
    if class_name in ("Bidirectional", "TimeDistributed"):
        inner = config.get("layer") or {}
        inner_name = (inner.get("config") or {}).get("name")
        if class_name == "TimeDistributed":
            _collect_expected(dict(inner, config=dict(inner.get("config") or {}, name=name)), expected, prefix)
        else:
            for direction in ("forward", "backward"):
                renamed = dict(inner, config=dict(inner.get("config") or {}, name=f"{direction}_{inner_name}"))
                _collect_expected(renamed, expected, f"{prefix}{name}/")
        return
    key = _OUT_SIZE.get(class_name)
    if key and isinstance(config.get(key), int):
        size = config[key]
        kernel = "embeddings" if class_name == "Embedding" else (
            "pointwise_kernel" if class_name == "SeparableConv2D" else "kernel")
        expected[f"{prefix}{name}/{kernel}"] = (-1, size)
        expected[f"{prefix}{name}/bias"] = (-1, size)
    gates = _GATES.get(class_name)
    if gates and isinstance(config.get("units"), int):
        for weight in ("kernel", "recurrent_kernel", "bias"):
            expected[f"{prefix}{name}/{weight}"] = (-1, gates * config["units"])
