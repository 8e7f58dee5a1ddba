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
    """`convert` with a ConvertOptions: read (any input format) -> ModelSpec -> write (a TF.js model
    directory through write_model_dir, or a Keras model through writers/)."""
    from tfjs_export.codec import CodecError
    from tfjs_export.converter.model_dir import write_model_dir
    from tfjs_export.converter.progress import write_step
    from tfjs_export.converter.quantization_plan import QuantizationPlan
    from tfjs_export.converter.readers import TFJS_FORMATS, canonical_format, detect_format
    from tfjs_export.converter.report import weight_stats
    from tfjs_export.converter.writers.output_guard import check_output

    started = time.perf_counter()
    src, out_dir = os.fspath(src), os.fspath(out_dir)
    plan = QuantizationPlan(opts.quantize_float16, opts.quantize_uint8, opts.quantize_uint16)
    if opts.graph and opts.metadata:
        raise ConversionError("--metadata is available for the Layers format only so far")
    input_format = opts.input_format or detect_format(src)
    reader_format = canonical_format(input_format, src)
    if opts.keras_output:
        return _convert_to_keras(src, out_dir, reader_format, opts, started)
    check_output(_input_path(src, reader_format), out_dir, opts.overwrite)
    if reader_format == "tfjs_graph_model" or (opts.graph and reader_format != "tfjs_layers_model"):
        spec, plan = _read_graph(src, reader_format, plan, opts)
    elif opts.graph:  # a TF.js Layers model -> Graph: through Keras, as a Keras model would go
        spec, plan = _read_graph_through_keras(src, plan, opts)
    else:
        from tfjs_export.converter.readers import read_model
        opts.say(f"reading {src}")
        spec = read_model(src, reader_format, allow_custom_layers=opts.allow_custom_layers,
                          progress=opts.bytes_progress)
    if spec.format != ("graph-model" if opts.graph else "layers-model"):  # a TF.js Graph model -> Layers
        raise _graph_is_not_layers(reader_format, opts.output_format, src)
    try:
        spec.narrow_dtypes()
    except ValueError as err:  # int64 values outside the int32 range
        raise ConversionError(str(err), src) from None
    opts.say(write_step(spec.weights, plan, out_dir))
    arrays = {w.name: w.array for w in spec.weights}
    base_metadata = _tfjs_user_metadata(src) if reader_format in TFJS_FORMATS else None
    if opts.use_structured_outputs_names:
        if not opts.graph:
            raise ConversionError("--use_structured_outputs_names applies to the Graph format (Layers models "
                                  "name their outputs already)", src)
        # TF.js's GraphModel.predict returns {key: tensor}, keys matched to its outputs in order:
        # model.json's signature outputs, written with sorted keys.
        base_metadata = dict(base_metadata or {}, structuredOutputKeys=sorted(spec.extra["signature"]["outputs"]))

    def describe(manifest):
        """model.json's userDefinedMetadata: the input's own (a TF.js model), the user's files
        (--metadata=KEY:FILE), the conversion facts (--metadata), the labels."""
        metadata = dict(base_metadata or {}, **opts.extra_metadata)
        if opts.metadata:
            tensors, before, after, quantized = weight_stats(manifest, arrays)
            metadata["tfjs_export"] = {"input_format": input_format, "tensors": tensors, "weight_bytes": after,
                                       "weight_bytes_unquantized": before, "quantized_tensors": quantized}
        if opts.labels:
            metadata["labels"] = list(opts.labels)
        return metadata

    groups = None
    if opts.split_weights_by_layer:
        if spec.format != "layers-model":
            raise ConversionError("--split_weights_by_layer applies to the Layers format (a graph has no layers)", src)
        from tfjs_export.converter.layers_config.weight_owners import group_weights_by_layer
        groups = [weights for _, weights in group_weights_by_layer(spec.topology, spec.weights, src) if weights]
    wants_metadata = opts.metadata or opts.labels or base_metadata or opts.extra_metadata
    try:
        files, manifest = write_model_dir(spec, out_dir, plan, opts.weight_shard_size_bytes, opts.overwrite,
                                          progress=opts.bytes_progress, weight_groups=groups,
                                          user_metadata=describe if wants_metadata else None)
    except CodecError as err:  # e.g. NaN in a weight asked to be quantised to uint8
        raise ConversionError(str(err), src) from None
    tensors, before, after, quantized = weight_stats(manifest, arrays)
    from tfjs_export.converter.writers.layers_js import classes_in
    return ConversionSummary(
        src=src, input_format=input_format, output_format=opts.output_format, out_dir=out_dir,
        files=files, total_bytes=sum(os.path.getsize(os.path.join(out_dir, f)) for f in files),
        seconds=time.perf_counter() - started, notices=spec.notices, tensors=tensors,
        weight_bytes_unquantized=before, weight_bytes_written=after, quantized=quantized,
        js_classes=classes_in(spec.topology) if spec.format == "layers-model" else [])


def _input_path(src, reader_format):
    """What the output guard protects: a TF.js model's directory when SRC names its model.json."""
    from tfjs_export.converter.readers import TFJS_FORMATS
    if reader_format in TFJS_FORMATS:
        from tfjs_export.converter.readers.tfjs_model import model_dir_of
        return model_dir_of(src)
    return src


