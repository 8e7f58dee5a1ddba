"""Per-tensor quantisation, exactly as TF.js reads it and `tensorflowjs` writes it.

Contract (every claim here is checked by codec/tests/test_quantization.py):

A quantiser's configuration *is* the manifest's `quantization` entry, with the
same keys, key order and (Python float) values the official `tensorflowjs` 4.22
package writes, so decoding needs nothing but the manifest:

* ``{"dtype": "float16", "original_dtype": "float32"}``: IEEE binary16,
  round-to-nearest-even, bit-identical to numpy ``astype(np.float16)`` for all
  2**32 float32 bit patterns (subnormals, overflow to +-inf, NaN payloads:
  numpy keeps the top 10 payload bits and does not quiet signalling NaNs).
* ``{"dtype": "uint8"|"uint16", "min": m, "scale": s, "original_dtype": "float32"}``:
  affine with the TF-Lite "nudged zero" range, computed in float64 exactly as
  the official package does under numpy 2 (its min/max are float32 values
  widened to float64, and `data.clip(min, max)` with float64 scalars promotes
  the whole computation to float64)::

      scale = (max - min) / qmax
      if min <= 0 <= max:
          zp = rint(-min / scale);  min' = -zp * scale;  max' = qmax * scale + min'
      else:
          min', max' = min, max
      q = rint((clip(x, min', max') - min') / scale)      # rint: ties to even

  - A constant tensor encodes as all zeros with ``min`` = the constant and
    ``scale`` = 1.0 (as official; ``min`` is numpy's ``array.min()``, so even
    the sign of a zero matches).
  - An empty tensor encodes as no bytes with ``min`` 0.0 and ``scale`` 1.0
    (the official package raises on it: numpy has no min of an empty array).
  - NaN or +-inf anywhere in the tensor raises `CodecError` naming the weight:
    the official package silently writes garbage (NaN/inf ``min``/``scale``,
    invalid JSON, all-zero codes) for such tensors.
* float16 has no such restriction: inf/NaN survive, |x| >= 65520 becomes inf.

Decoding is what TF.js 4.x `decodeWeight` does: float16 via exact tables
(equal to numpy's float16 -> float32); affine via the JS expression
``q * scale + min`` evaluated in float64 and stored into a Float32Array, i.e.
``float32(float64(q) * scale + min)`` (not a float32 multiply-add). For
``original_dtype`` "int32", TF.js applies ``Math.round`` (ties towards +inf).

Input must be a float32 numpy array (either byte order); anything else raises
`CodecError`. Encoded arrays are little-endian and keep the input's shape.
"""

import numpy as np

from tfjs_export.codec import _codec
from tfjs_export.codec.errors import CodecError

QUANTIZATION_DTYPES = ("float16", "uint8", "uint16")
_QMAX = {"uint8": 255, "uint16": 65535}
_ENCODED_DTYPE = {
    "float16": np.dtype("<f2"),
    "uint8": np.dtype("u1"),
    "uint16": np.dtype("<u2"),
}


def _label(name):
    return "weight %r" % (name,) if name is not None else "array"


def float32_flat(array, name=None):
    """Returns a C-contiguous, little-endian, 1-D float32 view (or copy) of `array`."""
    if isinstance(array, np.generic):  # numpy scalar -> 0-d array
        array = np.asarray(array)
    if not isinstance(array, np.ndarray):
        raise CodecError("%s: expected a numpy array, got %s" % (_label(name), type(array).__name__))
    if array.dtype.kind != "f" or array.dtype.itemsize != 4:
        raise CodecError(
            "%s: quantisation needs float32 input, got dtype %s" % (_label(name), array.dtype.name))
    if array.dtype.byteorder == ">":
        array = array.astype("<f4")
    return np.ascontiguousarray(array).reshape(-1)


def check_dtype(dtype, name=None):
    if dtype not in QUANTIZATION_DTYPES:
        raise CodecError("%s: unknown quantisation dtype %r (expected one of %s)"
                         % (_label(name), dtype, ", ".join(QUANTIZATION_DTYPES)))


