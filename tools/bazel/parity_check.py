"""Main of tfjs_parity_test: a converted TF.js model vs its source model's predictions.

    parity_check.py --model_dir DIR --src SRC [--batch_size 4] [--seed 0]
                    [--atol 1e-5] [--rtol 1e-5] [--name NAME]
                    [--signature_name ...] [--saved_model_tags ...] [--input_shapes ...]
                    [--unsafe_deserialization] [--custom_objects FILE.py ...]

A thin wrapper around converter.verify (the same check as `tfjs-export verify`, with the same
source options): loads SRC (a .keras/.h5 file, a SavedModel directory or its saved_model.pb) with
Keras or TensorFlow, feeds deterministic random inputs, runs DIR in tfjs-node and compares;
quantised models are compared with the source on the weights as TF.js decodes them
(docs/architecture.md, "Quantisation"). Exit 0 when every output is within
atol + rtol * max|expected|, 1 otherwise (2 for a set-up problem such as a missing node or
node_modules, with a one-line reason).
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PROG = "tfjs_parity_test"


def _parse(argv):
    from tfjs_export.converter.commands.common import add_graph_source_options
    from tfjs_export.converter.custom_objects import add_custom_objects_option
    from tfjs_export.converter.verify import DEFAULT_TOLERANCE
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--model_dir", required=True, help="the tfjs_model output directory")
    parser.add_argument("--src", required=True, help="the source model (a SavedModel: its directory or saved_model.pb)")
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--atol", type=float, default=DEFAULT_TOLERANCE)
    parser.add_argument("--rtol", type=float, default=DEFAULT_TOLERANCE)
    parser.add_argument("--name", default="parity")
    add_graph_source_options(parser)  # the CLI's own options: same names, same defaults
    add_custom_objects_option(parser)
    args = parser.parse_args(argv)
    if os.path.basename(args.src) == "saved_model.pb":  # how the rules name a SavedModel
        args.src = os.path.dirname(args.src) or "."
    return args


def main(argv=None, junit_xml=None):
    """Run the check; with `junit_xml`, also write the result there as a JUnit XML test case."""
    args = _parse(sys.argv[1:] if argv is None else argv)
    if os.environ.get("KERAS_BACKEND", "tensorflow") == "tensorflow" and "jax" not in sys.modules:
        # As `convert` does: Keras imports JAX when installed (~1 s here) though the TensorFlow
        # backend never uses it; this process is ours, so tell Python JAX is absent.
        sys.modules["jax"] = None
    started = time.monotonic()
    code, text = _check(args)
    if junit_xml:
        _write_junit(junit_xml, args.name, code, text, time.monotonic() - started)
    return code


def _check(args):
    """(exit code, what was printed) of one parity check."""
    from tfjs_export.converter.errors import ConversionError
    from tfjs_export.converter.verify import verify
    from tfjs_export.converter.runtime import node
    try:  # a missing node / node_modules is a set-up problem: say so before importing TensorFlow
        node.node_env()
    except node.RuntimeMissing as err:
        return 2, _say(f"{PROG}: {err}", sys.stderr)
    try:
        if args.custom_objects:  # before Keras loads the source model
            from tfjs_export.converter.custom_objects import run_custom_object_files
            run_custom_object_files(args.custom_objects)
        report = verify(args.src, args.model_dir, samples=args.batch_size, seed=args.seed,
                        atol=args.atol, rtol=args.rtol, signature_name=args.signature_name,
                        saved_model_tags=args.saved_model_tags, input_shapes=args.input_shapes,
                        unsafe_deserialization=args.unsafe_deserialization)
    except ConversionError as err:
        return 1, _say(f"{PROG}: {err}", sys.stderr)
    text = _say(f"{args.name}: {os.path.relpath(args.model_dir)} vs {os.path.relpath(args.src)}\n{report.table()}",
                sys.stdout)
    if not report.ok:
        text += "\n" + _say(f"{PROG}: FAILED: {args.model_dir} does not match {args.src}", sys.stderr)
    return (0 if report.ok else 1), text


def _say(text, stream):
    print(text, file=stream)
    return text


def _write_junit(path, name, code, text, seconds):
    """The JUnit XML `bazel test` asks for ($XML_OUTPUT_FILE): one test case. (Without it Bazel
    writes one itself in a second step that no cache can serve: its command line holds the run time.)"""
    from xml.sax.saxutils import escape, quoteattr
    failure = "" if code == 0 else f"<failure message={quoteattr(text.splitlines()[-1])}>{escape(text)}</failure>"
    with open(path, "w") as f:
        f.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuites><testsuite name={quoteattr(name)} '
                f'tests="1" failures="{int(code != 0)}" errors="0"><testcase name={quoteattr(name)} '
                f'classname="tfjs_parity_test" time="{seconds:.1f}">{failure}</testcase></testsuite></testsuites>\n')


if __name__ == "__main__":
    sys.exit(main(junit_xml=os.environ.get("XML_OUTPUT_FILE")))
