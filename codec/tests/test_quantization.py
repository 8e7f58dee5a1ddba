"""codec.quantization: bit-exact against numpy (float16) and tensorflowjs 4.22 (affine)."""
import json
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra import numpy as hnp

from tfjs_export import codec
from tfjs_export.codec import _codec
from tfjs_export.codec import CodecError

from tfjs_export.codec.tests import tfjs_reference


OFFICIAL = tfjs_reference.load("quantization")
NP_DTYPES = {"uint8": np.uint8, "uint16": np.uint16, "float16": np.float16}


def official_quantize(x, dtype):
    """What tensorflowjs.write_weights puts in the shard and the manifest."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data, meta = OFFICIAL.quantize_weights(x, NP_DTYPES[dtype])
    entry = {"dtype": data.dtype.name}
    entry.update(meta)
    entry.update({"original_dtype": "float32"})
    return data, entry


def f16_bits_numpy(bits):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return np.asarray(bits, np.uint32).view(np.float32).astype(np.float16).view(np.uint16)


def f16_bits_ours(bits, allow_hw=True):
    f = np.ascontiguousarray(np.asarray(bits, np.uint32).view(np.float32))
    out = np.empty(f.size, np.uint16)
    _codec.f32_to_f16(f, out, allow_hw)
    return out


EDGE_BITS = np.array(
    [0x00000000, 0x80000000, 0x00000001, 0x807fffff, 0x00800000,       # zeros, f32 subnormals
     0x33000000, 0x33000001, 0x33800000, 0x337fffff, 0xb3000001,       # around 2^-25 / 2^-24
     0x387fc000, 0x387fe000, 0x387fffff, 0x38800000, 0x38801000,       # subnormal/normal half edge
     0x477fe000, 0x477fefff, 0x477ff000, 0x477ff001, 0x47800000,       # 65504 .. 65536
     0x7f7fffff, 0xff7fffff, 0x7f800000, 0xff800000,                   # max, inf
     0x7fc00000, 0xffc00000, 0x7fc00001, 0x7fffffff, 0x7fc02000,       # quiet NaNs
     0x7f800001, 0x7fa00000, 0x7f802000, 0x7fbfffff, 0xff800001,       # signalling NaNs
     0x3f800000, 0x3f801000, 0x3f803000, 0x3f800fff, 0x3f801001],      # 1.0 ties to even
    dtype=np.uint32)


@pytest.mark.parametrize("allow_hw", [True, False])
def test_float16_edge_bits_match_numpy(allow_hw):
    np.testing.assert_array_equal(f16_bits_ours(EDGE_BITS, allow_hw), f16_bits_numpy(EDGE_BITS))


@pytest.mark.parametrize("allow_hw", [True, False])
def test_float16_random_bit_patterns_match_numpy(allow_hw):
    rng = np.random.default_rng(1234)
    bits = rng.integers(0, 2**32, size=1 << 22, dtype=np.uint64).astype(np.uint32)
    # Densify the interesting exponent range (half subnormals .. overflow).
    bits[::2] = (bits[::2] & 0x807fffff) | (rng.integers(96, 146, size=bits[::2].size, dtype=np.uint32) << 23)
    np.testing.assert_array_equal(f16_bits_ours(bits, allow_hw), f16_bits_numpy(bits))


def test_float16_nan_inside_simd_block_keeps_neighbours():
    bits = np.full(37, 0x3f801000, np.uint32)
    bits[9] = 0x7f800001  # sNaN: hardware would quiet it, numpy does not
    bits[20] = 0xffc12345
    np.testing.assert_array_equal(f16_bits_ours(bits), f16_bits_numpy(bits))


@given(st.lists(st.integers(0, 2**32 - 1), min_size=0, max_size=64))
def test_float16_any_bits_match_numpy(bits):
    bits = np.array(bits, np.uint32)
    np.testing.assert_array_equal(f16_bits_ours(bits), f16_bits_numpy(bits))
    np.testing.assert_array_equal(f16_bits_ours(bits, False), f16_bits_numpy(bits))


def test_quantize_float16_api():
    x = np.array([[1.0, -2.5], [65520.0, np.nan]], np.float32)
    enc, entry = codec.quantize(x, "float16")
    assert enc.dtype == np.float16 and enc.shape == (2, 2)
    assert enc.tobytes() == x.astype(np.float16).tobytes()
    assert entry == {"dtype": "float16", "original_dtype": "float32"}
    assert list(entry) == ["dtype", "original_dtype"]
    data, off = official_quantize(np.array([1.0], np.float32), "float16")
    assert json.dumps(entry) == json.dumps(off)


def _cases():
    rng = np.random.default_rng(7)
    c = {
        "normal_1": rng.standard_normal(1).astype(np.float32),
        "normal_2": rng.standard_normal(2).astype(np.float32),
        "normal_33x17": rng.standard_normal((33, 17)).astype(np.float32),
        "normal_3x3x8x16": (rng.standard_normal((3, 3, 8, 16)) * 0.05).astype(np.float32),
        "normal_100k": rng.standard_normal(100_003).astype(np.float32),
        "constant_pos": np.full((4, 5), 3.25, np.float32),
        "constant_neg": np.full(7, -1e-3, np.float32),
        "constant_zero": np.zeros((2, 3), np.float32),
        "zeros_mixed_sign": np.array([0.0, -0.0, 0.0], np.float32),
        "zeros_mixed_sign2": np.array([-0.0, 0.0], np.float32),
        "scalar_0d": np.array(1.5, np.float32),
        "all_positive": rng.uniform(0.5, 3.0, 1000).astype(np.float32),
        "all_negative": rng.uniform(-3.0, -0.25, 1000).astype(np.float32),
        "zero_at_min": np.array([0.0, 0.1, 0.7, 1.0], np.float32),
        "zero_at_max": np.array([-2.0, -0.3, 0.0], np.float32),
        "zero_near_min": np.array([-0.001, 0.5, 1.0], np.float32),
        "tiny": (rng.standard_normal(500) * 1e-30).astype(np.float32),
        "subnormals": (rng.standard_normal(500) * 1e-41).astype(np.float32),
        "subnormal_pair": np.array([1e-45, 3e-45], np.float32),
        "huge": (rng.standard_normal(500) * 1e37).astype(np.float32),
        "float32_extremes": np.array([-3.4028235e38, 3.4028235e38, 0.0], np.float32),
        "two_values": np.array([1.0, 2.0, 1.0, 2.0], np.float32),
        "fortran_order": np.asfortranarray(rng.standard_normal((13, 9)).astype(np.float32)),
        "strided_view": rng.standard_normal((20, 20)).astype(np.float32)[::3, 1::2],
    }
    return c


CASES = _cases()


@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float16"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_quantize_matches_official(case, dtype):
    x = CASES[case]
    enc, entry = codec.quantize(x, dtype)
    ref, ref_entry = official_quantize(x, dtype)
    assert enc.shape == x.shape
    assert enc.dtype == ref.dtype
    assert enc.tobytes() == ref.tobytes()
    assert json.dumps(entry) == json.dumps(ref_entry)   # keys, order, repr of every float
    assert list(entry) == list(ref_entry)
    for k in ("min", "scale"):
        if k in entry:
            assert type(entry[k]) is float
    # Dequantisation equals the official decoder (which equals TF.js's float64 expression).
    np.testing.assert_array_equal(
        codec.dequantize(enc, entry).view(np.uint32),
        OFFICIAL.dequantize_weights(ref, ref_entry, np.float32).view(np.uint32))


finite_f32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=9),
                  elements=finite_f32),
       st.sampled_from(["uint8", "uint16"]))
def test_affine_any_finite_array_matches_official(x, dtype):
    enc, entry = codec.quantize(x, dtype)
    ref, ref_entry = official_quantize(x, dtype)
    assert enc.tobytes() == ref.tobytes()
    assert json.dumps(entry) == json.dumps(ref_entry)


@given(hnp.arrays(np.float32, st.integers(1, 300),
                  elements=st.floats(-1e6, 1e6, width=32)),
       st.sampled_from(["uint8", "uint16"]))
def test_affine_round_trip_within_half_step(x, dtype):
    enc, entry = codec.quantize(x, dtype)
    back = codec.dequantize(enc, entry)
    assert back.dtype == np.float32 and back.shape == x.shape
    tol = 0.5 * entry["scale"] * (1 + 1e-9) + 2 * float(np.spacing(np.float32(np.abs(x).max())))
    if x.min() == x.max():
        np.testing.assert_array_equal(back, x)
    else:
        assert float(np.abs(back.astype(np.float64) - x).max()) <= tol


@given(hnp.arrays(np.float32, st.integers(0, 200), elements=st.floats(width=32)))
def test_float16_round_trip_equals_numpy(x):
    enc, entry = codec.quantize(x, "float16")
    back = codec.dequantize(enc, entry)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = x.astype(np.float16).astype(np.float32)
    np.testing.assert_array_equal(back.view(np.uint32), ref.view(np.uint32))


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_affine_rejects_non_finite(dtype, bad):
    x = np.array([0.5, bad, -1.0] * 10, np.float32)
    with pytest.raises(CodecError, match=r"weight 'conv/kernel'.*NaN or infinity"):
        codec.quantize(x, dtype, name="conv/kernel")
    with pytest.raises(CodecError, match="NaN or infinity"):
        codec.quantize(np.full(3, bad, np.float32), dtype)


def test_float16_keeps_non_finite():
    x = np.array([np.nan, np.inf, -np.inf, 1e6], np.float32)
    enc, _ = codec.quantize(x, "float16")
    assert enc.view(np.uint16).tolist() == [0x7e00, 0x7c00, 0xfc00, 0x7c00]


@pytest.mark.parametrize("dt", [np.float64, np.float16, np.int32, np.int64, np.uint8, bool])
@pytest.mark.parametrize("q", ["float16", "uint8"])
def test_quantize_rejects_non_float32(dt, q):
    with pytest.raises(CodecError, match="float32"):
        codec.quantize(np.zeros(3, dt), q)
    assert issubclass(CodecError, ValueError)


def test_quantize_rejects_unknown_dtype():
    with pytest.raises(CodecError, match="int8"):
        codec.quantize(np.zeros(3, np.float32), "int8")


def test_affine_empty_tensor_is_defined():
    for dtype in ("uint8", "uint16"):
        enc, entry = codec.quantize(np.zeros((0, 4), np.float32), dtype)
        assert enc.shape == (0, 4) and enc.dtype == NP_DTYPES[dtype]
        assert entry == {"dtype": dtype, "min": 0.0, "scale": 1.0, "original_dtype": "float32"}


def test_big_endian_input_same_as_little_endian():
    x = np.random.default_rng(3).standard_normal(1001).astype(np.float32)
    for dtype in ("float16", "uint8", "uint16"):
        a = codec.quantize(x, dtype)
        b = codec.quantize(x.astype(">f4"), dtype)
        assert a[0].tobytes() == b[0].tobytes() and a[1] == b[1]


def test_dequantize_is_the_tfjs_expression():
    # TF.js: values[i] = v * scale + min  (JS doubles) stored into a Float32Array.
    q = np.arange(256, dtype=np.uint8)
    entry = {"dtype": "uint8", "min": -0.1234567891234, "scale": 0.0039215686274509803,
             "original_dtype": "float32"}
    expect = np.array([np.float32(float(v) * entry["scale"] + entry["min"]) for v in range(256)])
    np.testing.assert_array_equal(codec.dequantize(q, entry).view(np.uint32), expect.view(np.uint32))
    # int32 originals use Math.round (ties towards +inf).
    e2 = {"dtype": "uint8", "min": -2.5, "scale": 1.0, "original_dtype": "int32"}
    assert codec.dequantize(np.array([0, 1, 2, 3, 4], np.uint8), e2).tolist() == [-2, -1, 0, 1, 2]


def test_dequantize_float16_accepts_uint16_bits_and_rejects_bad_entries():
    x = np.array([1.0, -0.0, 65504.0], np.float32)
    enc, entry = codec.quantize(x, "float16")
    np.testing.assert_array_equal(codec.dequantize(enc.view(np.uint16), entry), x)
    with pytest.raises(CodecError):
        codec.dequantize(np.zeros(2, np.uint8), {"dtype": "uint8", "scale": 1.0})
    with pytest.raises(CodecError):
        codec.dequantize(np.zeros(2, np.uint8), {"dtype": "int4", "min": 0.0, "scale": 1.0})
    with pytest.raises(CodecError):
        codec.dequantize(np.zeros(2, np.uint16), {"dtype": "uint8", "min": 0.0, "scale": 1.0})
