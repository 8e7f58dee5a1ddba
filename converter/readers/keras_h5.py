"""Reader for whole-model `.h5` files written by Keras 3, Keras 2 or tf_keras (`model.save`).

Imports neither TensorFlow nor Keras (h5py + json + numpy). Layout (the same for all three):
the root's `model_config` attribute holds the model config as JSON (Keras 3 style from Keras 3,
Keras 2 style from Keras 2 / tf_keras: the translation reads both); `keras_version` says who
wrote it; group `model_weights` has one group per top-level layer whose `weight_names` attribute
lists that layer's variables (e.g. Keras 3 `lstm/lstm_cell/kernel`, tf_keras `dense/kernel:0`)
as paths of datasets inside the group, in the legacy order: trainable first, then non-trainable.
"""

import json
import os

import h5py

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.readers.topology_check import translate_checked, translation_extra
from tfjs_export.converter.readers.weights import ReadMeter, legacy_order, pair_weights, read_dataset
from tfjs_export.converter.readers.hdf5_check import check_hdf5_file
from tfjs_export.converter.spec import ModelSpec


def read_keras_h5(path, allow_custom_layers=False, progress=None):
    """Read a whole-model Keras `.h5` file into a Layers-format ModelSpec (allow_custom_layers:
    see translate_model; `progress(done, total)` follows the reading of the file's weight bytes)."""
    check_hdf5_file(path)
    try:
        h5 = h5py.File(path, "r")
    except OSError as err:
        raise ConversionError(f"not a readable HDF5 file (corrupt or truncated: {err})", path) from None
    with h5:
        try:
            meter = ReadMeter(progress, os.path.getsize(path)) if progress else None
            spec = _read(h5, path, allow_custom_layers, meter)
            if meter:
                meter.finish()
            return spec
        except (OSError, KeyError, ValueError, TypeError) as err:
            if isinstance(err, ConversionError):
                raise
            raise ConversionError(f"HDF5 content is unreadable (corrupt or truncated: {err})", path) from None


def _text(value):
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _read(h5, path, allow_custom_layers, meter=None):
    raw = h5.attrs.get("model_config")
    if raw is None:
        if "layer_names" in h5.attrs or "model_weights" in h5 or "layers" in h5 or "vars" in h5:
            raise ConversionError("this .h5 holds only weights (saved with save_weights), no model "
                                  "config: save the whole model with model.save(...) instead", path)
        raise ConversionError("HDF5 file is not a Keras model (no model_config attribute)", path)
    try:
        config = json.loads(_text(raw))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        reason = "nested too deeply" if isinstance(err, RecursionError) else err
        raise ConversionError(f"model_config is not valid JSON ({reason})", path) from None
    if not isinstance(config, dict):
        raise ConversionError("model_config: expected a JSON object", path)
    keras_version = _text(h5.attrs.get("keras_version", "unknown"))
    translation = translate_checked(config, path, "model_config", keras_version,
                                    allow_custom_layers=allow_custom_layers)
    weights_root = h5.get("model_weights")
    if weights_root is None:
        raise ConversionError("no model_weights group: the model was saved without weights", path)

    found = {}
    stored = set(_text(n) for n in weights_root.attrs.get("layer_names", []))
    for layer_name, entries in translation.layer_weights.items():
        group = weights_root.get(layer_name)
        names = [_text(n) for n in group.attrs.get("weight_names", [])] if group is not None else []
        arrays = []
        for name in names:
            dataset = group.get(name)
            if not isinstance(dataset, h5py.Dataset):
                raise ConversionError(f"model_weights/{layer_name}/{name} is missing", path)
            try:
                arrays.append(read_dataset(dataset, f"model_weights/{layer_name}/{name}", meter))
            except ValueError as err:
                raise ConversionError(str(err), path) from None
        found[layer_name] = (legacy_order(entries), arrays)
        stored.discard(layer_name)
    leftovers = sorted(n for n in stored if len(weights_root[n].attrs.get("weight_names", [])))
    if leftovers:
        raise ConversionError(f"model_weights: weights for layers not in the model config: "
                              f"{', '.join(leftovers)}", path)
    weights = pair_weights(translation, found, path, "model_weights")
    topology = dict(translation.topology, keras_version=keras_version, backend="tensorflow")
    return ModelSpec(format="layers-model", topology=topology, weights=weights,
                     generated_by=f"keras v{keras_version}", notices=translation.notices,
                     extra=translation_extra(translation))
