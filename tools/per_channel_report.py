"""Per-tensor vs per-channel uint8/uint16 on Graph models, and what batch-norm folding costs
quantisation (not a test; figures for BENCHMARKS.md and the README's quantisation table).

    bazel run //tools:per_channel_report [-- --models trained_cnn_bn,mobilenet --predict_runs 30]

Models: the zoo's networks with folded batch norms or depthwise convolutions (random weights,
mildly randomised statistics), the same with trained-like batch norms ("<model>+bn":
statistics of the actual activations, log-normal gammas; tools/testing/bn_statistics.py), and
small networks trained briefly on synthetic data (tools/testing/trained_models.py). Per model and weight format, converted to a Graph model:
- the error against the float Keras model, max |diff| / max |float output|, computed by
  TensorFlow on the written graph with the weights as TF.js decodes them (what `verify` proves
  TF.js matches to float32 rounding);
- "floor": Keras itself with each of its (unfolded) weights rounded the same way, one range
  per tensor, and the ratio of our error to it;
- top-1 agreement with the float model (trained classifiers, on 500 held-out samples);
- weight bytes, and the median predict time in tfjs-node (runtime_tests/bench_predict.js, batch 1).
"uint8 folded" is the previous output: batch norms folded, then one range per tensor; "uint8
per_channel affine": every rewrite in the Mul + Add form (none in the one-Mul symmetric one). "mse":
--quantization_range mse (per channel, the clipping with the least squared rounding error).
"""

import argparse
import json
import os
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import numpy as np  # noqa: E402

ZOO = ("mobilenet", "mobilenet_v2", "efficientnet_b0", "resnet50", "depthwise_bn", "tfk_cnn")
BN_SUFFIX = "+bn"  # a ZOO model with trained-like batch norms: tools/testing/bn_statistics.py
VARIANTS = (  # label, convert options, the Keras rounding floor it compares with
    ("float32", {}, None),
    ("float16", {"quantize_float16": None}, "float16"),
    ("uint8 folded", {"quantize_uint8": None, "_no_rewrite": True}, "uint8"),
    ("uint8 per_tensor", {"quantize_uint8": None}, "uint8"),
    ("uint8 per_channel", {"quantize_uint8": None, "quantization_granularity": "per_channel"}, "uint8"),
    ("uint8 per_channel affine", {"quantize_uint8": None, "quantization_granularity": "per_channel",
                                  "_affine_only": True}, "uint8"),
    ("uint8 per_channel mse", {"quantize_uint8": None, "quantization_granularity": "per_channel",
                               "quantization_range": "mse"}, "uint8"),
    ("uint16 per_tensor", {"quantize_uint16": None}, "uint16"),
    ("uint16 per_channel", {"quantize_uint16": None, "quantization_granularity": "per_channel"}, "uint16"),
    ("uint16 per_channel mse", {"quantize_uint16": None, "quantization_granularity": "per_channel",
                                "quantization_range": "mse"}, "uint16"),
)


def _build(name):
    """(keras model, inputs, labels or None). `name` + "+bn": the zoo model with trained-like
    batch-norm parameters (tools/testing/bn_statistics.py)."""
    from tools.testing import bn_statistics, graph_models, keras_zoo, trained_models
    if name.endswith(BN_SUFFIX):
        model, x, labels = _build(name[:-len(BN_SUFFIX)])
        return bn_statistics.trained_like_statistics(model), x, labels
    if name in trained_models.TRAINED:
        model, x, y = trained_models.TRAINED[name]()
        return model, x, y
    if name in keras_zoo.TF_KERAS_ZOO:
        model = keras_zoo.TF_KERAS_ZOO[name]()
    elif name in keras_zoo.ZOO:
        model = keras_zoo.ZOO[name]()
    else:
        model = graph_models.KERAS_GRAPH_ONLY[name]()
    shape = (16,) + tuple(model.inputs[0].shape[1:])
    return model, np.random.default_rng(0).normal(size=shape).astype("float32"), None


def keras_floor(model, x, dtype):
    """The model's outputs with every float32 weight rounded per tensor (then restored)."""
    from tfjs_export.converter.verify import rounded_like_tfjs
    saved = [np.asarray(v) for v in model.weights]
    try:
        for variable, value in zip(model.weights, saved):
            if value.dtype == np.float32:
                variable.assign(rounded_like_tfjs(value, dtype))
        return np.asarray(model.predict(x, verbose=0, batch_size=64))
    finally:
        for variable, value in zip(model.weights, saved):
            variable.assign(value)


