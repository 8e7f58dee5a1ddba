"""Layers-path benchmark (not a test): our CLI vs the official `tensorflowjs_converter` on the
same files in one run; wall time and peak RSS per conversion, process start included; medians
of --runs runs each; ratios official / ours.

    .venv/bin/python tools/bench_convert.py [--runs 3] [--models mlp,rnn_text,mobilenet_v2,resnet50]
    bazel run //tools:bench_convert -- --runs 5 --startup --models mlp,resnet50 --graph_models=

--startup adds `tfjs-export --help` against `tensorflowjs_converter --help` (start-up cost alone).

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

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
OFFICIAL = os.path.join(os.path.dirname(sys.executable), "tensorflowjs_converter")

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
    parser.add_argument("--graph_models", default="resnet50,mobilenetv2")
    parser.add_argument("--predict_runs", type=int, default=30)
    parser.add_argument("--startup", action="store_true", help="also time `--help` of both converters")
    args = parser.parse_args(argv)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), TFDF_DISABLE_WELCOME_MESSAGE="1")
    with tempfile.TemporaryDirectory(prefix="bench-convert-") as tmp:
        if args.startup:
            ours = _median_run(lambda out: [sys.executable, "-m", "tfjs_export.converter.cli", "--help"],
                               args.runs, tmp, "help_ours", env)
            official = _median_run(lambda out: [OFFICIAL, "--help"], args.runs, tmp, "help_official", env)
            print(f"\n| `--help` | ours s | official s | time ratio |\n|---|---|---|---|\n"
                  f"| start-up | {ours[0]:.3f} | {official[0]:.2f} | {official[0] / ours[0]:.0f}x |")
        if args.models:
            _print_layers_table(_layers_rows(args, tmp, env))
        if args.graph_models:
            _print_graph_table(_graph_rows(args, tmp, env))


def _median_run(make, runs, tmp, tag, env, keep=False):
    """(median seconds, median peak RSS MB, all succeeded) of `runs` runs of make(out_dir)."""
    samples = []
    for run in range(runs):
        out = os.path.join(tmp, f"{tag}_{run}")
        samples.append(_measure(make(out), env))
        if not (keep and run == 0):
            shutil.rmtree(out, ignore_errors=True)
    return (statistics.median(s for s, _, _ in samples), statistics.median(m for _, m, _ in samples),
            all(code == 0 for _, _, code in samples))


def _layers_rows(args, tmp, env):
    from tools.testing import keras_models, keras_zoo

    def resnet50():
        import keras
        return keras.applications.ResNet50(weights=None)  # 224x224, 25.6 M parameters

    builders = {**keras_models.ZOO, **keras_zoo.ZOO, "resnet50": resnet50}  # the 224x224 one
    rows = []
    for name in args.models.split(","):
        src = os.path.join(tmp, f"{name}.keras")
        builders[name]().save(src)
        results = {}
        for who, make in (
                ("ours", lambda out: [sys.executable, "-m", "tfjs_export.converter.cli", "convert", src, out, "--quiet"]),
                ("official", lambda out: [OFFICIAL, "--input_format", "keras_keras",
                                         "--output_format", "tfjs_layers_model", src, out])):
            results[who] = _median_run(make, args.runs, tmp, f"{name}_{who}", env)
            if not results[who][2]:
                print(f"warning: {who} failed on {name}", file=sys.stderr)
        row = {"model": name, "keras_bytes": os.path.getsize(src),
               "ours_s": results["ours"][0], "ours_mb": results["ours"][1],
               "official_s": results["official"][0], "official_mb": results["official"][1]}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def _print_layers_table(rows):
    print("\n| model | .keras size | ours s | official s | time ratio | ours peak RSS MB | official peak RSS MB | RSS ratio |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['model']} | {r['keras_bytes'] / 1024:.0f} KB | {r['ours_s']:.2f} | {r['official_s']:.2f} | "
              f"{r['official_s'] / r['ours_s']:.1f}x | {r['ours_mb']:.0f} | {r['official_mb']:.0f} | "
              f"{r['official_mb'] / r['ours_mb']:.1f}x |")


def _graph_rows(args, tmp, env):
    import keras
    applications = {"resnet50": keras.applications.ResNet50, "mobilenetv2": keras.applications.MobileNetV2}
    rows = []
    for name in args.graph_models.split(","):
        model = applications[name](weights=None, input_shape=(224, 224, 3))
        saved_model, keras_file = os.path.join(tmp, f"{name}_sm"), os.path.join(tmp, f"{name}.keras")
        model.export(saved_model, verbose=False)
        model.save(keras_file)

        def ours(src):
            return lambda out: [sys.executable, "-m", "tfjs_export.converter.cli", "convert", src, out,
                                "--output_format", "tfjs_graph_model", "--quiet"]

        def official(src, input_format):
            return lambda out: [OFFICIAL, f"--input_format={input_format}", "--output_format=tfjs_graph_model",
                                src, out]

        row = {"model": name,
               "ours_sm": _median_run(ours(saved_model), args.runs, tmp, f"{name}_ours_sm", env, keep=True),
               "official_sm": _median_run(official(saved_model, "tf_saved_model"), args.runs, tmp,
                                          f"{name}_official_sm", env, keep=True),
               "ours_keras": _median_run(ours(keras_file), args.runs, tmp, f"{name}_ours_keras", env),
               "official_keras": _median_run(official(keras_file, "keras_keras"), 1, tmp,
                                             f"{name}_official_keras", env)}
        from runtime_tests import parity
        predict = parity.run_js(["bench_predict.js", str(args.predict_runs),
                                 os.path.join(tmp, f"{name}_ours_sm_0", "model.json"),
                                 os.path.join(tmp, f"{name}_official_sm_0", "model.json")],
                                cwd=parity.find_runtime_dir(), timeout=None)
        row["predict_ms"] = ([t["median_ms"] for t in json.loads(predict.stdout)] if predict.returncode == 0
                             else predict.stderr.strip()[-200:])
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def _print_graph_table(rows):
    print("\n| model | ours SavedModel s / MB | official SavedModel s / MB | time official/ours | "
          "RSS ours/official | ours .keras s / MB | official .keras | predict ms ours / official |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        o, f, k, fk = r["ours_sm"], r["official_sm"], r["ours_keras"], r["official_keras"]
        predict = (f"{r['predict_ms'][0]:.1f} / {r['predict_ms'][1]:.1f}" if isinstance(r["predict_ms"], list)
                   else f"failed: {r['predict_ms']}")
        print(f"| {r['model']} | {o[0]:.1f} / {o[1]:.0f} | {f[0]:.1f} / {f[1]:.0f} | {f[0] / o[0]:.1f}x | "
              f"{o[1] / f[1]:.2f}x | {k[0]:.1f} / {k[1]:.0f} | {'fails' if not fk[2] else 'converts'} | {predict} |")


if __name__ == "__main__":
    main()
