"""Which weights are quantised to which dtype, from the CLI's --quantize_* options.

Same meaning as the official converter: each option takes weight-name globs (fnmatch, matched
against TF.js names such as `dense/kernel`); an option given with no globs applies to every
weight no other option matched (at most one may be given that way). Only float32 weights are
quantised; TF.js dequantises them back to float32 at load time.
"""

import fnmatch

from tfjs_export.converter.errors import ConversionError

QUANTIZATION_DTYPES = ("float16", "uint8", "uint16")
ALL = None  # an option given without globs


class QuantizationPlan:
    """Maps each weight name to None (kept as is) or a quantisation dtype."""

    def __init__(self, float16=False, uint8=False, uint16=False):
        # Each argument: False (option absent), ALL (no globs) or a list of globs.
        self.globs = {d: g for d, g in zip(QUANTIZATION_DTYPES, (float16, uint8, uint16)) if g is not False}
        fall_through = [d for d, g in self.globs.items() if g is ALL]
        if len(fall_through) > 1:
            raise ConversionError("only one --quantize_* option may be given without weight "
                                  f"patterns (got {', '.join('--quantize_' + d for d in fall_through)})")
        self.fall_through = fall_through[0] if fall_through else None

    def __bool__(self):
        return bool(self.globs)

    def dtype_for(self, name, array):
        """The quantisation dtype for weight `name`, or None to store it unchanged."""
        if array.dtype != "float32":
            return None
        matches = [d for d, globs in self.globs.items()
                   if globs is not ALL and any(fnmatch.fnmatchcase(name, g) for g in globs)]
        if len(matches) > 1:
            raise ConversionError(f"weight '{name}' matches the patterns of several --quantize_* "
                                  f"options ({', '.join(matches)})")
        return matches[0] if matches else self.fall_through


def parse_globs(value):
    """`"a/*,b/kernel"` -> ["a/*", "b/kernel"]; None (option without a value) -> ALL."""
    if value is None:
        return ALL
    globs = [g.strip() for g in value.split(",") if g.strip()]
    if not globs:
        raise ConversionError("empty weight pattern list in a --quantize_* option")
    return globs
