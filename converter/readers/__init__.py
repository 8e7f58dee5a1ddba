"""Readers: a model file -> ModelSpec. The input format is detected from the file's content
(zip magic, HDF5 signature, SavedModel or TF.js model directory, GraphDef), not from its extension.

The format names are the official converter's (`keras` is any Keras model file there: an `.h5`;
here the content decides between `.keras` and `.h5`), plus `keras_h5` for an `.h5` explicitly.
"""

import os
import stat

from tfjs_export.converter.errors import ConversionError, stat_input

ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
INPUT_FORMATS = ("keras", "keras_keras", "keras_h5", "tf_saved_model", "keras_saved_model", "tf_hub",
                 "tf_frozen_model", "tfjs_layers_model", "tfjs_graph_model")
TFJS_FORMATS = {"tfjs_layers_model": "layers-model", "tfjs_graph_model": "graph-model"}
# A TF1 Hub module directory holds this next to its saved_model.pb.
TF_HUB_MODULE_FILE = "tfhub_module.pb"


def detect_format(path):
    """Return the input format of `path` from its content, or raise ConversionError."""
    path = os.fspath(path)
    st = stat_input(path, "model file")
    if st is None:
        raise ConversionError("no such file or directory", path)
    if stat.S_ISDIR(st.st_mode):
        if os.path.lexists(os.path.join(path, TF_HUB_MODULE_FILE)):
            return "tf_hub"
        if os.path.lexists(os.path.join(path, "saved_model.pb")):
            return "tf_saved_model"
        if os.path.lexists(os.path.join(path, "model.json")):
            return _tfjs_format(os.path.join(path, "model.json"))
        raise ConversionError("is a directory but neither a SavedModel (no saved_model.pb) nor a TF.js model "
                              "(no model.json)", path)
    if not stat.S_ISREG(st.st_mode):
        raise ConversionError("is not a regular file (a device, socket or pipe), not a model", path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as err:
        raise ConversionError(f"cannot read: {err.strerror}", path) from None
    if os.path.basename(path) == "model.json" or head.lstrip().startswith(b"{"):
        return _tfjs_format(path)
    if path.endswith(".pb"):
        return "tf_frozen_model"
    if head.startswith(ZIP_MAGIC):
        return "keras"
    if head == HDF5_MAGIC:
        return "keras_h5"
    if not head:
        raise ConversionError("is empty, not a model", path)
    raise ConversionError("is not a model: neither a .keras zip archive, an HDF5 file, a SavedModel or "
                          "TF.js model directory nor a frozen GraphDef (.pb)", path)


def keras_file_format(path):
    """"keras" (a .keras zip) or "keras_h5", from the content of the Keras model file `path`."""
    fmt = detect_format(path)
    if fmt not in ("keras", "keras_h5"):
        raise ConversionError("is not a Keras model file (.keras or .h5)", path)
    return fmt


def canonical_format(fmt, path):
    """The reader's name for an input format: the official `keras` means any Keras file (the
    content decides), `keras_keras` the .keras zip; a Keras SavedModel directory (tf_keras'
    `model.save(dir)`) stays keras_saved_model: its Layers reader needs tf_keras, while the Graph
    path reads it as any SavedModel. Others are returned as they are."""
    if fmt not in INPUT_FORMATS:
        raise ConversionError(f"unknown input format {fmt!r} (one of {', '.join(INPUT_FORMATS)})", path)
    if fmt == "keras":
        return keras_file_format(path)
    return {"keras_keras": "keras"}.get(fmt, fmt)


def graph_loader_format(fmt):
    """The format the Graph path loads an input as: Hub module and Keras SavedModel directories
    are SavedModels to TensorFlow."""
    return "tf_saved_model" if fmt in ("tf_hub", "keras_saved_model") else fmt


def _tfjs_format(model_json):
    """The TF.js input format of a model.json file, from its `format` field."""
    from tfjs_export.converter.model_dir import load_model_json
    fmt = load_model_json(model_json).get("format") or "layers-model"
    return next(name for name, value in TFJS_FORMATS.items() if value == fmt)


def read_model(path, input_format=None, allow_custom_layers=False, progress=None):
    """Read the model at `path` into a ModelSpec for the Layers format (allow_custom_layers:
    keep custom layer classes, see converter.layers_config.translate.translate_model; `progress(done,
    total)` follows the reading of the weight bytes)."""
    fmt = input_format or detect_format(path)
    fmt = canonical_format(fmt, path)
    if fmt in TFJS_FORMATS:
        from tfjs_export.converter.readers.tfjs_model import read_tfjs_model
        return read_tfjs_model(path, TFJS_FORMATS[fmt])
    if fmt == "keras":
        from tfjs_export.converter.readers.keras_zip import read_keras_zip
        return read_keras_zip(path, allow_custom_layers, progress)
    if fmt == "keras_h5":
        from tfjs_export.converter.readers.keras_h5 import read_keras_h5
        return read_keras_h5(path, allow_custom_layers, progress)
    if fmt == "keras_saved_model":
        from tfjs_export.converter.readers.keras_saved_model import read_keras_saved_model
        return read_keras_saved_model(path, allow_custom_layers, progress)
    hint = ""
    if os.path.isfile(os.path.join(path, "keras_metadata.pb")):
        hint = ", or --input_format keras_saved_model to read its Keras layers (needs tf_keras)"
    raise ConversionError(f"input format {fmt} is read by the Graph path only (TensorFlow loads it): "
                          f"add --output_format tfjs_graph_model{hint}", path)
