"""Layers quantised by Keras itself (`model.quantize("int8" | "int4" | "float8")`), for the Layers format.

Keras 3.15 quantises Dense and Embedding layers (EinsumDense too, which the Layers format has no
class for: it goes to the Graph format). A quantised layer's config carries a quantized dtype
policy (`{"class_name": "QuantizedDTypePolicy", "config": {"mode": "int8", "source_name": ...}}`)
and its file holds Keras' own variables (int8 kernel, per-channel scale, ...). TF.js has a plain
Dense / Embedding: this module names the variables the file holds, in Keras' order, and turns them
into the float32 weights the TF.js layer takes, computed as Keras computes them at inference:
- int8:  kernel / kernel_scale (per output unit); embeddings / embeddings_scale (per row);
- int4:  the int4 nibbles unpacked (two per int8 byte, low nibble first), then divided by the
         per-channel scale, or, with a block size, (q - zero[group]) * scale[group];
- float8: the kernel rounded to float8 e4m3fn at its scale and back (Keras' kernel
         quantize-dequantize).
What TF.js cannot do is Keras' *activation* quantisation at inference (int8 Dense: the inputs
rounded to int8 per row; float8: the inputs rounded to float8): TF.js computes with float32
activations, and `verify` reports the difference from Keras' quantised inference.
Needs numpy only (the Layers path imports neither TensorFlow nor Keras).
"""

import dataclasses

import numpy as np

from tfjs_export.converter.errors import brief
from tfjs_export.converter.layers_config.objects import ObjectError

MODES = ("int8", "int4", "float8")
# The variables a quantised layer stores, in the order Keras' save_own_variables writes them,
# as (name, trainable); the legacy `.h5` order (trainable first) follows from the flags.
_DENSE = {
    "int8": [("kernel", False), ("bias", True), ("kernel_scale", False)],
    "int4": [("kernel", False), ("bias", True), ("kernel_scale", False), ("kernel_zero", False), ("g_idx", False)],
    "float8": [("kernel", True), ("bias", True)] + [
        (f"{what}_{kind}", True) for what in ("inputs", "kernel", "outputs_grad") for kind in ("scale", "amax_history")],
}
_EMBEDDING = {
    "int8": [("embeddings", False), ("embeddings_scale", False)],
    "int4": [("embeddings", False), ("embeddings_scale", False), ("embeddings_zero", False), ("g_idx", False)],
}
_FLOAT8_E4M3_MAX = 448.0


@dataclasses.dataclass(frozen=True)
class QuantizedLayer:
    """One Keras-quantised layer: its class, mode ("int8", "int4", "float8"), int4 block size
    (None: per channel) and the length of the axis int4 packs (units / output_dim)."""

    class_name: str
    mode: str
    block_size: object
    packed_len: int


def mode_of(config):
    """The Keras quantisation mode of a layer config ("int8", "int4/128", ...), or None."""
    dtype = config.get("dtype")
    if isinstance(dtype, dict) and isinstance(dtype.get("config"), dict):
        mode = dtype["config"].get("mode")
        return mode if isinstance(mode, str) else None
    return None


def plan(class_name, config):
    """(QuantizedLayer, the config as the float layer's, [(variable, trainable)] in file order) of
    a quantised Dense or Embedding config; ObjectError naming what is not supported."""
    mode = mode_of(config)
    base, _, block = mode.partition("/")
    table = {"Dense": _DENSE, "Embedding": _EMBEDDING}.get(class_name, {})
    if base not in table:
        known = ", ".join(table) or "none"
        raise ObjectError(f"Keras quantisation mode {brief(mode)} of {class_name} has no TF.js Layers "
                          f"form (modes read for {class_name}: {known})")
    try:
        block_size = int(block) if block else None
    except ValueError:
        raise ObjectError(f"Keras quantisation mode {brief(mode)}: unreadable block size") from None
    block_size = None if block_size in (None, -1) else block_size
    if class_name == "Dense" and config.get("lora_rank"):
        raise ObjectError("a quantised Dense with LoRA is not supported (merge the LoRA weights first)")
    names = table[base]
    if not config.get("use_bias", True):
        names = [n for n in names if n[0] != "bias"]
    if base == "int4" and block_size is None:  # per channel: no zero points, no group index
        names = [n for n in names if not n[0].endswith("_zero") and n[0] != "g_idx"]
    packed_len = config.get("units") if class_name == "Dense" else config.get("output_dim")
    source = (config["dtype"].get("config") or {}).get("source_name") or "float32"
    float_config = dict(config, dtype=source, quantization_config=None)
    return QuantizedLayer(class_name, base, block_size, packed_len), float_config, names


