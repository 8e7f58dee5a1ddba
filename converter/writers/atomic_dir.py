"""Write a directory all at once: build it in a temporary sibling, fsync it, rename it into place.

A failed or interrupted conversion leaves no partial model behind that a web app could pick up:
until the final rename, the output path holds either nothing or the previous complete model.
"""

import contextlib
import os
import shutil
import tempfile

from tfjs_export.codec import CodecWriteError
from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.writers.output_guard import check_output_dir


@contextlib.contextmanager
def atomic_output_dir(out_dir, overwrite=False):
    """Yield a temporary directory that becomes `out_dir` when the block succeeds."""
    out_dir = os.path.abspath(out_dir)
    check_output_dir(out_dir, overwrite)  # again: the directory may have changed while reading
    parent = os.path.dirname(out_dir)
    created = _make_parents(parent)
    try:
        tmp = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.tmp-", dir=parent)
    except OSError as err:
        _remove_created(created)
        raise ConversionError(f"cannot create the output directory: {err.strerror}", out_dir) from None
    try:
        try:
            yield tmp
            os.chmod(tmp, 0o755)  # mkdtemp makes it 0700; a model directory is meant to be served
            _fsync_tree(tmp)  # the rename below must never publish files still in the page cache
        except (OSError, CodecWriteError) as err:
            raise ConversionError(f"cannot write the model: {getattr(err, 'strerror', None) or err}",
                                  out_dir) from None
        if os.path.lexists(out_dir):
            old = tempfile.mkdtemp(prefix=f".{os.path.basename(out_dir)}.old-", dir=parent)
            os.rename(out_dir, os.path.join(old, "model"))
            os.rename(tmp, out_dir)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        _remove_created(created)
        raise


def _fsync_tree(folder):
    for name in os.listdir(folder):
        fd = os.open(os.path.join(folder, name), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _make_parents(parent):
    """Create missing parent directories; return them, deepest first, for clean-up on failure."""
    missing = []
    path = parent
    while path and not os.path.exists(path):
        missing.append(path)
        path = os.path.dirname(path)
    try:
        for path in reversed(missing):
            os.mkdir(path)
    except OSError as err:
        raise ConversionError(f"cannot create directory: {err.strerror}", path) from None
    return missing


def _remove_created(created):
    for path in created:
        with contextlib.suppress(OSError):
            os.rmdir(path)
