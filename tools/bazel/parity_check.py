"""Main of tfjs_parity_test: a converted TF.js model vs its source model's Keras predictions.

    parity_check.py --model_dir DIR --src MODEL.keras [--batch_size 4] [--seed 0]
                    [--atol 1e-5] [--rtol 1e-5] [--name NAME]

A thin wrapper around converter.verify (the same check as `tfjs-export verify`): loads SRC with
Keras, feeds deterministic random inputs, runs DIR in tfjs-node and compares; quantised models
are compared with Keras on the weights as TF.js decodes them (docs/architecture.md, "Quantisation"). Exit 0 when
every output is within atol + rtol * max|expected|, 1 otherwise (2 for a set-up problem such as a
missing node or node_modules, with a one-line reason).
"""

import argparse
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

PROG = "tfjs_parity_test"


def _parse(argv):
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    parser.add_argument("--model_dir", required=True, help="the tfjs_model output directory")
    parser.add_argument("--src", required=True, help="the source model file")
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--atol", type=float, default=1e-5)
    parser.add_argument("--rtol", type=float, default=1e-5)
    parser.add_argument("--name", default="parity")
    return parser.parse_args(argv)


def main(argv=None):
    args = _parse(sys.argv[1:] if argv is None else argv)
    from tfjs_export.converter.errors import ConversionError
    from tfjs_export.converter.verify import verify
    from tfjs_export.converter.runtime import node
    try:  # a missing node / node_modules is a set-up problem: say so before importing TensorFlow
        node.node_env()
    except node.RuntimeMissing as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2
    try:
        report = verify(args.src, args.model_dir, samples=args.batch_size, seed=args.seed,
                        atol=args.atol, rtol=args.rtol)
    except ConversionError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 1
    print(f"{args.name}: {os.path.relpath(args.model_dir)} vs Keras on {os.path.relpath(args.src)}")
    print(report.table())
    if not report.ok:
        print(f"{PROG}: FAILED: {args.model_dir} does not match {args.src}", file=sys.stderr)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
