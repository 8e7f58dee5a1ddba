"""`tfjs-export convert SRC OUT_DIR [options]`: convert a model file to a TF.js model directory."""

import sys

from converter.commands.common import PROG, resolve_path

NAME = "convert"
HELP = "convert a model file to a TF.js model directory"
DESCRIPTION = ("Convert SRC (a Keras .keras or .h5 model file) to a TF.js Layers model in OUT_DIR "
               "(model.json + groupN-shardMofK.bin files).")
QUANTIZE_OPTIONS = ("--quantize_float16", "--quantize_uint8", "--quantize_uint16")
_ALL_WEIGHTS = "\0all"  # stands for a bare --quantize_X after normalise_argv


def add_arguments(parser):
    parser.add_argument("src", metavar="SRC", help="the model file")
    parser.add_argument("out_dir", metavar="OUT_DIR", help="the output directory (created atomically)")
    parser.add_argument("--input_format", choices=("keras", "keras_h5", "tf_saved_model"),
                        help="force the input format (default: detected from the file's content)")
    parser.add_argument("--output_format", default="tfjs_layers_model", choices=("tfjs_layers_model",),
                        help="the TF.js format to write (default: %(default)s)")
    for option in QUANTIZE_OPTIONS:
        dtype = option.rsplit("_", 1)[1]
        parser.add_argument(option, metavar="GLOBS", default=False,
                            help=f"quantise float32 weights to {dtype}: all of them when given alone, "
                                 f"or only those whose names match {option}=GLOB[,GLOB...] "
                                 "(e.g. 'dense*/kernel')")
    parser.add_argument("--weight_shard_size_bytes", type=int, default=4 * 1024 * 1024, metavar="N",
                        help="size of each weight shard file in bytes (default: %(default)s)")
    parser.add_argument("--overwrite", action="store_true", help="replace OUT_DIR if it is not empty")
    parser.add_argument("--quiet", action="store_true", help="print nothing but errors")


def normalise_argv(argv):
    """A bare --quantize_X means "all weights". It must never take the next argument as its value
    (the official CLI swallows the input path that way), so only `--quantize_X=GLOBS` has one."""
    return [f"{a}={_ALL_WEIGHTS}" if a in QUANTIZE_OPTIONS else a for a in argv]


def run(args):
    """Convert; print progress and notices on stderr and a one-line summary on stdout."""
    from converter import convert
    from converter.quantization_plan import parse_globs

    def progress(message):
        if not args.quiet:
            print(f"{PROG}: {message}", file=sys.stderr, flush=True)

    quantize = {}
    for option in QUANTIZE_OPTIONS:
        value = getattr(args, option[2:])
        quantize[option[2:]] = value if value is False else parse_globs(None if value == _ALL_WEIGHTS else value)
    summary = convert(resolve_path(args.src), resolve_path(args.out_dir), input_format=args.input_format,
                      output_format=args.output_format, weight_shard_size_bytes=args.weight_shard_size_bytes,
                      overwrite=args.overwrite, progress=progress, **quantize)
    for notice in summary.notices:
        progress(f"note: {notice}")
    if not args.quiet:
        shards = len(summary.files) - 1
        print(f"wrote {summary.out_dir}: model.json + {shards} weight shard{'s' * (shards != 1)}, "
              f"{summary.total_bytes:,} bytes, in {summary.seconds:.2f} s")
    return 0
