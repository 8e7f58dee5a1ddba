"""Sizes in TF.js weight shards, in exact integers (no numpy, so the CLI's `--help` and option
parsing import none): the default shard size and the bytes one element takes, by manifest dtype
or quantisation dtype. The one place of these facts (codec.weights and converter/ read them)."""

DEFAULT_SHARD_SIZE = 4 * 1024 * 1024  # the official converter's default (4 MiB)
DTYPE_BYTES = {"float32": 4, "int32": 4, "bool": 1, "uint8": 1, "complex64": 8, "float16": 2, "uint16": 2}


def element_count(shape):
    """The number of elements of `shape` (a sequence of ints >= 0), as an exact Python int: a
    declared shape never wraps around the way a numpy int64 product does."""
    count = 1
    for d in shape:
        count *= int(d)
    return count


def weight_nbytes(spec):
    """(bytes in the shards, bytes it would take unquantised) of a manifest weight entry with a
    valid shape and dtype; None for a string tensor (its size is in its data)."""
    if spec["dtype"] == "string":
        return None
    count = element_count(spec["shape"])
    quantization = spec.get("quantization")
    stored = DTYPE_BYTES[quantization["dtype"] if quantization else spec["dtype"]]
    return count * stored, count * DTYPE_BYTES[spec["dtype"]]


def group_nbytes(weights):
    """Bytes a manifest group's weights take in its shards; None when it holds a string tensor."""
    sizes = [weight_nbytes(w) for w in weights]
    return None if any(s is None for s in sizes) else sum(s[0] for s in sizes)
