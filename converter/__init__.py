"""tfjs-export: convert Keras and TensorFlow models to the TensorFlow.js formats.

    from tfjs_export.converter import convert
    convert("model.keras", "web_model/", quantize_uint8=None)   # None: every float32 weight

The Layers path (the default) imports neither TensorFlow nor Keras.
"""

import os
import time

from tfjs_export.converter.errors import ConversionError, UnsupportedLayerError  # noqa: F401  (public API)
from tfjs_export.converter.report import ConversionSummary  # noqa: F401
from tfjs_export.converter.version import __version__  # noqa: F401

OUTPUT_FORMATS = ("tfjs_layers_model", "tfjs_graph_model")


def convert(src, out_dir, *, input_format=None, output_format="tfjs_layers_model",
            quantize_float16=False, quantize_uint8=False, quantize_uint16=False,
            weight_shard_size_bytes=4 * 1024 * 1024, overwrite=False, metadata=False,
            progress=None, progress_bar=None, signature_name="serving_default",
            saved_model_tags=("serve",), skip_op_check=False, unsafe_deserialization=False,
            allow_custom_layers=False, input_shapes=None):
    """Convert the model file `src` into a TF.js model directory `out_dir`.

    quantize_*: False (off), None (every float32 weight not matched by another option) or a list
    of weight-name globs. metadata: also record the conversion facts in model.json's
    userDefinedMetadata (Layers format). `progress`, if given, is called with short status
    strings (the start of each step); `progress_bar` (a converter.progress.ProgressBar) follows
    the bytes of the steps that report them: reading weights, quantising and writing shards (the
    caller closes it).
    Graph format only (it loads the model with TensorFlow/Keras): signature_name and
    saved_model_tags pick the SavedModel function; skip_op_check writes ops TF.js lacks;
    unsafe_deserialization lets Keras load Lambda layers (it runs their Python bytecode);
    input_shapes ({name: dims} or "name:1x12x12x3,...") is the signature to trace a Keras model
    with (a subclassed model that recorded none).
    allow_custom_layers (Layers format): keep custom layer classes for a JS class of that name.
    Raises ConversionError (one-line message) for any problem with the input or options.
    """
    from tfjs_export.codec import CodecError
    from tfjs_export.converter.progress import write_step
    from tfjs_export.converter.quantization_plan import QuantizationPlan
    from tfjs_export.converter.readers import detect_format, read_model
    from tfjs_export.converter.report import weight_stats
    from tfjs_export.converter.writers.layers_model import write_layers_model

    started = time.perf_counter()
    say = progress or (lambda message: None)
    if output_format not in OUTPUT_FORMATS:
        raise ConversionError(f"output format {output_format!r} is not supported yet "
                              f"(one of {', '.join(OUTPUT_FORMATS)})")
    if not (isinstance(weight_shard_size_bytes, int) and weight_shard_size_bytes > 0):
        raise ConversionError(f"weight shard size must be a positive number of bytes, got {weight_shard_size_bytes!r}")
    plan = QuantizationPlan(quantize_float16, quantize_uint8, quantize_uint16)
    input_format = input_format or detect_format(os.fspath(src))
    _check_output_outside_input(src, out_dir)
    if output_format == "tfjs_graph_model":
        if metadata:
            raise ConversionError("--metadata is available for the Layers format only so far")
        from tfjs_export.converter.graph import GraphOptions
        if isinstance(saved_model_tags, str):
            saved_model_tags = tuple(t.strip() for t in saved_model_tags.split(",") if t.strip())
        from tfjs_export.converter.graph.input_shapes import parse_input_shapes
        options = GraphOptions(signature_name, tuple(saved_model_tags), skip_op_check, unsafe_deserialization,
                               parse_input_shapes(input_shapes))
        return _convert_graph(src, out_dir, input_format, plan, weight_shard_size_bytes, overwrite, say,
                              started, options, progress_bar.update if progress_bar else None)
    say(f"reading {src}")
    spec = read_model(os.fspath(src), input_format, allow_custom_layers=allow_custom_layers,
                      progress=progress_bar.update if progress_bar else None)
    try:
        spec.narrow_dtypes()
    except ValueError as err:
        raise ConversionError(str(err), src) from None
    say(write_step(spec.weights, plan, out_dir))
    arrays = {w.name: w.array for w in spec.weights}

    def describe(group):
        tensors, before, after, quantized = weight_stats([group], arrays)
        return {"tfjs_export": {"input_format": input_format, "tensors": tensors, "weight_bytes": after,
                                "weight_bytes_unquantized": before, "quantized_tensors": quantized}}

    try:
        files, group = write_layers_model(spec, out_dir, plan, weight_shard_size_bytes, overwrite,
                                          progress=progress_bar.update if progress_bar else None,
                                          user_metadata=describe if metadata else None)
    except CodecError as err:  # e.g. NaN in a weight asked to be quantised to uint8
        raise ConversionError(str(err), src) from None
    tensors, before, after, quantized = weight_stats([group], arrays)
    return ConversionSummary(
        src=os.fspath(src), input_format=input_format, output_format=output_format, out_dir=os.fspath(out_dir),
        files=files, total_bytes=sum(os.path.getsize(os.path.join(out_dir, f)) for f in files),
        seconds=time.perf_counter() - started, notices=spec.notices, tensors=tensors,
        weight_bytes_unquantized=before, weight_bytes_written=after, quantized=quantized)


