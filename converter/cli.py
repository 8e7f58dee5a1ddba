"""Command line: `tfjs-export convert SRC OUT_DIR [options]` (`bazel run //converter:cli -- ...`).

User errors print one line, `tfjs-export: error: <file>: <problem>`, and exit 1 (2 for bad
usage); `--debug` shows the traceback instead.
"""

import argparse
import os
import sys

QUANTIZE_OPTIONS = ("--quantize_float16", "--quantize_uint8", "--quantize_uint16")
_PROG = "tfjs-export"
_ALL_WEIGHTS = "\0all"  # stands for a bare --quantize_X after _normalise_quantize_flags


def _parser():
    parser = argparse.ArgumentParser(
        prog=_PROG, description="Convert Keras/TensorFlow models to TensorFlow.js.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    conv = commands.add_parser(
        "convert", help="convert a model file to a TF.js model directory",
        description="Convert SRC (a Keras 3 .keras file) to a TF.js Layers model in OUT_DIR "
                    "(model.json + groupN-shardMofK.bin files).")
    conv.add_argument("src", metavar="SRC", help="the model file")
    conv.add_argument("out_dir", metavar="OUT_DIR", help="the output directory (created atomically)")
    conv.add_argument("--input_format", choices=("keras", "keras_h5", "tf_saved_model"),
                      help="force the input format (default: detected from the file's content)")
    conv.add_argument("--output_format", default="tfjs_layers_model", choices=("tfjs_layers_model",),
                      help="the TF.js format to write (default: %(default)s)")
    for option in QUANTIZE_OPTIONS:
        dtype = option.rsplit("_", 1)[1]
        conv.add_argument(option, metavar="GLOBS", default=False,
                          help=f"quantise float32 weights to {dtype}: all of them when given alone, "
                               f"or only those whose names match {option}=GLOB[,GLOB...] "
                               "(e.g. 'dense*/kernel')")
    conv.add_argument("--weight_shard_size_bytes", type=int, default=4 * 1024 * 1024, metavar="N",
                      help="size of each weight shard file in bytes (default: %(default)s)")
    conv.add_argument("--overwrite", action="store_true", help="replace OUT_DIR if it is not empty")
    conv.add_argument("--quiet", action="store_true", help="print nothing but errors")
    conv.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    return parser


def _normalise_quantize_flags(argv):
    # A bare --quantize_X means "all weights". It must never take the next argument as its value
    # (the official CLI swallows the input path that way), so only `--quantize_X=GLOBS` has one.
    return [f"{a}={_ALL_WEIGHTS}" if a in QUANTIZE_OPTIONS else a for a in argv]


def _resolve(path):
    # Under `bazel run` the process runs in the runfiles tree; users mean their own directory.
    base = os.environ.get("BUILD_WORKING_DIRECTORY")
    return os.path.join(base, path) if base and not os.path.isabs(path) else path


def main(argv=None):
    """Run the CLI; return the process exit code."""
    args = _parser().parse_args(_normalise_quantize_flags(sys.argv[1:] if argv is None else argv))
    from converter import ConversionError, convert
    from converter.quantization_plan import parse_globs

    def progress(message):
        if not args.quiet:
            print(f"{_PROG}: {message}", file=sys.stderr, flush=True)

    try:
        quantize = {}
        for option in QUANTIZE_OPTIONS:
            value = getattr(args, option[2:])
            quantize[option[2:]] = value if value is False else parse_globs(None if value == _ALL_WEIGHTS else value)
        summary = convert(_resolve(args.src), _resolve(args.out_dir), input_format=args.input_format,
                          output_format=args.output_format, weight_shard_size_bytes=args.weight_shard_size_bytes,
                          overwrite=args.overwrite, progress=progress, **quantize)
    except ConversionError as err:
        if args.debug:
            raise
        print(f"{_PROG}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{_PROG}: interrupted; nothing was written", file=sys.stderr)
        return 130
    for notice in summary.notices:
        progress(f"note: {notice}")
    if not args.quiet:
        shards = len(summary.files) - 1
        print(f"wrote {summary.out_dir}: model.json + {shards} weight shard{'s' * (shards != 1)}, "
              f"{summary.total_bytes:,} bytes, in {summary.seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
