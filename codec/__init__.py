"""codec: the TensorFlow.js weight codec of tfjs-export.

Packs, quantises and shards weights into TF.js `group{G}-shard{i}of{N}.bin`
files, and reads them back. Output is byte-identical to the official
`tensorflowjs` 4.22 Python package for the same input (see docs/architecture.md, "Format facts"):

- `quantize(array, dtype) -> (encoded, quantization)`: float32 -> "float16",
  "uint8" or "uint16"; `quantization` is the manifest's `quantization` entry.
- `dequantize(encoded, quantization) -> np.ndarray`: exactly as TF.js decodes.
- `write_weights(weights, out_dir, shard_size=4194304, group=1) -> dict`:
  streams `(name, array, quantize)` triples into shards, returns the manifest
  group `{"paths": [...], "weights": [...]}`.
- `read_weights(manifest, model_dir) -> dict[str, np.ndarray]`.
- `DEFAULT_SHARD_SIZE` (4 MiB, the official default), `DTYPE_BYTES` (bytes per element
  in a shard, by dtype or quantisation dtype), `element_count(shape)`,
  `weight_nbytes(entry)` and `group_nbytes(weights)`: exact sizes from a manifest.
- `CodecError` (a `ValueError`) for every reported problem; its subclass
  `CodecWriteError` when a shard cannot be created or written (disk full, ...).

Hot loops live in the Cython extension `codec._codec` and run without the GIL.
"""

from tfjs_export.codec.errors import CodecError, CodecWriteError
from tfjs_export.codec.sizes import DEFAULT_SHARD_SIZE, DTYPE_BYTES, element_count, group_nbytes, weight_nbytes

__all__ = ["CodecError", "CodecWriteError", "quantize", "dequantize", "write_weights", "read_weights",
           "DEFAULT_SHARD_SIZE", "DTYPE_BYTES", "element_count", "weight_nbytes", "group_nbytes"]

# The numpy/Cython parts load on first use: the sizes above (and the CLI's `--help`) need no numpy.
_LAZY = {"quantize": "quantization", "dequantize": "quantization", "write_weights": "weights",
         "read_weights": "weights"}


def __getattr__(name):
    if name in _LAZY:
        import importlib
        value = getattr(importlib.import_module(f"tfjs_export.codec.{_LAZY[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
