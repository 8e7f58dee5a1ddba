"""Browser latency benchmark (not a test): a MobileNetV2-size model (tf_keras MobileNetV2,
weights=None, 224x224x3, 3.5 M parameters) as a Layers and a Graph model, float32 and uint8, in
headless Chromium on the CPU and WASM backends: first-load time over loopback http, first
prediction, median warm prediction (batch 1). Medians over --runs fresh pages.

The four model directories are written by the official `tensorflowjs` converter (our converter's
Layers path has no DepthwiseConv2D yet and its Graph path is not in): this measures TF.js in the
browser, not either converter.

    bazel run //tools:bench_browser [-- --runs 3 --predicts 10 --backends cpu,wasm]

With --ours: our Graph path instead (Keras 3 MobileNetV2, weights=None, 224x224x3), float32 and
uint8 with one range per tensor and per output channel (--quantization_granularity): what the
per-channel dequantisation costs a predict.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")


def _dir_bytes(path):
    return sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path))


def build_models(tmp):
    """[{label, dir, format, bytes}] for Layers/Graph x float32/uint8."""
    import tf_keras
    import tensorflowjs
    tf_keras.utils.set_random_seed(0)
    model = tf_keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3))
    saved = os.path.join(tmp, "saved_model")
    model.save(saved, save_format="tf")
    models = []
    for quant, qmap in (("float32", None), ("uint8", {"uint8": True})):
        out = os.path.join(tmp, f"layers_{quant}")
        tensorflowjs.converters.save_keras_model(model, out, quantization_dtype_map=qmap)
        models.append({"label": f"Layers {quant}", "dir": out, "format": "layers-model"})
        out = os.path.join(tmp, f"graph_{quant}")
        tensorflowjs.converters.convert_tf_saved_model(saved, out, quantization_dtype_map=qmap)
        models.append({"label": f"Graph {quant}", "dir": out, "format": "graph-model"})
    for m in models:
        m["bytes"] = _dir_bytes(m["dir"])
    return models


def build_our_models(tmp):
    """[{label, dir, format, bytes}]: our Graph path, float32 / uint8 per tensor / per channel."""
    import keras
    from tfjs_export.converter import convert
    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV2(weights=None, input_shape=(224, 224, 3))
    src = os.path.join(tmp, "mobilenet_v2.keras")
    model.save(src)
    models = []
    for label, options in (("Graph float32", {}), ("Graph uint8 per_tensor", {"quantize_uint8": None}),
                           ("Graph uint8 per_channel", {"quantize_uint8": None,
                                                        "quantization_granularity": "per_channel"})):
        out = os.path.join(tmp, label.replace(" ", "_"))
        convert(src, out, output_format="tfjs_graph_model", **options)
        models.append({"label": label, "dir": out, "format": "graph-model", "bytes": _dir_bytes(out)})
    return models


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh pages per measurement (median)")
    parser.add_argument("--predicts", type=int, default=10, help="warm predictions per page (median)")
    parser.add_argument("--backends", default="cpu,wasm")
    parser.add_argument("--ours", action="store_true", help="our Graph path: float32 / uint8 per tensor / per channel")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from runtime_tests import browser, parity
    browser.check_browser()
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        models = build_our_models(tmp) if args.ours else build_models(tmp)
        config = os.path.join(tmp, "config.json")
        with open(config, "w") as f:
            json.dump({"models": models, "backends": args.backends.split(","), "runs": args.runs,
                       "predicts": args.predicts}, f)
        out = os.path.join(tmp, "out.json")
        proc = subprocess.run([parity.node_binary(), "browser/bench.js", config, out],
                              cwd=parity.find_runtime_dir(), env=parity.node_env(), text=True)
        if proc.returncode != 0:
            sys.exit("bench_browser: the browser run failed")
        rows = json.load(open(out))["rows"]
    size = {m["label"]: m["bytes"] for m in models}
    base_label = "Graph float32" if args.ours else "Layers float32"
    base = {r["backend"]: r for r in rows if r["label"] == base_label}
    print(f"\nMobileNetV2 (224x224x3, batch 1), headless Chromium, medians of {args.runs} fresh pages "
          f"x {args.predicts} warm predictions\n")
    print(f"| backend | model | size | first load | first predict | warm predict | warm vs {base_label} |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        ratio = r["median_ms"] / base[r["backend"]]["median_ms"]
        print(f"| {r['backend']} | {r['label']} | {size[r['label']] / 1e6:.1f} MB | {r['load_ms']:.0f} ms | "
              f"{r['first_ms']:.0f} ms | {r['median_ms']:.1f} ms | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
