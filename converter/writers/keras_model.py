"""Writers that need Keras itself: a Keras 3 `.keras` file and a tf_keras SavedModel directory.

Both start from the `.h5` file writers/keras_h5.py writes (a TF.js topology is a Keras 2 config)
and let the library load it and save it in its own format, so the result is exactly what that
library writes and reads. Keras 3 runs on any backend here (NumPy included: no TensorFlow needed
for `.keras`); the SavedModel needs tf_keras (and so TensorFlow), like the official converter.
"""

import os
import shutil
import tempfile

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.writers.keras_h5 import write_keras_h5

# TF.js (like Keras 2) computes hard_sigmoid as clip(0.2x + 0.5, 0, 1); Keras 3 changed it to
# clip(x/6 + 0.5, 0, 1) and has no activation for the old one. tfjs-layers' LSTM and GRU use it by
# default (recurrentActivation: 'hardSigmoid').
_KERAS2_ONLY_ACTIVATIONS = ("hard_sigmoid",)


def keras2_only_activations(topology):
    """["'<layer>' (<Class>): <key>"] for every setting of `topology` naming an activation that
    Keras 3 computes differently from TF.js."""
    found = []

    def walk(layer):
        config = layer.get("config") if isinstance(layer, dict) else None
        if not isinstance(config, dict):
            return
        for key, value in config.items():
            if key.endswith("activation") and value in _KERAS2_ONLY_ACTIVATIONS:
                found.append(f"'{config.get('name')}' ({layer.get('class_name')}): {key}={value}")
            elif isinstance(value, dict):
                walk(value)
            elif key == "layers" and isinstance(value, list):
                for inner in value:
                    walk(inner)

    walk(topology)
    return found


def write_keras_zip(spec, out_path):
    """Write the Layers ModelSpec `spec` as a Keras 3 `.keras` file at `out_path` (atomically)."""
    clashes = keras2_only_activations(spec.topology)
    if clashes:
        raise ConversionError(
            f"{clashes[0]}{' and %d more' % (len(clashes) - 1) if len(clashes) > 1 else ''}: TF.js computes "
            "hard_sigmoid as 0.2x + 0.5, Keras 3 as x/6 + 0.5 and has no activation for the TF.js one; "
            "write a Keras 2 .h5 (--output_format keras) and load it with tf_keras")
    try:
        import keras
    except ImportError:
        raise ConversionError("writing a .keras file needs Keras 3 (pip install 'tfjs-export[verify]'); "
                              "--output_format keras writes an .h5 file without it") from None
    with tempfile.TemporaryDirectory(prefix="tfjs-export-") as tmp:
        classes = keras3_classes(keras)
        model = _load_h5(lambda p, compile: keras.saving.load_model(p, compile=compile, custom_objects=classes),
                         spec, tmp)
        staged = _staging_path(out_path, ".keras")
        try:
            model.save(staged)
            os.replace(staged, out_path)
        finally:
            if os.path.exists(staged):
                os.unlink(staged)
    return [os.path.basename(out_path)]


def write_keras_saved_model(spec, out_dir):
    """Write the Layers ModelSpec `spec` as a tf_keras SavedModel directory (`model.save(dir,
    save_format="tf")`, the official converter's keras_saved_model output), atomically."""
    from tfjs_export.converter.writers.atomic_dir import atomic_output_dir
    try:
        import tf_keras
    except ImportError:
        raise ConversionError("--output_format keras_saved_model needs tf_keras and TensorFlow "
                              "(pip install 'tfjs-export[graph]' tf_keras)") from None
    with tempfile.TemporaryDirectory(prefix="tfjs-export-") as tmp:
        model = _load_h5(lambda p, compile: tf_keras.models.load_model(p, compile=compile), spec, tmp)
        with atomic_output_dir(out_dir) as staged:
            shutil.rmtree(staged)  # tf_keras creates the directory itself
            model.save(staged, save_format="tf")
            files = sorted(os.path.relpath(os.path.join(root, f), staged)
                           for root, _, names in os.walk(staged) for f in names)
    return files


def keras3_classes(keras):
    """{class name: class} of Keras 3's layers and models. Its legacy .h5 loader looks up a layer
    nested in a wrapper (Bidirectional(LSTM), TimeDistributed(Sequential)) among the custom
    objects only, so it is handed all of them."""
    classes = {name: value for name, value in vars(keras.layers).items()
               if isinstance(value, type) and issubclass(value, keras.layers.Layer)}
    classes.update(Sequential=keras.Sequential, Model=keras.Model, Functional=keras.Model)
    return classes


def _load_h5(load, spec, tmp):
    """The Keras model of `spec`, through an .h5 file in `tmp` loaded with `load(path, compile=)`."""
    path = os.path.join(tmp, "model.h5")
    write_keras_h5(spec, path)
    try:
        return load(path, compile=False)
    except Exception as err:  # Keras' own message: a layer or setting it cannot build
        detail = " ".join(str(err).split())[:300]
        raise ConversionError(f"Keras cannot build this model ({type(err).__name__}: {detail})") from None


def _staging_path(out_path, suffix):
    parent = os.path.dirname(os.path.abspath(out_path))
    fd, path = tempfile.mkstemp(prefix=f".{os.path.basename(out_path)}.tmp-", suffix=suffix, dir=parent)
    os.close(fd)
    os.unlink(path)  # Keras refuses nothing, but writes its own file
    return path