def _relative(y, reference):
    return float(np.max(np.abs(y - reference)) / max(float(np.max(np.abs(reference))), 1e-12))


def _convert(path, out, options):
    from tfjs_export.converter import convert
    from tfjs_export.converter.graph import per_channel
    options = dict(options)
    no_rewrite = options.pop("_no_rewrite", False)
    affine_only = options.pop("_affine_only", False)
    saved = per_channel.FOLD_GAIN_NEEDED, per_channel.SYMMETRIC_COST
    per_channel.FOLD_GAIN_NEEDED = 0.0 if no_rewrite else saved[0]  # 0: no folded weight ever gains enough
    per_channel.SYMMETRIC_COST = 0.0 if affine_only else saved[1]  # 0: never the one-Mul form
    try:
        return convert(path, out, output_format="tfjs_graph_model", **options)
    finally:
        per_channel.FOLD_GAIN_NEEDED, per_channel.SYMMETRIC_COST = saved


def _rewritten(model_dir):
    from tfjs_export.converter.graph.per_channel import dequantized_weight_count
    return dequantized_weight_count(json.load(open(os.path.join(model_dir, "model.json"))))


def measure(name, tmp, predict_runs, variants=None):
    from tfjs_export.converter.graph.reference import run_written_graph_model
    from runtime_tests import parity
    model, x, labels = _build(name)
    stem = name.replace(BN_SUFFIX, "_bn")
    path = os.path.join(tmp, f"{stem}.h5" if name.startswith("tfk_") else f"{stem}.keras")
    model.save(path)
    y_float = np.asarray(model.predict(x, verbose=0, batch_size=64))
    floors = {d: _relative(keras_floor(model, x, d), y_float) for d in ("float16", "uint8", "uint16")}
    rows = []
    for label, options, floor in VARIANTS:
        if variants and label not in variants:
            continue
        out = os.path.join(tmp, f"{stem}-{label.replace(' ', '-')}")
        summary = _convert(path, out, options)
        y = np.asarray(run_written_graph_model(out, [x])[0])
        error = _relative(y, y_float)
        rows.append({"model": name, "variant": label, "error": error,
                     "rms": float(np.sqrt(np.mean((y - y_float) ** 2)) / np.sqrt(np.mean(y_float ** 2))),
                     "floor": floors[floor] if floor else None,
                     "top1": float(np.mean(y.argmax(-1) == y_float.argmax(-1))) if labels is not None else None,
                     "accuracy": float(np.mean(y.argmax(-1) == labels)) if labels is not None else None,
                     "bytes": summary.weight_bytes_written, "rewritten": _rewritten(out), "dir": out})
    if predict_runs:
        run = parity.run_js(["bench_predict.js", str(predict_runs)]
                            + [os.path.join(r["dir"], "model.json") for r in rows],
                            cwd=parity.find_runtime_dir(), timeout=None)
        times = json.loads(run.stdout) if run.returncode == 0 else [{"median_ms": None}] * len(rows)
        for row, t in zip(rows, times):
            row["predict_ms"] = t["median_ms"]
    for row in rows:
        row.pop("dir")
        print(json.dumps(row), flush=True)
    return rows


def print_table(rows):
    print("\n| model | weights | error vs float | Keras floor | error / floor | top-1 agreement | weight bytes "
          "| per-channel weights | predict ms (tfjs-node) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        floor = f"{r['floor']:.1e}" if r["floor"] else ""
        ratio = f"{r['error'] / r['floor']:.2f}x" if r["floor"] else ""
        top1 = f"{r['top1']:.1%}" if r["top1"] is not None else ""
        ms = f"{r['predict_ms']:.2f}" if r.get("predict_ms") else ""
        print(f"| {r['model']} | {r['variant']} | {r['error']:.1e} | {floor} | {ratio} | {top1} | {r['bytes']:,} "
              f"| {r['rewritten']} | {ms} |")


def main(argv=None):
    from tools.testing import trained_models
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(list(trained_models.TRAINED) + list(ZOO)
                                                      + [m + BN_SUFFIX for m in ZOO]))
    parser.add_argument("--variants", default=",".join(v[0] for v in VARIANTS),
                        help="comma-separated rows of VARIANTS to measure (default: all)")
    parser.add_argument("--predict_runs", type=int, default=30, help="timed predicts per model (0: none)")
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory(prefix="per-channel-report-") as tmp:
        for name in args.models.split(","):
            rows += measure(name, tmp, args.predict_runs, args.variants.split(","))
    print_table(rows)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    main()
