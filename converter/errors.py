"""User-facing conversion errors.

A ConversionError is a problem with the user's input or options (bad path, not a model, a layer
we cannot translate). The CLI prints it as one line, `tfjs-export: error: <path>: <message>`, with
no traceback, and exits non-zero. Anything else escaping the converter is a bug in the converter.
"""

import errno
import os


class ConversionError(Exception):
    """A user error, reported as one line naming the file and the problem."""

    def __init__(self, message, path=None):
        super().__init__(message)
        self.message = message
        self.path = None if path is None else str(path)

    def __str__(self):
        return f"{self.path}: {self.message}" if self.path else self.message


_BRIEF_CHARS = 40  # a value longer than this in a message is cut: refusals stay one readable line


def brief(value):
    """How a message names a config value: a serialized Keras object by its class name, a plain
    dict or a long list by what it is, anything else by its repr cut to a few dozen characters;
    never a whole config dict or a Python object id."""
    if isinstance(value, dict):
        name = value.get("class_name")
        return str(name)[:_BRIEF_CHARS] if isinstance(name, str) else f"a dict of {len(value)} keys"
    if isinstance(value, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in value):
        return f"a list of {len(value)} items"
    text = repr(value)
    return text if len(text) <= _BRIEF_CHARS else text[:_BRIEF_CHARS - 3] + "..."


class UnsupportedLayerError(ConversionError):
    """A layer (or a setting of one) that the Layers format cannot express."""

    def __init__(self, layer_name, class_name, detail="not supported by the TF.js Layers format",
                 path=None):
        message = f"layer '{layer_name}' ({class_name}): {detail}"
        super().__init__(message, path)
        self.layer_name = layer_name
        self.class_name = class_name


def os_error_message(err, what="file"):
    """The cause of an OSError from stat/open, said plainly: a symlink loop, a dangling symlink,
    a file where a directory belongs, a missing `what`, a permission problem."""
    if err.errno == errno.ELOOP:
        return "is a symlink loop (a link that points back to itself)"
    if err.errno == errno.ENOENT:
        dangling = bool(err.filename) and os.path.islink(err.filename)
        return f"{what} does not exist" + (" (a dangling symlink)" if dangling else "")
    if err.errno == errno.ENOTDIR:
        return f"a path component is a file: {err.strerror}"  # strerror: "Not a directory"
    if err.errno == errno.EISDIR:
        return f"is a directory, expected a {what}"
    return f"cannot read: {err.strerror or err}"


def stat_input(path, what):
    """os.stat of a path the user named; None when nothing is there (the caller says what was
    expected), the cause as a ConversionError when something is but cannot be followed (a
    symlink loop, a dangling link, ...)."""
    try:
        return os.stat(path)
    except OSError as err:
        if err.errno == errno.ENOENT and not os.path.islink(path):
            return None
        raise ConversionError(os_error_message(err, what), path) from None