def plan(array, flat, dtype, name=None):
    """Scans `flat` once and returns (quantization_entry, params).

    `params` is None when every code is 0 (float16 never; affine: empty or
    constant tensor), else the tuple encode_chunk needs.
    """
    check_dtype(dtype, name)
    if dtype == "float16":
        return {"dtype": "float16", "original_dtype": "float32"}, ()
    qmax = _QMAX[dtype]
    if flat.size == 0:
        return _affine_entry(dtype, 0.0, 1.0), None
    mn, mx, finite = _codec.minmax_f32(flat)
    if not finite:
        raise CodecError(
            "%s: cannot quantise to %s: the tensor contains NaN or infinity "
            "(affine quantisation needs finite values; use float16 or no quantisation)"
            % (_label(name), dtype))
    if mn == mx:
        # Constant tensor. numpy's own min decides the sign of a zero, as in official.
        return _affine_entry(dtype, float(array.min()), 1.0), None
    mn64, mx64 = np.float64(mn), np.float64(mx)
    scale = (mx64 - mn64) / qmax
    if mn64 <= 0 <= mx64:
        zero_point = np.round((0 - mn64) / scale)
        nudged_min = -zero_point * scale
        nudged_max = qmax * scale + nudged_min
    else:
        nudged_min, nudged_max = mn64, mx64
    entry = _affine_entry(dtype, float(nudged_min), float(scale))
    return entry, (float(nudged_min), float(nudged_max), float(scale))


def _affine_entry(dtype, mn, scale):
    return {"dtype": dtype, "min": mn, "scale": scale, "original_dtype": "float32"}


def encode_chunk(dtype, params, src, dst):
    """Encodes float32 `src` into `dst` (uint8 / uint16 buffer of equal length)."""
    if dtype == "float16":
        _codec.f32_to_f16(src, dst)
    elif params is None:
        dst[:] = 0
    elif dtype == "uint8":
        _codec.affine_u8(src, dst, *params)
    else:
        _codec.affine_u16(src, dst, *params)


def quantize(array, dtype, name=None):
    """Quantises a float32 array.

    Returns ``(encoded, quantization)``: `encoded` has the input's shape and
    dtype float16 / uint8 / uint16 (little-endian); `quantization` is the
    manifest entry (see the module docstring). `name` only labels errors.
    """
    check_dtype(dtype, name)
    if isinstance(array, np.generic):
        array = np.asarray(array)
    flat = float32_flat(array, name)
    entry, params = plan(array, flat, dtype, name)
    out = np.empty(flat.size, dtype=np.uint8 if dtype == "uint8" else np.uint16)
    encode_chunk(dtype, params, flat, out)
    return out.view(_ENCODED_DTYPE[dtype]).reshape(array.shape), entry


def dequantize(encoded, quantization):
    """Decodes `encoded` exactly as TF.js does; returns float32 (int32 if original_dtype is int32)."""
    if not isinstance(quantization, dict) or "dtype" not in quantization:
        raise CodecError("bad quantization entry %r" % (quantization,))
    qdtype = quantization["dtype"]
    original = quantization.get("original_dtype", "float32")
    encoded = np.asarray(encoded)
    shape = encoded.shape
    if qdtype == "float16":
        if original != "float32":
            raise CodecError("float16 quantisation supports original_dtype float32 only, got %r" % (original,))
        if encoded.dtype.kind == "u" and encoded.dtype.itemsize == 2:
            encoded = encoded.astype("<u2", copy=False).view("<f2")
        if encoded.dtype.kind != "f" or encoded.dtype.itemsize != 2:
            raise CodecError("float16 quantisation: expected float16 data, got %s" % encoded.dtype.name)
        return encoded.astype(np.float32)
    if qdtype not in _QMAX:
        raise CodecError("unknown quantisation dtype %r (expected float16, uint8 or uint16)" % (qdtype,))
    if "min" not in quantization or "scale" not in quantization:
        raise CodecError("%s quantisation entry lacks min or scale: %r" % (qdtype, quantization))
    want = np.dtype(np.uint8 if qdtype == "uint8" else np.uint16)
    if encoded.dtype.kind != "u" or encoded.dtype.itemsize != want.itemsize:
        raise CodecError("%s quantisation: expected %s data, got %s" % (qdtype, want.name, encoded.dtype.name))
    mn, scale = float(quantization["min"]), float(quantization["scale"])
    flat = np.ascontiguousarray(encoded, dtype=want.newbyteorder("<")).reshape(-1)
    if original == "float32":
        out = np.empty(flat.size, np.float32)
        (_codec.dequant_u8 if qdtype == "uint8" else _codec.dequant_u16)(flat, out, mn, scale)
        return out.reshape(shape)
    if original == "int32":
        v = flat.astype(np.float64) * scale + mn
        r = np.floor(v)
        r += (v - r) >= 0.5                      # JS Math.round: ties towards +inf
        return (r.astype(np.int64) & 0xFFFFFFFF).astype(np.uint32).view(np.int32).reshape(shape)
    raise CodecError("%s quantisation: unsupported original_dtype %r" % (qdtype, original))
