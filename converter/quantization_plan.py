"""Which weights are quantised to which dtype, from the CLI's --quantize_* options.

Same meaning as the official converter: each option takes weight-name globs (fnmatch, matched
against TF.js names such as `dense/kernel`); an option given with no globs applies to every
weight no other option matched (at most one may be given that way). Only float32 weights are
quantised; TF.js dequantises them back to float32 at load time.

Never quantise what rounding destroys (`keep_float32="auto"`, the default): a matched weight
whose rounding is not exact stays float32 when
  1. float16 would turn one of its values into infinity (|x| >= 65520, float16's range);
  2. its values are all integers (shape, index, count constants of a frozen graph) and rounding
     changes one of them;
  3. it is tiny (at most TINY values: scalars such as an epsilon, a clip bound, a few biases),
     each value its own parameter, and keeping them saves at most 3 * TINY bytes;
  4. its rounding error is out of proportion: the RMS of (decoded - value) over the RMS of the
     values exceeds OUT_OF_PROPORTION[dtype] (float16: values below its normal range, 6.1e-5,
     dominate; uint8/uint16: a few values set the range and the rest fall on a few levels).
The rounding is the one TF.js decodes (the codec's, per tensor; per-channel weights are judged
on their own rounding by graph/per_channel.py). An exact rounding (a constant tensor in
uint8, values float16 holds) is always quantised: nothing is lost. `keep_float32="none"`
quantises every matched weight, as the official converter does (its output byte for byte).
"""

import fnmatch

from tfjs_export.converter.errors import ConversionError

QUANTIZATION_DTYPES = ("float16", "uint8", "uint16")
ALL = None  # an option given without globs
KEEP_FLOAT32 = ("auto", "none")  # the rule above, or quantise every matched weight
# Rule 3: at most 48 bytes saved by quantising such a tensor, never worth an error.
TINY = 16
# Rule 4, the relative RMS rounding error beyond which a tensor stays float32. float16 rounds a
# normal value within 2^-11 of itself, so only values below its range (flushed to 0, or subnormal
# with few bits) can exceed 2^-10. Affine: 8 steps of the format over the RMS; a well spread
# tensor stays under 1/3 of it (uniform values: 0.9 steps, Gaussian ones: about 2.3).
OUT_OF_PROPORTION = {"float16": 2.0 ** -10, "uint8": 8 / 255, "uint16": 8 / 65535}
FLOAT16_MAX = 65520.0  # float16 rounds |x| >= 65520 to infinity


class QuantizationPlan:
    """Maps each weight name to None (kept as is) or a quantisation dtype."""

    def __init__(self, float16=False, uint8=False, uint16=False, keep_float32="auto"):
        # Each argument: False (option absent), ALL (no globs) or a list of globs.
        if keep_float32 not in KEEP_FLOAT32:
            raise ConversionError(f"keep_float32 {keep_float32!r} is not one of auto, none")
        self.keep_float32 = keep_float32
        self._reasons = {}  # name -> (array, reason or None): the rule's verdict, computed once
        # Set by the Graph path's passes (graph/per_channel.py): weights the graph rounds after
        # decoding (integers, exact that way) and {name: reason} of weights it needs float32.
        self.rounded_in_graph = set()
        self.kept_in_graph = {}
        self.globs = {d: g for d, g in zip(QUANTIZATION_DTYPES, (float16, uint8, uint16)) if g is not False}
        fall_through = [d for d, g in self.globs.items() if g is ALL]
        if len(fall_through) > 1:
            raise ConversionError("only one --quantize_* option may be given without weight "
                                  f"patterns (got {', '.join('--quantize_' + d for d in fall_through)})")
        self.fall_through = fall_through[0] if fall_through else None

    def __bool__(self):
        return bool(self.globs)

    def dtype_for(self, name, array):
        """The quantisation dtype for weight `name`, or None to store it unchanged (not matched,
        not float32, or kept float32 by the rule: `keep_reason`)."""
        dtype = self.requested_dtype(name, array)
        return None if dtype is None or self.keep_reason(name, array) else dtype

    def keep_reason(self, name, array):
        """Why the rule keeps the matched weight `name` float32 (a short phrase), or None."""
        dtype = self.requested_dtype(name, array)
        if dtype is None or self.keep_float32 == "none":
            return None
        if name in self.kept_in_graph:
            return self.kept_in_graph[name]
        cached = self._reasons.get(name)
        if cached is None or cached[0] is not array:
            decoded = None
            if name in self.rounded_in_graph:
                import numpy as np

                from tfjs_export import codec
                decoded = np.round(codec.dequantize(*codec.quantize(array, dtype)))
            cached = self._reasons[name] = (array, keep_float32_reason(array, dtype, decoded))
        return cached[1]

    def requested_dtype(self, name, array):
        """The dtype the --quantize_* options ask for weight `name` (None: unmatched or not
        float32), before the rule."""
        if array.dtype != "float32":
            return None
        matches = [d for d, globs in self.globs.items()
                   if globs is not ALL and any(fnmatch.fnmatchcase(name, g) for g in globs)]
        if len(matches) > 1:
            raise ConversionError(f"weight '{name}' matches the patterns of several --quantize_* "
                                  f"options ({', '.join(matches)})")
        return matches[0] if matches else self.fall_through


def keep_float32_reason(array, dtype, decoded=None):
    """The rule of the module docstring for a float32 `array` about to be stored as `dtype`: a
    short reason to keep it float32, or None. `decoded`: the values as TF.js decodes them (default:
    the codec's per-tensor rounding)."""
    import numpy as np  # here: the CLI's --help imports this module and must not load numpy

    from tfjs_export import codec

    values = np.asarray(array, np.float32)
    if values.size == 0 or not np.all(np.isfinite(values)):
        return None  # nothing to lose / the codec's own rule (float16 keeps them, affine refuses)
    if decoded is None:
        decoded = codec.dequantize(*codec.quantize(values, dtype))
    if np.array_equal(decoded, values):
        return None
    if dtype == "float16" and np.max(np.abs(values)) >= FLOAT16_MAX:
        return "out of float16's range"
    if np.all(values == np.round(values)):
        return "integer values"
    if values.size <= TINY:
        return "scalar" if values.size == 1 else f"tiny ({values.size} values)"
    v = values.astype(np.float64)
    error = np.sqrt(np.mean((decoded.astype(np.float64) - v) ** 2) / max(np.mean(v ** 2), np.finfo(np.float64).tiny))
    if error > OUT_OF_PROPORTION[dtype]:
        return f"{dtype} rounding error {error:.1e} of its RMS"
    return None


def kept_float32(plan, weights):
    """[(name, reason)] of the `weights` (objects with .name and .array) the plan's rule keeps
    float32, in order."""
    if not plan:
        return []
    kept = [(w.name, plan.keep_reason(w.name, w.array)) for w in weights]
    return [(name, reason) for name, reason in kept if reason]


def parse_globs(value):
    """`"a/*,b/kernel"` -> ["a/*", "b/kernel"]; None (option without a value) -> ALL."""
    if value is None:
        return ALL
    globs = [g.strip() for g in value.split(",") if g.strip()]
    if not globs:
        raise ConversionError("empty weight pattern list in a --quantize_* option")
    return globs
