"""`tfjs-export convert SRC OUT_DIR [options]`: convert a model file to a TF.js model directory."""

import argparse
import sys

from tfjs_export.codec import DEFAULT_SHARD_SIZE
from tfjs_export.converter.commands.common import PROG, add_graph_source_options, resolve_path
from tfjs_export.converter.commands.verify import add_verify_options, report
from tfjs_export.converter.custom_objects import add_custom_objects_option
from tfjs_export.converter.labels import add_labels_option

NAME = "convert"
HELP = "convert a model file to a TF.js model directory"
DESCRIPTION = ("Convert SRC (a Keras .keras or .h5 model file) to a TF.js Layers model in OUT_DIR "
               "(model.json + groupN-shardMofK.bin files); with --output_format tfjs_graph_model, "
               "SRC may also be a SavedModel directory (needs TensorFlow).")
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
    parser.add_argument("src", metavar="SRC", help="the model file (.keras or .h5), or a SavedModel directory "
                                                   "for --output_format tfjs_graph_model")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="the output directory (created atomically)")
    parser.add_argument("--input_format", choices=("keras", "keras_h5", "tf_saved_model"),
                        help="force the input format (default: detected from the file's content)")
    parser.add_argument("--output_format", default="tfjs_layers_model", choices=("tfjs_layers_model", "tfjs_graph_model"),
                        help="the TF.js format to write (default: %(default)s)")
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
    parser.add_argument("--weight_shard_size_bytes", type=int, default=DEFAULT_SHARD_SIZE, metavar="N",
                        help="size of each weight shard file in bytes (default: %(default)s)")
    graph = parser.add_argument_group("graph model options (--output_format tfjs_graph_model)")
    add_graph_source_options(graph)
    graph.add_argument("--skip_op_check", action="store_true",
                       help="write the model even if it uses ops TF.js cannot execute")
    parser.add_argument("--allow_custom_layers", action="store_true",
                        help="Layers format: keep custom layer classes (class name + config) for a JS class "
                             "registered with tf.serialization.registerClass, instead of refusing them")
    add_custom_objects_option(parser)
    parser.add_argument("--overwrite", action="store_true",
                        help="replace OUT_DIR if it holds a converted model (never the input, nor other files)")
    parser.add_argument("--metadata", action="store_true",
                        help="record the conversion facts (tensors, bytes, quantisation) in model.json's "
                             "userDefinedMetadata (off by default)")
    add_labels_option(parser)
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")
    parser.add_argument("--verify", action="store_true",
                        help="then run the result in TF.js under Node.js and compare with the source model (imports Keras)")
    add_verify_options(parser)


def normalise_argv(argv):
    """A bare --quantize_X means "all weights". It must never take the next argument as its value
    (the official CLI swallows the input path that way), so only `--quantize_X=GLOBS` has one."""
    return [f"{a}={_ALL_WEIGHTS}" if a in QUANTIZE_OPTIONS else a for a in argv]


def run(args):
    """Convert; print progress and notices on stderr and the closing report on stdout."""
    from tfjs_export.converter import convert_with
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
    # Steps and progress bars go to a terminal only (ProgressBar checks), never with --quiet.
    with tensorflow_logs_silenced(graph and not args.debug) as stderr:
        bar = None if args.quiet else ProgressBar(PROG, stream=stderr)
        try:
            options = ConvertOptions(
                input_format=args.input_format, output_format=args.output_format,
                weight_shard_size_bytes=args.weight_shard_size_bytes, overwrite=args.overwrite,
                metadata=args.metadata, allow_custom_layers=args.allow_custom_layers,
                signature_name=args.signature_name, saved_model_tags=args.saved_model_tags,
                skip_op_check=args.skip_op_check, unsafe_deserialization=args.unsafe_deserialization,
                input_shapes=args.input_shapes, labels=labels,
                quantization_granularity=args.quantization_granularity,
                progress=bar.step if bar else None, progress_bar=bar, **quantize)
            summary = convert_with(resolve_path(args.src), resolve_path(args.out_dir), options)
        finally:
            if bar:
                bar.close()
    for notice in summary.notices:
        if not args.quiet:
            print(f"{PROG}: note: {notice}", file=sys.stderr)
    if not args.quiet:
        print(summary.block())
    if args.verify:
        return report(resolve_path(args.src), summary.out_dir, args)
    return 0
