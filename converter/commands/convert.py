"""`tfjs-export convert SRC OUT_DIR [options]`: convert a model file to a TF.js model directory."""

import argparse
import sys

from tfjs_export.codec import DEFAULT_SHARD_SIZE
from tfjs_export.converter.commands.common import PROG, add_graph_source_options, resolve_path
from tfjs_export.converter.commands.verify import add_verify_options, report
from tfjs_export.converter.custom_objects import add_custom_objects_option
from tfjs_export.converter.labels import add_labels_option
from tfjs_export.converter.options import OUTPUT_FORMATS, QUANTIZATION_RANGES
from tfjs_export.converter.quantization_plan import KEEP_FLOAT32
from tfjs_export.converter.readers import INPUT_FORMATS

NAME = "convert"
HELP = "convert a model file to a TF.js model directory"
DESCRIPTION = ("Convert SRC (a Keras .keras or .h5 model file, a TF.js model directory or its model.json; "
               "with --output_format tfjs_graph_model also a SavedModel, Hub module or frozen .pb) to a TF.js "
               "Layers model in OUT_DIR (model.json + groupN-shardMofK.bin files), a Graph model, or back to "
               "Keras (--output_format keras | keras_keras | keras_saved_model: OUT is then the file or "
               "SavedModel directory to write).")
QUANTIZE_OPTIONS = ("--quantize_float16", "--quantize_uint8", "--quantize_uint16")
_ALL_WEIGHTS = "\0all"  # stands for a bare --quantize_X after normalise_argv


class _HelpFormatter(argparse.HelpFormatter):
    """Lists a quantise option as `--quantize_X[=GLOBS]`: its value must be attached with `=`."""

    def _format_action_invocation(self, action):
        if action.option_strings and action.option_strings[0] in QUANTIZE_OPTIONS:
            return f"{action.option_strings[0]}[={action.metavar}]"
        return super()._format_action_invocation(action)


