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
from tfjs_export.converter.options import OUTPUT_FORMATS, ConvertOptions  # noqa: F401  (public API)


def convert(src, out_dir, **options):
    """Convert the model file `src` into a TF.js model directory `out_dir`; return a
    ConversionSummary. `options` are the fields of converter.options.ConvertOptions:

    input_format (None: detected), output_format ("tfjs_layers_model" or "tfjs_graph_model"),
    quantize_float16 / quantize_uint8 / quantize_uint16: False (off), None (every float32 weight
    not matched by another option) or a list of weight-name globs; quantization_granularity
    ("per_tensor", the default, or "per_channel": Graph format, uint8/uint16 weights get one range
    per output channel, dequantised in the graph); weight_shard_size_bytes
    (default 4 MiB); overwrite (replace an existing converted model in out_dir); metadata: also
    record the conversion facts in model.json's userDefinedMetadata (Layers format);
    allow_custom_layers (Layers format): keep custom layer classes for a JS class of that name.
    labels: class names (a classifier's), kept in userDefinedMetadata.labels for the bundle's page.
    Graph format only (it loads the model with TensorFlow/Keras): signature_name and
    saved_model_tags pick the SavedModel function; skip_op_check writes ops TF.js lacks;
    unsafe_deserialization lets Keras load Lambda layers (it runs their Python bytecode);
    input_shapes ({name: dims} or "name:1x12x12x3,...") is the signature to trace a Keras model
    with (a subclassed model that recorded none).
    `progress`, if given, is called with short status strings (the start of each step);
    `progress_bar` (a converter.progress.ProgressBar) follows the bytes of the steps that report
    them: reading weights, quantising and writing shards (the caller closes it).
    Raises ConversionError (one-line message) for any problem with the input or options.
    """
    try:
        opts = ConvertOptions(**options)
    except TypeError as err:  # an unknown keyword: name convert(), which the caller called
        raise TypeError(str(err).replace("ConvertOptions.__init__()", "convert()")) from None
    return convert_with(src, out_dir, opts)


def convert_with(src, out_dir, opts):
    """`convert` with a ConvertOptions: read (either format) -> ModelSpec -> write_model_dir."""
    from tfjs_export.codec import CodecError
    from tfjs_export.converter.model_dir import write_model_dir
    from tfjs_export.converter.progress import write_step
    from tfjs_export.converter.quantization_plan import QuantizationPlan
    from tfjs_export.converter.readers import detect_format
    from tfjs_export.converter.report import weight_stats
    from tfjs_export.converter.writers.output_guard import check_output

    started = time.perf_counter()
    src, out_dir = os.fspath(src), os.fspath(out_dir)
    plan = QuantizationPlan(opts.quantize_float16, opts.quantize_uint8, opts.quantize_uint16)
    if opts.graph and opts.metadata:
        raise ConversionError("--metadata is available for the Layers format only so far")
    input_format = opts.input_format or detect_format(src)
    check_output(src, out_dir, opts.overwrite)
    if opts.graph:
        spec, plan = _read_graph(src, input_format, plan, opts)
    else:
        from tfjs_export.converter.readers import read_model
        opts.say(f"reading {src}")
        spec = read_model(src, input_format, allow_custom_layers=opts.allow_custom_layers,
                          progress=opts.bytes_progress)
    try:
        spec.narrow_dtypes()
    except ValueError as err:  # int64 values outside the int32 range
        raise ConversionError(str(err), src) from None
    opts.say(write_step(spec.weights, plan, out_dir))
    arrays = {w.name: w.array for w in spec.weights}

    def describe(group):
        """model.json's userDefinedMetadata: the conversion facts (--metadata), the labels."""
        metadata = {}
        if opts.metadata:
            tensors, before, after, quantized = weight_stats([group], arrays)
            metadata["tfjs_export"] = {"input_format": input_format, "tensors": tensors, "weight_bytes": after,
                                       "weight_bytes_unquantized": before, "quantized_tensors": quantized}
        if opts.labels:
            metadata["labels"] = list(opts.labels)
        return metadata

    try:
        files, group = write_model_dir(spec, out_dir, plan, opts.weight_shard_size_bytes, opts.overwrite,
                                       progress=opts.bytes_progress,
                                       user_metadata=describe if opts.metadata or opts.labels else None)
    except CodecError as err:  # e.g. NaN in a weight asked to be quantised to uint8
        raise ConversionError(str(err), src) from None
    tensors, before, after, quantized = weight_stats([group], arrays)
    return ConversionSummary(
        src=src, input_format=input_format, output_format=opts.output_format, out_dir=out_dir,
        files=files, total_bytes=sum(os.path.getsize(os.path.join(out_dir, f)) for f in files),
        seconds=time.perf_counter() - started, notices=spec.notices, tensors=tensors,
        weight_bytes_unquantized=before, weight_bytes_written=after, quantized=quantized)


def _read_graph(src, input_format, plan, opts):
    """The Graph path (converter/graph/): loads with TensorFlow, so imported only here. Returns
    (ModelSpec, the plan with the tables' weights kept unquantised)."""
    from tfjs_export.converter.graph import read_graph_model
    from tfjs_export.converter.readers import INPUT_FORMATS

    if input_format not in INPUT_FORMATS:
        raise ConversionError(f"unknown input format {input_format!r} (one of {', '.join(INPUT_FORMATS)})", src)
    try:
        return read_graph_model(src, input_format, plan, opts)
    except ConversionError:
        raise
    except Exception as err:  # a bug of ours or TensorFlow's on a graph nobody tried: one line
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        raise ConversionError(f"the Graph conversion failed unexpectedly ({type(err).__name__}"
                              f"{': ' + first[:200] if first else ''}); --debug shows the traceback", src) from err


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
