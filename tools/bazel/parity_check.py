"""Main of tfjs_parity_test: a converted TF.js model vs its source model's Keras predictions.

    parity_check.py --model_dir DIR --src MODEL.keras [--batch_size 4] [--seed 0]
                    [--atol 1e-5] [--rtol 1e-5] [--name NAME]

Loads SRC with Keras, makes deterministic inputs (numpy's default_rng(seed), standard normal
float32; every dimension but the batch must be fixed), writes a parity case (runtime_tests/
parity.py) pointing at DIR/model.json, and runs the tfjs-node runner on it. If the TF.js model has
quantised weights, the Keras reference runs on the weights as TF.js decodes them (DESIGN.md
section 4), so float32 tolerances still apply; the error against the float model is reported for
information. Exit 0 when every output is within atol + rtol * max|expected|, 1 otherwise (2 for a
setup problem such as a missing node or node_modules, with a one-line reason).
"""

import argparse
import json
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

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


def sample_inputs(model, batch_size, seed):
    """Deterministic float32 inputs, one per model input, in model input order."""
    rng = np.random.default_rng(seed)
    inputs = []
    for tensor in model.inputs:
        dims = tuple(tensor.shape[1:])
        if any(d is None for d in dims):
            raise SystemExit(f"{PROG}: input '{tensor.name}' has shape {tuple(tensor.shape)}: only "
                             "the batch dimension may be unknown")
        inputs.append(rng.standard_normal((batch_size,) + dims).astype("float32"))
    return inputs


def _predict(model, inputs):
    """Keras predictions as a list of arrays (a lone input is passed bare: Keras warns otherwise)."""
    outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    return [np.asarray(o) for o in _as_list(outputs)]


def _as_list(outputs):
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _set_weights_as_tfjs_reads_them(model, manifest, model_dir):
    """Give the Keras model the weights TF.js will use: decoded (dequantised) from the shards."""
    import codec
    decoded = codec.read_weights(manifest, model_dir)
    for layer in model.layers:
        for variable in layer.weights:
            key = f"{layer.name}/{variable.name}"
            if key not in decoded:
                raise SystemExit(f"{PROG}: {model_dir}: no weight '{key}' in model.json")
            variable.assign(decoded.pop(key))
    if decoded:
        raise SystemExit(f"{PROG}: {model_dir}: weights the source model does not have: {sorted(decoded)}")


def main(argv=None):
    args = _parse(sys.argv[1:] if argv is None else argv)
    from runtime_tests import parity
    try:  # a missing node / node_modules is a set-up problem: say so before importing TensorFlow
        parity.node_env()
    except RuntimeError as err:
        print(f"{PROG}: {err}", file=sys.stderr)
        return 2

    model_json = os.path.join(os.path.abspath(args.model_dir), "model.json")
    with open(model_json) as f:
        manifest = json.load(f)["weightsManifest"]
    quantised = any("quantization" in w for group in manifest for w in group["weights"])

    import keras
    model = keras.saving.load_model(args.src, compile=False)
    inputs = sample_inputs(model, args.batch_size, args.seed)
    float_outputs = _predict(model, inputs)
    expected = float_outputs
    if quantised:
        _set_weights_as_tfjs_reads_them(model, manifest, os.path.dirname(model_json))
        expected = _predict(model, inputs)

    case_dir = os.path.join(os.environ.get("TEST_TMPDIR") or tempfile.mkdtemp(), "case")
    why = ("reference is Keras on the weights as TF.js dequantises them" if quantised
           else "float32 rounding only: same maths, different order")
    parity.write_case(case_dir, model_json, inputs, expected, name=args.name,
                      input_names=[t.name for t in model.inputs],
                      output_names=[t._keras_history[0].name for t in model.outputs],
                      atol=args.atol, rtol=args.rtol, why=why,
                      float_reference=float_outputs if quantised else None)
    run = parity.run_node_tests(case_dir)
    try:
        result = parity.read_result(case_dir)
    except FileNotFoundError as err:
        print(run.stdout[-4000:] + run.stderr[-4000:], file=sys.stderr)
        print(f"{PROG}: {err}", file=sys.stderr)
        return 1

    print(f"{args.name}: {os.path.relpath(args.model_dir)} vs Keras on {os.path.relpath(args.src)} "
          f"({args.batch_size} inputs, seed {args.seed}{', quantised weights' if quantised else ''}), "
          f"backend {result.get('backend')}")
    for output in result.get("outputs", []):
        line = (f"  {output.get('name')}: max|err| {output.get('max_abs_err')} <= bound "
                f"{output.get('bound')} (max|expected| {output.get('max_abs_expected')})")
        if "max_abs_err_vs_float" in output:
            line += f"; vs float model {output['max_abs_err_vs_float']}"
        print(line)
    ok = run.returncode == 0 and result.get("ok") is True
    if not ok:
        print(run.stdout[-4000:] + run.stderr[-2000:], file=sys.stderr)
        print(f"{PROG}: FAILED: {args.model_dir} does not match {args.src}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
