"""`tfjs-export verify SRC MODEL_DIR`: run a converted model in a TF.js runtime under Node.js
(tfjs-node, else the light WASM runtime) and compare its predictions with the source model's
(Keras, or TensorFlow for Graph models). Exit 1 when parity fails."""

import sys

from tfjs_export.converter.commands.common import add_graph_source_options, resolve_path
from tfjs_export.converter.custom_objects import add_custom_objects_option

NAME = "verify"
HELP = "prove a converted model predicts what its source model predicts (in TF.js under Node.js)"


def add_arguments(parser):
    parser.add_argument("src", metavar="SRC", help="the source model (.keras, .h5 or SavedModel directory)")
    parser.add_argument("model_dir", metavar="MODEL_DIR", help="the converted TF.js model directory")
    add_verify_options(parser)
    add_graph_source_options(parser.add_argument_group("graph models (as given to convert)"))
    add_custom_objects_option(parser)


def add_verify_options(parser):
    """Options shared with `convert --verify`."""
    parser.add_argument("--samples", type=_samples, default=4, metavar="N", help="random samples to compare (default: 4)")
    parser.add_argument("--tolerance", type=_tolerance, default=1e-5, metavar="T",
                        help="pass when max|diff| <= T + T*max|expected| per output (default: 1e-5)")
    parser.add_argument("--node_modules", metavar="DIR", default=None,
                        help="the node_modules directory holding the TF.js runtime: @tensorflow/tfjs-node, or "
                             "@tensorflow/tfjs-core/-layers/-converter with -backend-wasm (default: "
                             "$TFJS_EXPORT_NODE_MODULES, a clone's runtime_tests/node_modules, then the one "
                             "`install-runtime` installs)")


def _samples(text):
    """--samples: a whole number >= 1."""
    import argparse
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return int(text)


def _tolerance(text):
    """--tolerance: a finite number >= 0 (NaN would pass nothing; inf everything)."""
    import argparse
    import math
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def report(src, model_dir, args):
    """Verify and print the parity table; return the exit code."""
    from tfjs_export.converter.tf_logs import tensorflow_logs_silenced
    from tfjs_export.converter.verify import verify
    with tensorflow_logs_silenced(not args.debug):  # Keras/TensorFlow run the source model
        result = verify(src, model_dir, samples=args.samples, atol=args.tolerance, rtol=args.tolerance,
                        node_modules=resolve_path(args.node_modules) if args.node_modules else None,
                        signature_name=args.signature_name, saved_model_tags=args.saved_model_tags,
                        unsafe_deserialization=args.unsafe_deserialization, input_shapes=args.input_shapes)
    print(result.table())
    if not result.ok:
        # The cause itself when the model did not even load or predict (the table has it too).
        cause = result.error.strip().splitlines()[0] if result.error.strip() else ""
        if cause:
            print(f"tfjs-export: error: {model_dir}: parity FAILED against {src}: {cause}", file=sys.stderr)
        else:
            print(f"tfjs-export: error: {model_dir}: parity FAILED against {src}", file=sys.stderr)
    return 0 if result.ok else 1


def run(args):
    if args.custom_objects:  # before Keras loads the source model
        from tfjs_export.converter.custom_objects import run_custom_object_files
        run_custom_object_files([resolve_path(p) for p in args.custom_objects])
    return report(resolve_path(args.src), resolve_path(args.model_dir), args)