def _tfjs_user_metadata(src):
    from tfjs_export.converter.readers.tfjs_model import user_metadata
    return user_metadata(src)


def _convert_to_keras(src, out, reader_format, opts, started):
    """The Keras outputs: a Layers ModelSpec (from a Keras file or a TF.js Layers model) written as
    an .h5 file, a .keras file or a tf_keras SavedModel directory (converter/writers/)."""
    from tfjs_export.converter.readers import read_model
    from tfjs_export.converter.report import weight_stats
    from tfjs_export.converter.writers.output_guard import check_output, check_output_file

    for name in ("quantize_float16", "quantize_uint8", "quantize_uint16"):
        if getattr(opts, name) is not False:
            raise ConversionError(f"--{name} applies to TF.js outputs: a Keras model stores float32 weights", src)
    if opts.metadata or opts.labels:
        raise ConversionError("--metadata and --labels apply to TF.js outputs (model.json)", src)
    if reader_format not in ("keras", "keras_h5", "keras_saved_model", "tfjs_layers_model"):
        raise _graph_is_not_layers(reader_format, opts.output_format, src)
    if opts.output_format == "keras_saved_model":
        check_output(_input_path(src, reader_format), out, opts.overwrite)
    else:
        check_output_file(_input_path(src, reader_format), out, opts.overwrite)
    opts.say(f"reading {src}")
    spec = read_model(src, reader_format, allow_custom_layers=opts.allow_custom_layers, progress=opts.bytes_progress)
    spec.narrow_dtypes()
    opts.say(f"writing {out}")
    from tfjs_export.converter.writers import keras_h5, keras_model
    writer = {"keras": keras_h5.write_keras_h5, "keras_keras": keras_model.write_keras_zip,
              "keras_saved_model": keras_model.write_keras_saved_model}[opts.output_format]
    try:
        files = writer(spec, out)
    except ConversionError as err:
        raise ConversionError(err.message, err.path or src) from None
    if opts.output_format == "keras":
        clashes = keras_model.keras2_only_activations(spec.topology)
        if clashes:
            spec.notices.append(f"{clashes[0]}{' and more' if len(clashes) > 1 else ''}: this .h5 computes "
                                "as TF.js does when loaded with tf_keras; Keras 3 computes hard_sigmoid as "
                                "x/6 + 0.5, not 0.2x + 0.5")
    sizes = [os.path.getsize(os.path.join(out, f)) for f in files] if os.path.isdir(out) else [os.path.getsize(out)]
    nbytes = sum(int(w.array.nbytes) for w in spec.weights)
    return ConversionSummary(
        src=src, input_format=reader_format, output_format=opts.output_format, out_dir=out, files=files,
        total_bytes=sum(sizes), seconds=time.perf_counter() - started, notices=spec.notices,
        tensors=len(spec.weights), weight_bytes_unquantized=nbytes, weight_bytes_written=nbytes)


def _graph_is_not_layers(reader_format, output_format, src):
    return ConversionError(f"a {reader_format} input holds a TensorFlow graph, not Keras layers: it cannot become "
                           f"a {output_format} (convert the original Keras model instead)", src)


def _read_graph_through_keras(src, plan, opts):
    """A TF.js Layers model -> Graph: its .h5 (writers/keras_h5.py) through the Keras Graph path."""
    import tempfile

    from tfjs_export.converter.readers.tfjs_model import read_tfjs_model
    from tfjs_export.converter.writers.keras_h5 import write_keras_h5

    opts.say(f"reading {src}")
    spec = read_tfjs_model(src, "layers-model")
    with tempfile.TemporaryDirectory(prefix="tfjs-export-") as tmp:
        path = os.path.join(tmp, "model.h5")
        write_keras_h5(spec, path)
        try:
            graph_spec, plan = _read_graph(path, "keras_h5", plan, opts)
        except ConversionError as err:  # name the user's model, not our temporary file
            raise ConversionError(err.message.replace(path, src), src) from None
    graph_spec.notices[:0] = spec.notices
    return graph_spec, plan


def _read_graph(src, input_format, plan, opts):
    """The Graph path (converter/graph/): loads with TensorFlow, so imported only here. Returns
    (ModelSpec, the plan with the tables' weights kept unquantised)."""
    from tfjs_export.converter.graph import read_graph_model
    from tfjs_export.converter.readers import INPUT_FORMATS, TF_HUB_MODULE_FILE, graph_loader_format

    if input_format not in INPUT_FORMATS:
        raise ConversionError(f"unknown input format {input_format!r} (one of {', '.join(INPUT_FORMATS)})", src)
    if input_format == "tf_hub" and os.path.isfile(os.path.join(src, TF_HUB_MODULE_FILE)) and \
            (opts.saved_model_tags, opts.signature_name) == (("serve",), "serving_default"):
        # A TF1 Hub-format module: its inference graph has no tags and its signature is "default"
        # (what hub.load picks), unless the user named others.
        import dataclasses
        opts = dataclasses.replace(opts, saved_model_tags=(), signature_name="default")
    input_format = graph_loader_format(input_format)
    if input_format == "tfjs_graph_model":  # TF.js -> TF.js: re-quantise, re-shard
        from tfjs_export.converter.readers.tfjs_model import read_tfjs_model
        opts.say(f"reading {src}")
        return read_tfjs_model(src, "graph-model"), plan
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
