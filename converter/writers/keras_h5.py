"""Writer for whole-model Keras `.h5` files (the Keras 2 HDF5 layout) from a Layers ModelSpec.

h5py + json + numpy only: no TensorFlow, no Keras. A TF.js Layers topology *is* a Keras 2 model
config, so the file is what tf_keras' `model.save("m.h5")` writes, and what Keras 3
(`keras.saving.load_model`), tf_keras and our own reader load:
- root attributes `model_config` (the topology as JSON), `keras_version`, `backend`;
- group `model_weights`, attribute `layer_names` (every top-level layer, in config order); one
  group per layer whose `weight_names` attribute lists its variables (`dense/kernel:0`) as dataset
  paths inside the group, in the legacy order Keras loads them by: trainable ones first.
Keras matches a layer's weights by position, not by name, so the order is the contract here.
"""

import json
import os
import tempfile

import numpy as np

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.layers_config.weight_owners import group_weights_by_layer
from tfjs_export.converter.writers.keras_classes import with_keras_classes

# What the file's keras_version says: its config is Keras 2 style (readers pick the config dialect
# by it), whoever wrote the TF.js model (TF.js writes "tfjs-layers 4.22.0").
KERAS2_VERSION = "2.15.0"


def with_input_layers(topology):
    """The topology with every Sequential model (nested ones too) starting with an InputLayer, as
    tf_keras writes them: TF.js puts `batch_input_shape` on the first layer instead, which Keras 3
    reads as a shape without its batch axis (one dimension too many)."""
    import copy

    topology = copy.deepcopy(topology)

    def fix(model):
        if not isinstance(model, dict):
            return
        config = model.get("config")
        layers = config if isinstance(config, list) else (config or {}).get("layers") if isinstance(config, dict) else None
        if model.get("class_name") == "Sequential" and layers and layers[0].get("class_name") != "InputLayer":
            first = layers[0].get("config") or {}
            shape = first.pop("batch_input_shape", None)
            if shape is not None:
                layers.insert(0, {"class_name": "InputLayer", "config": {
                    "batch_input_shape": shape, "dtype": first.get("dtype") or "float32", "sparse": False,
                    "name": f"{first.get('name', 'layer')}_input"}})
        for layer in layers or []:
            fix(layer)
            for key in ("layer", "backward_layer"):
                fix((layer.get("config") or {}).get(key))

    fix(topology)
    return topology


def write_keras_h5(spec, out_path):
    """Write the Layers ModelSpec `spec` as a Keras `.h5` file at `out_path`, atomically (a
    temporary sibling renamed into place)."""
    import h5py

    assert spec.format == "layers-model", "convert_with refuses graphs before any writer runs"
    # (our JS classes as the Keras classes they compute: the file loads without custom objects)
    topology = with_input_layers(with_keras_classes(
        {k: v for k, v in spec.topology.items() if k not in ("keras_version", "backend")}))
    groups = group_weights_by_layer(topology, spec.weights)
    parent = os.path.dirname(os.path.abspath(out_path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(out_path)}.tmp-", dir=parent)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as h5:
            h5.attrs["model_config"] = json.dumps(topology, separators=(",", ":"))
            h5.attrs["keras_version"] = KERAS2_VERSION
            h5.attrs["backend"] = "tensorflow"
            root = h5.create_group("model_weights")
            root.attrs["layer_names"] = np.array([name.encode("utf-8") for name, _ in groups])
            root.attrs["keras_version"] = KERAS2_VERSION
            root.attrs["backend"] = "tensorflow"
            for layer_name, layer_weights in groups:
                group = root.create_group(layer_name)
                names = [f"{w.name}:0" for w in layer_weights]
                group.attrs["weight_names"] = np.array([n.encode("utf-8") for n in names])
                for name, weight in zip(names, layer_weights):
                    group.create_dataset(name, data=weight.array)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600
        os.replace(tmp, out_path)
    except OSError as err:
        raise ConversionError(f"cannot write the model: {err.strerror or err}", out_path) from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return [os.path.basename(out_path)]
