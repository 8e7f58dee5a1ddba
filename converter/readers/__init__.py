"""Readers: a model file -> ModelSpec. The input format is detected from the file's content
(zip magic, HDF5 signature, SavedModel directory), not from its extension."""

import os
import stat

from tfjs_export.converter.errors import ConversionError, stat_input

ZIP_MAGIC = b"PK\x03\x04"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
INPUT_FORMATS = ("keras", "keras_h5", "tf_saved_model")


def detect_format(path):
    """Return the input format of `path` from its content, or raise ConversionError."""
    st = stat_input(path, "model file")
    if st is None:
        raise ConversionError("no such file or directory", path)
    if stat.S_ISDIR(st.st_mode):
        if os.path.lexists(os.path.join(path, "saved_model.pb")):
            return "tf_saved_model"
        raise ConversionError("is a directory but not a SavedModel (no saved_model.pb)", path)
    if not stat.S_ISREG(st.st_mode):
        raise ConversionError("is not a regular file (a device, socket or pipe), not a model", path)
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError as err:
        raise ConversionError(f"cannot read: {err.strerror}", path) from None
    if head.startswith(ZIP_MAGIC):
        return "keras"
    if head == HDF5_MAGIC:
        return "keras_h5"
    if not head:
        raise ConversionError("is empty, not a model", path)
    raise ConversionError("is not a model: neither a .keras zip archive, an HDF5 file nor a "
                          "SavedModel directory", path)


def read_model(path, input_format=None, allow_custom_layers=False, progress=None):
    """Read the model at `path` into a ModelSpec for the Layers format (allow_custom_layers:
    keep custom layer classes, see converter.layers_config.translate.translate_model; `progress(done,
    total)` follows the reading of the weight bytes)."""
    fmt = input_format or detect_format(path)
    if fmt == "keras":
        from tfjs_export.converter.readers.keras_zip import read_keras_zip
        return read_keras_zip(path, allow_custom_layers, progress)
    if fmt == "keras_h5":
        from tfjs_export.converter.readers.keras_h5 import read_keras_h5
        return read_keras_h5(path, allow_custom_layers, progress)
    if fmt not in INPUT_FORMATS:
        raise ConversionError(f"unknown input format {fmt!r} (one of {', '.join(INPUT_FORMATS)})", path)
    raise ConversionError(f"input format {fmt} is not supported yet (only Keras .keras and .h5 files)", path)