def dequantize(layer, arrays, where):
    """{TF.js weight suffix: float32 array} of one quantised layer from {variable: array} (the
    names plan() lists); ValueError (naming `where`) for arrays that do not fit."""
    try:
        if layer.class_name == "Dense":
            out = {"kernel": _dense_kernel(layer, arrays)}
            if "bias" in arrays:
                out["bias"] = np.asarray(arrays["bias"], np.float32)
            return out
        return {"embeddings": _embeddings(layer, arrays)}
    except (ValueError, IndexError, KeyError) as err:
        raise ValueError(f"{where}: Keras {layer.mode} variables do not fit together ({err})") from None


def _dense_kernel(layer, a):
    if layer.mode == "float8":
        return _float8_qdq(np.asarray(a["kernel"], np.float32), np.float32(a["kernel_scale"]))
    if layer.mode == "int8":
        q = np.asarray(a["kernel"], np.float32)
    else:
        q = unpack_int4(a["kernel"], layer.packed_len).astype(np.float32)
    if layer.block_size is None:
        return q / np.asarray(a["kernel_scale"], np.float32).reshape(-1)
    groups = np.asarray(a["g_idx"]).astype(np.int64)  # [input_dim]: the group of each input row
    zero = np.asarray(a["kernel_zero"], np.float32)[groups, :]
    return (q - zero) * np.asarray(a["kernel_scale"], np.float32)[groups, :]


def _embeddings(layer, a):
    if layer.mode == "int8":
        q = np.asarray(a["embeddings"], np.float32)
    else:
        q = unpack_int4(a["embeddings"], layer.packed_len).astype(np.float32)
    scale = np.asarray(a["embeddings_scale"], np.float32)
    if layer.block_size is None:
        return q / scale.reshape(scale.shape[0], 1)
    groups = np.asarray(a["g_idx"]).astype(np.int64)  # [output_dim]: the group of each column
    zero = np.asarray(a["embeddings_zero"], np.float32)[:, groups]
    return (q - zero) * scale[:, groups]


def unpack_int4(packed, length):
    """Signed int4 values [-8, 7] from int8 bytes packing two along the last axis (low nibble
    first, as keras.quantizers.pack_int4 writes them), cut to `length` along that axis."""
    packed = np.asarray(packed)
    if packed.dtype.kind not in "iu" or packed.dtype.itemsize != 1:
        raise ValueError(f"packed int4 values must be 8-bit integers, not {packed.dtype}")
    raw = packed.view(np.uint8)
    low, high = (raw & 0x0F).astype(np.int8), (raw >> 4).astype(np.int8)
    pairs = np.stack([low, high], axis=-1).reshape(packed.shape[:-1] + (2 * packed.shape[-1],))
    if length is None or not 0 < length <= pairs.shape[-1]:
        raise ValueError(f"int4 length {length} does not fit {packed.shape[-1]} packed bytes")
    return ((pairs[..., :length] ^ 8) - 8).astype(np.int8)


def _float8_qdq(x, scale):
    """Keras' quantize_and_dequantize to float8 e4m3fn: x / scale clipped to +-448, rounded to the
    nearest e4m3fn value (3 mantissa bits; ties to even; subnormals below 2**-6), times scale."""
    y = np.clip(x / scale, -_FLOAT8_E4M3_MAX, _FLOAT8_E4M3_MAX).astype(np.float32)
    _, exponent = np.frexp(y)  # y = m * 2**exponent, 0.5 <= |m| < 1
    step = np.ldexp(np.float32(1), np.maximum(exponent - 1, -6) - 3).astype(np.float32)
    return (np.round(y / step) * step).astype(np.float32) * scale
