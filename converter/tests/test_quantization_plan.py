"""Which weights get which quantisation dtype."""

import numpy as np
import pytest

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.quantization_plan import (ALL, TINY, QuantizationPlan, keep_float32_reason, kept_float32,
                                                    parse_globs)

F32 = np.zeros(3, "float32")


def test_no_options_quantises_nothing():
    plan = QuantizationPlan()
    assert not plan and plan.dtype_for("dense/kernel", F32) is None


def test_globs_then_fall_through():
    plan = QuantizationPlan(float16=["conv*/kernel", "dense/bias"], uint8=ALL)
    assert plan.dtype_for("conv2d_1/kernel", F32) == "float16"
    assert plan.dtype_for("dense/bias", F32) == "float16"
    assert plan.dtype_for("dense/kernel", F32) == "uint8"


def test_only_float32_weights_are_quantised():
    plan = QuantizationPlan(uint8=ALL)
    assert plan.dtype_for("embedding/ids", np.zeros(3, "int32")) is None


def test_conflicting_globs_are_an_error():
    plan = QuantizationPlan(float16=["dense/*"], uint16=["*/kernel"])
    with pytest.raises(ConversionError, match="dense/kernel.*float16, uint16"):
        plan.dtype_for("dense/kernel", F32)


def test_two_fall_throughs_are_an_error():
    with pytest.raises(ConversionError, match="only one"):
        QuantizationPlan(float16=ALL, uint8=ALL)


def test_parse_globs():
    assert parse_globs(None) is ALL
    assert parse_globs("a/*, b/kernel") == ["a/*", "b/kernel"]
    with pytest.raises(ConversionError):
        parse_globs(" , ")


# -- the rule: never quantise what rounding destroys ----------------------------------------------

def _gaussian(shape, seed=0, scale=0.1):
    return (np.random.default_rng(seed).normal(size=shape) * scale).astype("float32")


@pytest.mark.parametrize("array,dtype,reason", [
    (np.float32(1e-10).reshape(()), "float16", "scalar"),  # float16 flushes it to 0
    (np.array([1e-3, 0.5, 2.0], np.float32), "uint8", "tiny (3 values)"),
    (np.linspace(-1, 1, TINY).astype("float32") + 1e-4, "float16", f"tiny ({TINY} values)"),
    (np.append(_gaussian(99), 7e4).astype("float32"), "float16", "out of float16's range"),  # -> inf
    (np.arange(1000, dtype="float32"), "uint8", "integer values"),  # an index table: 1000 levels
    (np.arange(2040, 2100, dtype="float32"), "float16", "integer values"),  # float16 steps by 2 there
    (_gaussian(100, scale=1e-6), "float16", "float16 rounding error 1.8e-02 of its RMS"),  # subnormal in float16
])
def test_rule_keeps_what_rounding_destroys(array, dtype, reason):
    assert keep_float32_reason(array, dtype) == reason
    plan = QuantizationPlan(**{dtype: ALL})
    assert plan.keep_reason("w", array) == reason and plan.dtype_for("w", array) is None
    assert plan.requested_dtype("w", array) == dtype


def test_rule_keeps_a_tensor_whose_range_a_few_values_set():
    """uint8: one value 1000x the others sets the range; the rest fall on a few levels."""
    outlier = np.append(_gaussian(4000, scale=0.01), 10.0).astype("float32")
    reason = keep_float32_reason(outlier, "uint8")
    assert reason.startswith("uint8 rounding error ") and float(reason.split()[3]) > 8 / 255
    assert keep_float32_reason(outlier, "uint16").startswith("uint16 rounding error ")  # the same 8 steps
    assert keep_float32_reason(outlier, "float16") is None


@pytest.mark.parametrize("dtype", ["float16", "uint8", "uint16"])
def test_rule_quantises_ordinary_and_exactly_rounded_weights(dtype):
    assert keep_float32_reason(_gaussian((3, 3, 16, 16)), dtype) is None  # a kernel
    assert keep_float32_reason(np.full(100, 0.3, np.float32), dtype if dtype != "float16" else "uint8") is None
    assert keep_float32_reason(np.float32(0.5).reshape(()), dtype) is None  # exact in every format
    assert keep_float32_reason(np.arange(256, dtype="float32"), "uint8") is None  # integers 0..255: exact
    assert keep_float32_reason(np.zeros(0, np.float32), dtype) is None
    assert keep_float32_reason(np.array([1.0, np.nan, 0.3] * 10, np.float32), dtype) is None  # the codec's call


def test_tiny_means_at_most_TINY_values():
    small = np.linspace(0.1, 0.9, TINY).astype("float32")
    larger = np.linspace(0.1, 0.9, TINY + 1).astype("float32")
    assert keep_float32_reason(small, "uint8") == f"tiny ({TINY} values)"
    assert keep_float32_reason(larger, "uint8") is None


def test_keep_float32_none_quantises_every_matched_weight():
    epsilon = np.float32(1e-10).reshape(())
    plan = QuantizationPlan(float16=ALL, keep_float32="none")
    assert plan.dtype_for("eps", epsilon) == "float16" and plan.keep_reason("eps", epsilon) is None
    with pytest.raises(ConversionError, match="keep_float32 'some' is not one of auto, none"):
        QuantizationPlan(float16=ALL, keep_float32="some")


def test_kept_float32_lists_the_rule_s_weights_in_order():
    class W:
        def __init__(self, name, array):
            self.name, self.array = name, array
    weights = [W("k", _gaussian((8, 8))), W("eps", np.float32(1e-10).reshape(())),
               W("ids", np.arange(1000, dtype="float32")), W("n", np.arange(3, dtype="int32"))]
    assert kept_float32(QuantizationPlan(float16=["k", "eps"], uint8=["ids"]), weights) == [
        ("eps", "scalar"), ("ids", "integer values")]
    assert kept_float32(QuantizationPlan(float16=["k"]), weights) == []  # unmatched: not "kept"
    assert kept_float32(QuantizationPlan(), weights) == []
