"""Layers-path benchmark (not a test): our CLI vs the official `tensorflowjs_converter` on the
same files in one run; wall time and peak RSS per conversion, process start included; medians
of --runs runs each; ratios official / ours.

    .venv/bin/python tools/bench_convert.py [--runs 3] [--models mlp,rnn_text,mobilenet_v2,resnet50]

Each conversion runs in a fresh process; its peak RSS is read with getrusage(RUSAGE_CHILDREN)
in a small wrapper process that starts only that one converter.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

_WRAPPER = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "r = subprocess.run(sys.argv[1:], capture_output=True); "
            "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)")


def _measure(cmd, env):
    out = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], capture_output=True, text=True, env=env)
    seconds, rss_kib, code = out.stdout.split()
    return float(seconds), int(rss_kib) / 1024, int(code)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--models", default="mlp,rnn_text,mobilenet_v2")
    args = parser.parse_args(argv)
    from tools.testing import keras_models, keras_zoo

    def resnet50():
        import keras
        return keras.applications.ResNet50(weights=None)  # 224x224, 25.6 M parameters

    builders = dict(keras_models.ZOO, **keras_zoo.ZOO, resnet50=resnet50)
    env = dict(os.environ, PYTHONPATH=ROOT, TFDF_DISABLE_WELCOME_MESSAGE="1")
    official = os.path.join(os.path.dirname(sys.executable), "tensorflowjs_converter")
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-convert-") as tmp:
        for name in args.models.split(","):
            src = os.path.join(tmp, f"{name}.keras")
            builders[name]().save(src)
            size = os.path.getsize(src)
            results = {}
            for who, make in (
                    ("ours", lambda out: [sys.executable, "-m", "converter.cli", "convert", src, out, "--quiet"]),
                    ("official", lambda out: [official, "--input_format", "keras_keras",
                                             "--output_format", "tfjs_layers_model", src, out])):
                samples = []
                for run in range(args.runs):
                    out = os.path.join(tmp, f"{name}_{who}_{run}")
                    samples.append(_measure(make(out), env))
                    shutil.rmtree(out, ignore_errors=True)
                if any(code != 0 for _, _, code in samples):
                    print(f"warning: {who} failed on {name}", file=sys.stderr)
                results[who] = (statistics.median(s for s, _, _ in samples),
                                statistics.median(m for _, m, _ in samples))
            row = {"model": name, "keras_bytes": size,
                   "ours_s": results["ours"][0], "ours_mb": results["ours"][1],
                   "official_s": results["official"][0], "official_mb": results["official"][1]}
            rows.append(row)
            print(json.dumps(row), flush=True)
    print("\n| model | .keras size | ours s | official s | time ratio | ours peak RSS MB | official peak RSS MB | RSS ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['keras_bytes'] / 1024:.0f} KB | {r['ours_s']:.2f} | {r['official_s']:.2f} | "
              f"{r['official_s'] / r['ours_s']:.1f}x | {r['ours_mb']:.0f} | {r['official_mb']:.0f} | "
              f"{r['official_mb'] / r['ours_mb']:.1f}x |")


if __name__ == "__main__":
    main()
