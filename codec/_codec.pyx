# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False, cdivision=True
"""Hot loops of the weight codec (private; use the `codec` package).

Every function takes C-contiguous 1-D buffers, does no allocation, and runs
with the GIL released. Contracts (bit-exactness) are stated in
codec/quantization.py; the C in kernels.c implements them:

* f32_to_f16: IEEE binary32 -> binary16, round-to-nearest-even, identical bits
  to numpy's ``astype(np.float16)`` for every input, NaN payloads included
  (numpy truncates the payload to its top 10 bits and keeps a NaN a NaN by
  setting bit 0 if the truncation left it zero; it does not quiet sNaNs).
  Uses F16C (vcvtps2ph) when the CPU has it, re-doing any 8-lane block that
  holds a NaN with the portable routine, because the hardware quiets sNaNs.
* minmax_f32: one pass, min/max of finite data, plus a "saw NaN/inf" flag.
* affine_u8 / affine_u16: q = rint((clip(double(x), lo, hi) - lo) / scale),
  all in float64 like the official tensorflowjs quantiser under numpy 2.
* dequant_affine: float32(double(q) * scale + min), like TF.js (a JS double
  expression stored into a Float32Array). Compiled with -ffp-contract=off so
  no FMA changes the bits.
"""

from libc.stdint cimport uint8_t, uint16_t, uint32_t

cdef extern from "kernels.h":
    void codec_f32_to_f16(const float *src, uint16_t *dst, size_t n, int allow_hw) nogil
    int codec_have_f16c() nogil
    int codec_minmax_f32(const float *src, size_t n, float *pmin, float *pmax) nogil
    void codec_affine_u8(const float *src, uint8_t *dst, size_t n, double lo, double hi, double scale) nogil
    void codec_affine_u16(const float *src, uint16_t *dst, size_t n, double lo, double hi, double scale) nogil
    void codec_deq_u8(const uint8_t *src, float *dst, size_t n, double mn, double scale) nogil
    void codec_deq_u16(const uint16_t *src, float *dst, size_t n, double mn, double scale) nogil


def have_f16c():
    """True when the float16 encoder uses the CPU's F16C instructions."""
    return bool(codec_have_f16c())


def f32_to_f16(const float[::1] src, uint16_t[::1] dst, bint allow_hw=True):
    """dst[:] = float16 bits of src (len(dst) == len(src))."""
    cdef size_t n = src.shape[0]
    if <size_t>dst.shape[0] != n:
        raise ValueError("f32_to_f16: length mismatch")
    if n == 0:
        return
    with nogil:
        codec_f32_to_f16(&src[0], &dst[0], n, allow_hw)


def minmax_f32(const float[::1] src):
    """(min, max, all_finite) of a non-empty float32 buffer, in one pass."""
    cdef size_t n = src.shape[0]
    cdef float mn = 0, mx = 0
    cdef int ok
    if n == 0:
        raise ValueError("minmax_f32: empty buffer")
    with nogil:
        ok = codec_minmax_f32(&src[0], n, &mn, &mx)
    return float(mn), float(mx), bool(ok)


def affine_u8(const float[::1] src, uint8_t[::1] dst, double lo, double hi, double scale):
    """dst[:] = rint((clip(src, lo, hi) - lo) / scale) as uint8 (float64 math)."""
    cdef size_t n = src.shape[0]
    if <size_t>dst.shape[0] != n:
        raise ValueError("affine_u8: length mismatch")
    if n == 0:
        return
    with nogil:
        codec_affine_u8(&src[0], &dst[0], n, lo, hi, scale)


def affine_u16(const float[::1] src, uint16_t[::1] dst, double lo, double hi, double scale):
    """dst[:] = rint((clip(src, lo, hi) - lo) / scale) as uint16 (float64 math)."""
    cdef size_t n = src.shape[0]
    if <size_t>dst.shape[0] != n:
        raise ValueError("affine_u16: length mismatch")
    if n == 0:
        return
    with nogil:
        codec_affine_u16(&src[0], &dst[0], n, lo, hi, scale)


def dequant_u8(const uint8_t[::1] src, float[::1] dst, double mn, double scale):
    """dst[:] = float32(double(src) * scale + mn), as TF.js computes it."""
    cdef size_t n = src.shape[0]
    if <size_t>dst.shape[0] != n:
        raise ValueError("dequant_u8: length mismatch")
    if n == 0:
        return
    with nogil:
        codec_deq_u8(&src[0], &dst[0], n, mn, scale)


def dequant_u16(const uint16_t[::1] src, float[::1] dst, double mn, double scale):
    """dst[:] = float32(double(src) * scale + mn), as TF.js computes it."""
    cdef size_t n = src.shape[0]
    if <size_t>dst.shape[0] != n:
        raise ValueError("dequant_u16: length mismatch")
    if n == 0:
        return
    with nogil:
        codec_deq_u16(&src[0], &dst[0], n, mn, scale)