def _check_output_outside_input(src, out_dir):
    """The output must not land inside a SavedModel directory (nor be the input itself)."""
    src, out = os.path.realpath(src), os.path.realpath(out_dir)
    if os.path.isdir(src) and (out == src or out.startswith(src + os.sep)):
        raise ConversionError("output directory is inside the input directory: choose another path", out_dir)


def _convert_graph(src, out_dir, input_format, plan, shard_size, overwrite, say, started, options,
                   write_progress=None):
    """The Graph path (converter/graph/): loads with TensorFlow, so imported only here."""
    import json

    from tfjs_export.codec import CodecError, read_weights
    from tfjs_export.converter.graph import convert_to_graph_model
    from tfjs_export.converter.readers import INPUT_FORMATS
    from tfjs_export.converter.report import weight_stats

    src = os.fspath(src)
    if input_format not in INPUT_FORMATS:
        raise ConversionError(f"unknown input format {input_format!r} (one of {', '.join(INPUT_FORMATS)})", src)
    try:
        files, notices = convert_to_graph_model(src, input_format, out_dir, plan, shard_size, overwrite, options, say,
                                                write_progress)
    except CodecError as err:  # e.g. NaN in a weight asked to be quantised to uint8
        raise ConversionError(str(err), src) from None
    except ConversionError:
        raise
    except Exception as err:  # a bug of ours or TensorFlow's on a graph nobody tried: one line
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise ConversionError(f"the Graph conversion failed unexpectedly ({type(err).__name__}"
                              f"{': ' + first[:200] if first else ''}); --debug shows the traceback", src) from err
    with open(os.path.join(out_dir, "model.json"), encoding="utf-8") as f:
        manifest = json.load(f)["weightsManifest"]
    strings = any(w["dtype"] == "string" for g in manifest for w in g["weights"])
    tensors, before, after, quantized = weight_stats(manifest, read_weights(manifest, out_dir) if strings else None)
    return ConversionSummary(
        src=src, input_format=input_format, output_format="tfjs_graph_model", out_dir=os.fspath(out_dir),
        files=files, total_bytes=sum(os.path.getsize(os.path.join(out_dir, f)) for f in files),
        seconds=time.perf_counter() - started, notices=notices, tensors=tensors,
        weight_bytes_unquantized=before, weight_bytes_written=after, quantized=quantized)


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