def add_arguments(parser):
    parser.formatter_class = _HelpFormatter
    parser.usage = "%(prog)s SRC OUT_DIR [options]"  # argparse's would show `--quantize_X GLOBS`
    parser.add_argument("src", metavar="SRC", help="the model: a .keras or .h5 file, a TF.js model directory or "
                                                   "its model.json; for --output_format tfjs_graph_model also a "
                                                   "SavedModel or Hub module directory or a frozen GraphDef (.pb)")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="the output directory (created atomically); for "
                                                           "keras / keras_keras the .h5 / .keras file")
    parser.add_argument("--input_format", choices=INPUT_FORMATS,
                        help="force the input format (default: detected from the content; 'keras' is any Keras "
                             "file, as in the official converter)")
    parser.add_argument("--output_format", default="tfjs_layers_model", choices=OUTPUT_FORMATS,
                        help="the format to write (default: %(default)s; keras = a Keras .h5, keras_keras = a "
                             "Keras 3 .keras, keras_saved_model = a tf_keras SavedModel)")
    for option in QUANTIZE_OPTIONS:
        dtype = option.rsplit("_", 1)[1]
        parser.add_argument(option, metavar="GLOBS", default=False,
                            help=f"quantise float32 weights to {dtype}: all of them when given alone, "
                                 f"or only those whose names match {option}=GLOB[,GLOB...] "
                                 "(e.g. 'dense*/kernel')")
    parser.add_argument("--quantization_granularity", default="per_tensor", choices=("per_tensor", "per_channel"),
                        help="uint8/uint16: one range per weight (default), or one per output channel "
                             "(Graph format: dequantised in the graph, more accurate for folded batch norms "
                             "and depthwise convolutions)")
    parser.add_argument("--quantization_range", default="minmax", choices=QUANTIZATION_RANGES,
                        help="with per_channel: each channel's range from its min/max (default), or the "
                             "clipping of it with the least squared rounding error (mse)")
    parser.add_argument("--keep_float32", default="auto", choices=KEEP_FLOAT32,
                        help="auto (default): quantised weights that rounding would destroy stay float32 "
                             "(values float16 cannot hold, integer constants, tiny tensors, out-of-proportion "
                             "error; the report lists them); none: quantise every matched weight, byte for byte "
                             "as the official converter")
    parser.add_argument("--quantization_bytes", type=int, choices=(1, 2), default=None, metavar="{1,2}",
                        help="(the official converter's deprecated spelling) 1 = --quantize_uint8, "
                             "2 = --quantize_uint16, for every weight")
    parser.add_argument("--weight_shard_size_bytes", type=int, default=DEFAULT_SHARD_SIZE, metavar="N",
                        help="size of each weight shard file in bytes (default: %(default)s)")
    parser.add_argument("--split_weights_by_layer", action="store_true",
                        help="Layers format: one weight group (its own shard files) per layer, so an app can "
                             "fetch layers lazily")
    graph = parser.add_argument_group("graph model options (--output_format tfjs_graph_model)")
    add_graph_source_options(graph)
    graph.add_argument("--skip_op_check", action="store_true",
                       help="write the model even if it uses ops TF.js cannot execute")
    graph.add_argument("--output_node_names", default=None, metavar="NAMES",
                       help="a frozen GraphDef's outputs: comma-separated node names (NAME or NAME:INDEX)")
    graph.add_argument("--use_structured_outputs_names", type=_flag, default=False, metavar="BOOL",
                       help="True: model.predict() in TF.js returns {output name: tensor} instead of a list "
                            "(userDefinedMetadata.structuredOutputKeys, as the official converter writes it)")
    graph.add_argument("--strip_debug_ops", type=_flag, default=True, metavar="BOOL",
                       help="accepted for the official converter's scripts: Assert, CheckNumerics and Print "
                            "ops are always removed (TF.js cannot run them)")
    graph.add_argument("--control_flow_v2", type=_flag, default=False, metavar="BOOL",
                       help="accepted for the official converter's scripts: only False (the default) is "
                            "supported; loops and conditionals are written as Switch/Merge/Enter/Exit")
    parser.add_argument("--allow_custom_layers", action="store_true",
                        help="Layers format: keep custom layer classes (class name + config) for a JS class "
                             "registered with tf.serialization.registerClass, instead of refusing them")
    add_custom_objects_option(parser)
    parser.add_argument("--overwrite", action="store_true",
                        help="replace OUT_DIR if it holds a converted model (never the input, nor other files)")
    parser.add_argument("--metadata", metavar="KEY:FILE[,...]", default=False,
                        help="alone: record the conversion facts (tensors, bytes, quantisation) in model.json's "
                             "userDefinedMetadata (off by default); --metadata=KEY:FILE.json[,...] (the official "
                             "form) adds each JSON file's content under KEY")
    add_labels_option(parser)
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--json", action="store_true",
                        help="print the closing report as one JSON object on stdout (for scripts)")
    parser.add_argument("--verify", action="store_true",
                        help="then run the result in TF.js under Node.js and compare with the source model (imports Keras)")
    add_verify_options(parser)


def normalise_argv(argv):
    """A bare --quantize_X means "all weights", a bare --metadata "the conversion facts". They must
    never take the next argument as their value (the official CLI swallows the input path that
    way), so only `--quantize_X=GLOBS` / `--metadata=KEY:FILE` have one."""
    return [f"{a}={_ALL_WEIGHTS}" if a in QUANTIZE_OPTIONS or a == "--metadata" else a for a in argv]


def _flag(text):
    """The official converter's boolean option values (True/False, 1/0, yes/no)."""
    import argparse
    value = text.strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"expected True or False, got {text!r}")


