"""Nothing is deleted or overwritten that the user did not name as the output.

`--overwrite` replaces the output directory as a whole, so before anything is read:
- the output must not be the input, lie inside it (a SavedModel directory) or contain it, by its
  path as given or through symlinks (both spellings are checked: deleting a directory that holds
  a symlink to the input loses the user's link);
- an existing, non-empty output directory is replaced only with --overwrite, and only when it
  looks like a converted model (model.json plus shards and bundle files): anything else might
  be the user's own files.
"""

import errno
import os

from tfjs_export.converter.errors import ConversionError, os_error_message


def _inside(path, folder):
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_output(src, out_dir, overwrite):
    """Refuse an output path that would destroy the input or files that are not a converted model."""
    for src_path, out_path in ((os.path.abspath(src), os.path.abspath(out_dir)),
                               (os.path.realpath(src), os.path.realpath(out_dir))):
        if src_path == out_path:
            kind = "directory" if os.path.isdir(src) else "model file, not a directory"
            raise ConversionError(f"the output is the input {kind}: choose another output path", out_dir)
        if os.path.isdir(src) and _inside(out_path, src_path):
            raise ConversionError("output directory is inside the input directory: choose another path", out_dir)
        if _inside(src_path, out_path):
            raise ConversionError(f"output directory contains the input {src} (--overwrite would delete it): "
                                  "choose another output path", out_dir)
    check_output_dir(out_dir, overwrite)


def check_output_dir(out_dir, overwrite):
    """An existing `out_dir` must be a directory (not a symlink) that is empty, or, with
    overwrite, a converted model."""
    from tfjs_export.converter.model_dir import looks_like_model_dir
    try:
        os.lstat(out_dir)
    except FileNotFoundError:
        return
    except OSError as err:
        raise ConversionError(os_error_message(err, "directory"), out_dir) from None
    if os.path.islink(out_dir):
        try:
            os.stat(out_dir)
        except OSError as err:
            if err.errno == errno.ELOOP:
                raise ConversionError("output path is a symlink loop (a link that points back to itself)",
                                      out_dir) from None
        raise ConversionError("output path exists and is not a directory (a symlink): give the directory itself", out_dir)
    if not os.path.isdir(out_dir):
        raise ConversionError("output path exists and is not a directory", out_dir)
    try:
        names = os.listdir(out_dir)
    except OSError as err:
        raise ConversionError(f"cannot list the output directory: {err.strerror}", out_dir) from None
    if not names:
        return
    if not overwrite:
        raise ConversionError("output directory is not empty (use --overwrite to replace it)", out_dir)
    if not looks_like_model_dir(out_dir):
        raise ConversionError("output directory is not empty and does not look like a converted model "
                              "(--overwrite replaces only a model.json with its shards): empty it or choose "
                              "another path", out_dir)


def check_output_file(src, out_path, overwrite):
    """A Keras file output (`.h5`, `.keras`): never the input, never inside a SavedModel or model
    directory given as input, never a directory; an existing file is replaced only with
    --overwrite, and only when it is a Keras model file (a zip or HDF5 file) — anything else might
    be the user's."""
    from tfjs_export.converter.readers import HDF5_MAGIC, ZIP_MAGIC
    for src_path, out in ((os.path.abspath(src), os.path.abspath(out_path)),
                          (os.path.realpath(src), os.path.realpath(out_path))):
        if src_path == out:
            raise ConversionError("the output is the input: choose another output path", out_path)
        if os.path.isdir(src) and _inside(out, src_path):
            raise ConversionError("output file is inside the input directory: choose another path", out_path)
    if os.path.islink(out_path) or (os.path.lexists(out_path) and not os.path.isfile(out_path)):
        raise ConversionError("output path exists and is not a regular file", out_path)
    if not os.path.lexists(out_path):
        parent = os.path.dirname(os.path.abspath(out_path))
        if not os.path.isdir(parent):
            raise ConversionError("the output file's folder does not exist", out_path)
        return
    if not overwrite:
        raise ConversionError("output file exists (use --overwrite to replace it)", out_path)
    try:
        with open(out_path, "rb") as f:
            head = f.read(8)
    except OSError as err:
        raise ConversionError(os_error_message(err), out_path) from None
    if not (head.startswith(ZIP_MAGIC) or head == HDF5_MAGIC):
        raise ConversionError("output file exists and is not a Keras model file (--overwrite replaces only "
                              "a .keras or .h5 file): choose another path", out_path)
