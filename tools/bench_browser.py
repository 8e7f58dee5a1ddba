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

With --js-layers: models using our JS layer classes (tools/testing/js_layer_cases, --cases),
each converted by our converter to Layers (with its tfjs-export-layers.js) and to Graph: the warm
predict time of each in tfjs-node (runtime_tests/bench_predict.js, interleaved) and in Chromium
on WASM, and the Layers/Graph ratio (issue 16's Performance section).
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


JS_LAYERS_CASES = "gru_default,zoo_rnn_text,mha_self,transformer_classifier,zoo_attention"


def build_js_layer_models(tmp, names):
    """[{label, case, dir, format, bytes}]: each js_layer_cases case as our Layers and Graph model."""
    from tfjs_export.converter import convert
    from tools.testing import js_layer_cases
    cases = {c.name: c for c in js_layer_cases.all_cases()}
    missing = [n for n in names if n not in cases]
    if missing:
        sys.exit(f"bench_browser: no js_layer_cases case {', '.join(missing)}")
    models = []
    for name in names:
        src = os.path.join(tmp, f"{name}.keras")
        cases[name].build().save(src)
        for label, fmt, options in (("Layers", "layers-model", {}),
                                    ("Graph", "graph-model", {"output_format": "tfjs_graph_model"})):
            out = os.path.join(tmp, f"{name}_{label}")
            convert(src, out, **options)
            models.append({"label": f"{name} {label}", "case": name, "dir": out, "format": fmt,
                           "bytes": _dir_bytes(out)})
    return models


def _js_layers_table(models, node_rows, browser_rows, runs, predicts):
    """Markdown rows: per case, tfjs-node and Chromium WASM warm predict, Layers vs Graph."""
    node = {os.path.dirname(r["model"]): r["median_ms"] for r in node_rows}
    wasm = {r["label"]: r.get("median_ms") for r in browser_rows if r["backend"] == "wasm"}
    errors = {r["label"]: r["error"] for r in browser_rows if r.get("error")}
    print(f"\nwarm predict, batch 1: tfjs-node median of {runs * predicts} interleaved runs; Chromium WASM medians of "
          f"{runs} fresh pages x {predicts} predictions\n")
    print("| model | tfjs-node Layers | tfjs-node Graph | Layers / Graph | WASM Layers | WASM Graph | Layers / Graph |")
    print("|---|---|---|---|---|---|---|")
    for case in dict.fromkeys(m["case"] for m in models):
        lay, gra = (next(m for m in models if m["case"] == case and m["label"].endswith(k)) for k in (" Layers", " Graph"))
        n_l, n_g = node[lay["dir"]], node[gra["dir"]]
        w_l, w_g = wasm[lay["label"]], wasm[gra["label"]]
        cell = lambda label, ms: f"fails: {errors[label]}" if label in errors else f"{ms:.2f} ms"  # noqa: E731
        ratio = f"{w_l / w_g:.2f}x" if w_l and w_g else "-"
        print(f"| {case} | {n_l:.2f} ms | {n_g:.2f} ms | {n_l / n_g:.2f}x | {cell(lay['label'], w_l)} | "
              f"{cell(gra['label'], w_g)} | {ratio} |")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="fresh pages per measurement (median)")
    parser.add_argument("--predicts", type=int, default=10, help="warm predictions per page (median)")
    parser.add_argument("--backends", default="cpu,wasm")
    parser.add_argument("--ours", action="store_true", help="our Graph path: float32 / uint8 per tensor / per channel")
    parser.add_argument("--js-layers", action="store_true", help="our JS layer classes: Layers vs Graph model")
    parser.add_argument("--cases", default=JS_LAYERS_CASES, help="with --js-layers: js_layer_cases to measure")
    args = parser.parse_args(argv)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from runtime_tests import browser, parity
    browser.check_browser()
    if args.js_layers:
        args.backends = "wasm"
    with tempfile.TemporaryDirectory(prefix="bench-browser-") as tmp:
        if args.js_layers:
            models = build_js_layer_models(tmp, args.cases.split(","))
            node = parity.run_js(["bench_predict.js", str(args.runs * args.predicts),
                                  *(os.path.join(m["dir"], "model.json") for m in models)],
                                 cwd=parity.find_runtime_dir(), timeout=1800)
            if node.returncode != 0:
                sys.exit(f"bench_browser: bench_predict.js failed: {node.stderr.strip()[-500:]}")
            node_rows = json.loads(node.stdout.strip().splitlines()[-1])
        else:
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
    if args.js_layers:
        _js_layers_table(models, node_rows, rows, args.runs, args.predicts)
        return
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
