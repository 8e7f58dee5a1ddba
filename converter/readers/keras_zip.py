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
from converter.spec import ModelSpec, Weight

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
        translation = translate_model(config, path)
        try:
            with archive.open("model.weights.h5") as raw, h5py.File(raw, "r") as h5:
                weights = _read_weights(h5, config, translation.layer_weights, path)
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


def _layer_groups(h5, config):
    """Map layer name -> its `vars` group in model.weights.h5."""
    root = h5.get("layers")
    groups = {}
    if root is None:
        return groups
    by_key = {}
    counters = {}
    for spec in config["config"]["layers"]:  # Keras' own key order, for files without name attrs
        key = _snake_case(spec.get("class_name", ""))
        counters[key] = counters.get(key, -1) + 1
        by_key[key if counters[key] == 0 else f"{key}_{counters[key]}"] = spec.get("config", {}).get("name")
    for key, group in root.items():
        variables = group.get("vars") if isinstance(group, h5py.Group) else None
        if variables is None:
            continue
        name = variables.attrs.get("name", by_key.get(key))
        if isinstance(name, bytes):
            name = name.decode()
        groups[name] = (key, variables)
    return groups


def _read_weights(h5, config, layer_weights, path):
    groups = _layer_groups(h5, config)
    weights = []
    for layer_name, weight_names in layer_weights.items():
        key, variables = groups.pop(layer_name, (None, None))
        count = len(variables) if variables is not None else 0
        if count != len(weight_names):
            raise ConversionError(f"model.weights.h5: layer '{layer_name}' has {count} weights, "
                                  f"expected {len(weight_names)} ({', '.join(weight_names) or 'none'})", path)
        for index, weight_name in enumerate(weight_names):
            dataset = variables.get(str(index))
            if not isinstance(dataset, h5py.Dataset):
                raise ConversionError(f"model.weights.h5: layers/{key}/vars/{index} is missing", path)
            weights.append(Weight(f"{layer_name}/{weight_name}", np.asarray(dataset[()])))
    leftovers = [key for key, variables in groups.values() if len(variables)]
    if leftovers:
        raise ConversionError(f"model.weights.h5: weights for layers not in config.json: "
                              f"{', '.join(sorted(leftovers))}", path)
    return weights
