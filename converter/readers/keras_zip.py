"""Reader for Keras 3 `.keras` files: a zip of config.json, metadata.json, model.weights.h5.

Imports neither TensorFlow nor Keras (zipfile + json + h5py + numpy): that is what makes the
Layers path fast and light. Keras 3 stores each layer's variables under
`layers/<snake_case class name>[_N]/vars/<i>`; the `vars` group's `name` attribute is the layer
name, which is how we match groups to layers.
"""

import json
import re
import zipfile
import zlib

import h5py
import numpy as np

from converter.errors import ConversionError
from converter.keras3.translate import translate_model
from converter.readers.weights import pair_weights
from converter.spec import ModelSpec

_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, KeyError, ValueError)


def read_keras_zip(path):
    """Read a Keras 3 `.keras` archive into a Layers-format ModelSpec."""
    try:
        archive = zipfile.ZipFile(path)
        names = set(archive.namelist())
    except _ZIP_ERRORS as err:
        raise ConversionError(f"not a valid .keras archive (corrupt or truncated zip: {err})", path) from None
    with archive:
        for required in ("config.json", "model.weights.h5"):
            if required not in names:
                raise ConversionError(f"not a Keras 3 .keras archive: it has no {required}", path)
        config = _read_json(archive, "config.json", path)
        metadata = _read_json(archive, "metadata.json", path) if "metadata.json" in names else {}
        if not isinstance(config, dict):
            raise ConversionError("config.json: expected a JSON object", path)
        translation = translate_model(config, path, keras_version=str(metadata.get("keras_version", "3")))
        try:
            with archive.open("model.weights.h5") as raw, h5py.File(raw, "r") as h5:
                weights = _read_weights(h5, config, translation, path)
        except ConversionError:
            raise
        except _ZIP_ERRORS as err:
            raise ConversionError(f"model.weights.h5 is unreadable (corrupt or truncated: {err})", path) from None

    keras_version = str(metadata.get("keras_version", "3"))
    topology = dict(translation.topology, keras_version=keras_version, backend="tensorflow")
    spec = ModelSpec(format="layers-model", topology=topology, weights=weights,
                     generated_by=f"keras v{keras_version}", notices=translation.notices)
    return spec


def _read_json(archive, member, path):
    try:
        data = archive.read(member)
    except _ZIP_ERRORS as err:
        raise ConversionError(f"{member} is unreadable (corrupt or truncated zip: {err})", path) from None
    try:
        return json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ConversionError(f"{member} is not valid JSON ({err})", path) from None


def _snake_case(name):
    # Keras 3's naming.to_snake_case: the fallback key of a layer's group in model.weights.h5.
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _layer_groups(root, layer_specs):
    """Map layer name -> its group under a `layers` group (top level or a nested model's)."""
    groups = {}
    if root is None:
        return groups
    by_key = {}
    counters = {}
    for spec in layer_specs:  # Keras' own key order, for files without name attrs
        key = _snake_case(spec.get("class_name", ""))
        counters[key] = counters.get(key, -1) + 1
        by_key[key if counters[key] == 0 else f"{key}_{counters[key]}"] = spec.get("config", {}).get("name")
    for key, group in root.items():
        if not isinstance(group, h5py.Group):
            continue
        variables = group.get("vars")
        name = variables.attrs.get("name", by_key.get(key)) if variables is not None else by_key.get(key)
        if isinstance(name, bytes):
            name = name.decode()
        groups[name] = (key, group)
    return groups


def _ordered_arrays(group, spec, where):
    """A layer's arrays in Keras' creation order: its own `vars`, then its sub-layers' (an RNN's
    `cell`, a wrapper's `layer`, Bidirectional's forward then backward layer, a nested model's
    layers in model order)."""
    arrays = []
    variables = group.get("vars")
    if variables is not None:
        for index in range(len(variables)):
            dataset = variables.get(str(index))
            if not isinstance(dataset, h5py.Dataset):
                raise ValueError(f"{where}/vars/{index} is missing")
            arrays.append(np.asarray(dataset[()]))
    class_name, config = spec.get("class_name"), spec.get("config") or {}
    if class_name in ("Sequential", "Functional", "Model"):
        inner_specs = config.get("layers") or []
        groups = _layer_groups(group.get("layers"), inner_specs)
        for inner in inner_specs:
            key, inner_group = groups.get((inner.get("config") or {}).get("name"), (None, None))
            if inner_group is not None:
                arrays += _ordered_arrays(inner_group, inner, f"{where}/layers/{key}")
        return arrays
    if class_name == "Bidirectional":
        children = [("forward_layer", config.get("layer") or {}),
                    ("backward_layer", config.get("backward_layer") or config.get("layer") or {})]
    else:
        children = [(key, config.get("layer") or {} if key == "layer" else {})
                    for key in sorted(group) if key != "vars"]
    for key, child_spec in children:
        child = group.get(key)
        if isinstance(child, h5py.Group):
            arrays += _ordered_arrays(child, child_spec, f"{where}/{key}")
    return arrays


def _read_weights(h5, config, translation, path):
    where = "model.weights.h5"
    specs = {(s.get("config") or {}).get("name"): s for s in config["config"]["layers"]}
    groups = _layer_groups(h5.get("layers"), config["config"]["layers"])
    found = {}
    try:
        for layer_name, entries in translation.layer_weights.items():
            key, group = groups.pop(layer_name, (None, None))
            arrays = _ordered_arrays(group, specs[layer_name], f"layers/{key}") if group is not None else []
            found[layer_name] = (entries, arrays)
    except ValueError as err:
        raise ConversionError(f"{where}: {err}", path) from None
    leftovers = [key for key, group in groups.values() if _ordered_arrays(group, {}, key)]
    if leftovers:
        raise ConversionError(f"{where}: weights for layers not in config.json: "
                              f"{', '.join(sorted(leftovers))}", path)
    return pair_weights(translation, found, path, where)
