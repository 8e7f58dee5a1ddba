"""Benchmark (not a test): Graph conversion, ours vs the official tensorflowjs_converter 4.22.

ResNet50 and MobileNetV2 (keras.applications, weights=None, 224x224) as a SavedModel (both
converters) and as `.keras` (ours only: the official converter cannot write a graph model from
.keras). Each conversion runs as its own process under /usr/bin/time: median wall time and peak
RSS of --runs runs. Then both converters' graph models from the same SavedModel are timed in one
tfjs-node process (runtime_tests/bench_predict.js: median of 30 execute() calls after warm-up,
interleaved). Prints a Markdown table for BENCHMARKS.md.

    .venv/bin/python tools/bench_graph.py [--runs 3] [--models resnet50,mobilenetv2]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")

from tools.compare_graph import OFFICIAL, PY, _timed  # noqa: E402


def _build(name, tmp):
    import keras
    model = {"resnet50": keras.applications.ResNet50, "mobilenetv2": keras.applications.MobileNetV2}[name](
        weights=None, input_shape=(224, 224, 3))
    saved_model, keras_file = os.path.join(tmp, f"{name}_sm"), os.path.join(tmp, f"{name}.keras")
    model.export(saved_model, verbose=False)
    model.save(keras_file)
    return saved_model, keras_file


def _runs(cmd_for, runs, tmp, tag):
    walls, rsss = [], []
    for i in range(runs):
        out = os.path.join(tmp, f"{tag}_{i}")
        code, wall, rss, last = _timed(cmd_for(out))
        if code != 0:
            raise SystemExit(f"{tag} failed: {last}")
        walls.append(wall)
        rsss.append(rss)
    return statistics.median(walls), statistics.median(rsss), os.path.join(tmp, f"{tag}_0")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models", default="resnet50,mobilenetv2")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench_graph_")
    rows = []
    for name in args.models.split(","):
        saved_model, keras_file = _build(name, tmp)
        ours = lambda src: lambda out: [PY, "-m", "converter.cli", "convert", src, out,  # noqa: E731
                                        "--output_format", "tfjs_graph_model", "--quiet"]
        official = lambda out: [OFFICIAL, "--input_format=tf_saved_model",  # noqa: E731
                                "--output_format=tfjs_graph_model", saved_model, out]
        o_sm = _runs(ours(saved_model), args.runs, tmp, f"{name}_ours_sm")
        f_sm = _runs(official, args.runs, tmp, f"{name}_official_sm")
        o_k = _runs(ours(keras_file), args.runs, tmp, f"{name}_ours_keras")
        predict = subprocess.run(["node", "bench_predict.js", "30", os.path.join(o_sm[2], "model.json"),
                                  os.path.join(f_sm[2], "model.json")], cwd=os.path.join(ROOT, "runtime_tests"),
                                 capture_output=True, text=True)
        times = json.loads(predict.stdout) if predict.returncode == 0 else None
        rows.append((name, o_sm, f_sm, o_k, times, predict.stderr.strip()[-200:]))
        print(rows[-1][:4], times, flush=True)
    print(f"\n| model | ours SavedModel s / MB | official SavedModel s / MB | wall ratio | RSS ratio | "
          f"ours .keras s / MB | predict ms ours / official (median of 30) |")
    print("|---|---|---|---|---|---|---|")
    for name, o, f, k, times, err in rows:
        pred = (f"{times[0]['median_ms']:.1f} / {times[1]['median_ms']:.1f}" if times else f"failed: {err}")
        print(f"| {name} | {o[0]:.1f} / {o[1]:.0f} | {f[0]:.1f} / {f[1]:.0f} | {o[0] / f[0]:.2f}x | "
              f"{o[1] / f[1]:.2f}x | {k[0]:.1f} / {k[1]:.0f} | {pred} |")


if __name__ == "__main__":
    main()
