"""Reader for Keras SavedModel directories (tf_keras' `model.save(dir)`, with keras_metadata.pb) to the
Layers format, as the official converter's `keras_saved_model -> tfjs_layers_model`: tf_keras
loads the model (it alone can: the layer list is in keras_metadata.pb, in tf_keras' own
serialisation), saves it as a Keras 2 `.h5` in a temporary folder, and the `.h5` reader takes it
from there. Needs TensorFlow and tf_keras, unlike the other Layers inputs.
"""

import os
import tempfile

from tfjs_export.converter.errors import ConversionError

KERAS_METADATA = "keras_metadata.pb"


def read_keras_saved_model(path, allow_custom_layers=False, progress=None):
    """A Layers ModelSpec from the Keras SavedModel directory `path`."""
    from tfjs_export.converter.readers.keras_h5 import read_keras_h5
    if not os.path.isfile(os.path.join(path, KERAS_METADATA)):
        raise ConversionError(f"is a SavedModel without {KERAS_METADATA} (not written by Keras): it holds no "
                              "layers; convert it with --output_format tfjs_graph_model", path)
    try:
        from tfjs_export.converter.graph import import_tensorflow_quietly
        import_tensorflow_quietly()
        import tf_keras
    except ImportError:
        raise ConversionError("reading a Keras SavedModel needs TensorFlow and tf_keras "
                              "(pip install 'tfjs-export[graph]' tf_keras)", path) from None
    try:
        model = tf_keras.models.load_model(path, compile=False)
    except Exception as err:  # tf_keras raises many types for models it cannot rebuild
        raise ConversionError(f"tf_keras cannot load this Keras SavedModel ({type(err).__name__}: "
                              f"{' '.join(str(err).split())[:200]})", path) from None
    with tempfile.TemporaryDirectory(prefix="tfjs-export-") as tmp:
        h5 = os.path.join(tmp, "model.h5")
        model.save(h5, save_format="h5")
        try:
            return read_keras_h5(h5, allow_custom_layers, progress)
        except ConversionError as err:  # name the user's directory, not our temporary file
            raise ConversionError(err.message.replace(h5, path), path) from None
