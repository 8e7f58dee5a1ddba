"""Which weights get which quantisation dtype."""

import numpy as np
import pytest

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.quantization_plan import ALL, QuantizationPlan, parse_globs

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
