"""Reading the small files a user names besides the model (labels, metadata JSON): size-capped,
every failure a one-line ConversionError that says which kind of file it was."""

import os

from tfjs_export.converter.errors import ConversionError


def read_small_file(path, what, max_bytes):
    """The bytes of the `what` file (e.g. "labels file") at `path`, at most `max_bytes` of them."""
    try:
        if os.path.getsize(path) > max_bytes:
            raise ConversionError(f"{what} is over {max_bytes:,} bytes", path)
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        raise ConversionError(f"{what} not found", path) from None
    except IsADirectoryError:
        raise ConversionError(f"{what} is a directory", path) from None
    except OSError as err:
        raise ConversionError(f"cannot read the {what}: {err.strerror}", path) from None
