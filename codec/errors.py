"""The codec's one exception type.

`CodecError` is a `ValueError`: every problem the codec reports (bad dtype,
non-finite values under affine quantisation, a missing or truncated shard, ...)
is a problem with the data or the arguments. Messages are one line and name the
weight and/or file concerned.
"""


class CodecError(ValueError):
    """Invalid input to, or corrupt data for, the TF.js weight codec."""
