"""tfjs-export: convert Keras and TensorFlow models to the TensorFlow.js formats.

    from converter import convert
    convert("model.keras", "web_model/", quantize_uint8=None)   # None: every float32 weight

The Layers path (the default) imports neither TensorFlow nor Keras.
"""

import dataclasses
import os
import time

from converter.errors import ConversionError, UnsupportedLayerError  # noqa: F401  (public API)
from converter.version import __version__  # noqa: F401

OUTPUT_FORMATS = ("tfjs_layers_model",)


@dataclasses.dataclass
class ConversionSummary:
    """What a conversion wrote: for the CLI's closing line and for callers."""

    out_dir: str
    files: list
    total_bytes: int
    seconds: float
    notices: list


def convert(src, out_dir, *, input_format=None, output_format="tfjs_layers_model",
            quantize_float16=False, quantize_uint8=False, quantize_uint16=False,
            weight_shard_size_bytes=4 * 1024 * 1024, overwrite=False, progress=None):
    """Convert the model file `src` into a TF.js model directory `out_dir`.

    quantize_*: False (off), None (every float32 weight not matched by another option) or a list
    of weight-name globs. `progress`, if given, is called with short status strings.
    Raises ConversionError (one-line message) for any problem with the input or options.
    """
    from codec import CodecError
    from converter.quantization_plan import QuantizationPlan
    from converter.readers import read_model
    from converter.writers.layers_model import write_layers_model

    started = time.perf_counter()
    say = progress or (lambda message: None)
    if output_format not in OUTPUT_FORMATS:
        raise ConversionError(f"output format {output_format!r} is not supported yet "
                              f"(one of {', '.join(OUTPUT_FORMATS)})")
    if not (isinstance(weight_shard_size_bytes, int) and weight_shard_size_bytes > 0):
        raise ConversionError(f"weight shard size must be a positive number of bytes, got {weight_shard_size_bytes!r}")
    plan = QuantizationPlan(quantize_float16, quantize_uint8, quantize_uint16)
    say(f"reading {src}")
    spec = read_model(os.fspath(src), input_format)
    try:
        spec.narrow_dtypes()
    except ValueError as err:
        raise ConversionError(str(err), src) from None
    say(f"writing {len(spec.weights)} weights to {out_dir}")
    try:
        files = write_layers_model(spec, out_dir, plan, weight_shard_size_bytes, overwrite)
    except CodecError as err:  # e.g. NaN in a weight asked to be quantised to uint8
        raise ConversionError(str(err), src) from None
    total = sum(os.path.getsize(os.path.join(out_dir, f)) for f in files)
    return ConversionSummary(os.fspath(out_dir), files, total, time.perf_counter() - started, spec.notices)


def convert_keras_model(model, out_dir, **options):
    """Convert a live `keras.Model` (Keras 3, or tf_keras) into a TF.js model directory.

    The model is saved to a temporary file (`.keras` for Keras 3, `.h5` for tf_keras, whose
    `.keras` layout differs) and converted like a file; `options` are those of `convert`.
    """
    import tempfile

    legacy = any(cls.__module__.startswith("tf_keras") for cls in type(model).__mro__)
    with tempfile.TemporaryDirectory(prefix="tfjs-export-") as tmp:
        path = os.path.join(tmp, "model.h5" if legacy else "model.keras")
        model.save(path)
        return convert(path, out_dir, **options)