def run(args):
    """Convert; print progress and notices on stderr and the closing report on stdout."""
    from tfjs_export.converter import ConversionError, convert_with
    from tfjs_export.converter.options import ConvertOptions
    from tfjs_export.converter.progress import ProgressBar
    from tfjs_export.converter.quantization_plan import parse_globs
    from tfjs_export.converter.tf_logs import tensorflow_logs_silenced

    graph = args.output_format == "tfjs_graph_model"
    if graph and "jax" not in sys.modules:
        # `import tensorflow` pulls in Keras, which imports JAX when it is installed (the official
        # converter's venv has it): ~100 MB and ~3 s the TF-backend graph path never uses. This
        # process is ours, so tell Python JAX is absent (Keras treats it as optional).
        sys.modules["jax"] = None
    if args.custom_objects:  # only Keras needs them: the Graph path and --verify load the model with it
        if args.output_format == "tfjs_graph_model" or args.verify:
            from tfjs_export.converter.custom_objects import run_custom_object_files
            run_custom_object_files([resolve_path(p) for p in args.custom_objects])
        elif not args.quiet:
            print(f"{PROG}: note: --custom_objects not run: the Layers path reads the file without Keras "
                  "(custom layers: --allow_custom_layers)", file=sys.stderr)
    labels = None
    if args.labels:  # read before converting: a bad file leaves nothing behind
        from tfjs_export.converter.labels import read_labels
        labels = read_labels(resolve_path(args.labels))
    quantize = {}
    for option in QUANTIZE_OPTIONS:
        value = getattr(args, option[2:])
        quantize[option[2:]] = value if value is False else parse_globs(None if value == _ALL_WEIGHTS else value)
    if args.quantization_bytes:
        quantize["quantize_uint8" if args.quantization_bytes == 1 else "quantize_uint16"] = None
    if args.control_flow_v2:
        raise ConversionError("--control_flow_v2 True is not supported: loops and conditionals are written "
                              "as Switch/Merge/Enter/Exit (control flow v1), which every TF.js backend runs")
    extra_metadata = {}
    if args.metadata not in (False, _ALL_WEIGHTS):
        from tfjs_export.converter.user_metadata import read_metadata_files
        extra_metadata = read_metadata_files(args.metadata, resolve_path)
    # Steps and progress bars go to a terminal only (ProgressBar checks), never with --quiet.
    with tensorflow_logs_silenced(graph and not args.debug) as stderr:
        bar = None if args.quiet else ProgressBar(PROG, stream=stderr)
        try:
            options = ConvertOptions(
                input_format=args.input_format, output_format=args.output_format,
                weight_shard_size_bytes=args.weight_shard_size_bytes, overwrite=args.overwrite,
                metadata=args.metadata == _ALL_WEIGHTS, extra_metadata=extra_metadata,
                split_weights_by_layer=args.split_weights_by_layer, output_node_names=args.output_node_names,
                use_structured_outputs_names=args.use_structured_outputs_names,
                allow_custom_layers=args.allow_custom_layers,
                signature_name=args.signature_name, saved_model_tags=args.saved_model_tags,
                skip_op_check=args.skip_op_check, unsafe_deserialization=args.unsafe_deserialization,
                input_shapes=args.input_shapes, labels=labels,
                quantization_granularity=args.quantization_granularity, keep_float32=args.keep_float32,
                quantization_range=args.quantization_range,
                progress=bar.step if bar else None, progress_bar=bar, **quantize)
            summary = convert_with(resolve_path(args.src), resolve_path(args.out_dir), options)
        finally:
            if bar:
                bar.close()
    if not args.strip_debug_ops and not args.quiet:
        print(f"{PROG}: note: --strip_debug_ops False: debug ops were removed anyway (TF.js cannot run them)",
              file=sys.stderr)
    for notice in summary.notices:
        if not args.quiet:
            print(f"{PROG}: note: {notice}", file=sys.stderr)
    if args.json:
        import json
        print(json.dumps(summary.as_dict(), sort_keys=True))
    elif not args.quiet:
        print(summary.block())
    if args.verify:
        return report(resolve_path(args.src), summary.out_dir, args)
    return 0
