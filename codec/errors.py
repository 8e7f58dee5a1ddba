"""The codec's exception types.

`CodecError` is a `ValueError`: every problem the codec reports (bad dtype,
non-finite values under affine quantisation, a missing or truncated shard, ...)
is a problem with the data or the arguments. Messages are one line and name the
weight and/or file concerned.
"""


class CodecError(ValueError):
    """Invalid input to, or corrupt data for, the TF.js weight codec."""


class CodecWriteError(CodecError):
    """A shard could not be created or written (disk full, permissions): a problem with the
    output location, not the data. `strerror` is the operating system's reason."""

    def __init__(self, message, strerror):
        super().__init__(message)
        self.strerror = strerror
