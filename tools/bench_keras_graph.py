"""Keras file -> Graph conversion cost (not a test): where the time goes, ours vs the official
converter in the same run.

    .venv/bin/python tools/bench_keras_graph.py [--runs 3] [--baseline_tree DIR]

Models built here (fixed seeds): a Keras 3 MLP and a small CNN saved as `.keras` (the official
converter has no `.keras` -> graph path), and tf_keras `.h5` files of the same CNN and of a
MobileNetV2 (alpha 0.35, 96x96), which both converters take (`--input_format=keras`).
Each conversion is its own process (start-up included); medians of --runs runs of wall seconds
and of CPU seconds (user + system of the converter process: steadier than wall time on a shared
machine), conversions of the contenders alternating. --baseline_tree: another tfjs_export source
tree (e.g. a `git worktree` of an earlier commit) measured as "ours before".
--phases: one extra in-process run of ours per model, printing each step's share of the time.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OFFICIAL = os.path.join(os.path.dirname(sys.executable), "tensorflowjs_converter")

_WRAPPER = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
            "r = subprocess.run(sys.argv[1:], capture_output=True); "
            "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
            "print(time.perf_counter() - t, u.ru_utime + u.ru_stime, r.returncode)")

# In-process step timing of one conversion: the progress messages are the steps' starts.
_PHASES = """
import sys, time
t0 = time.perf_counter()
from tfjs_export.converter.graph import import_tensorflow_quietly
import_tensorflow_quietly()
marks = [(time.perf_counter(), "import")]
names = {"loading": "load + trace", "freezing": "freeze", "optimising": "rewrite passes",
         "writing": "write"}
from tfjs_export.converter import convert
convert(sys.argv[1], sys.argv[2], output_format="tfjs_graph_model",
        progress=lambda m: marks.append((time.perf_counter(), names.get(m.split(" ")[0], m))))
marks.append((time.perf_counter(), "end"))
steps = [("import TensorFlow + Keras", marks[0][0] - t0)]
steps += [(m, t2 - t1) for (t1, m), (t2, _) in zip(marks[1:], marks[2:])]
print("; ".join(f"{m} {s:.2f} s" for m, s in steps))
"""


def _models(tmp):
    """{name: path} of the benchmark's Keras files."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    script = f"""
import keras, tf_keras, tensorflow as tf
keras.utils.set_random_seed(0); tf.random.set_seed(0)
tmp = {tmp!r}
keras.Sequential([keras.Input((32,)), keras.layers.Dense(64, activation="relu"),
                  keras.layers.Dense(10, activation="softmax")]).save(tmp + "/mlp.keras")
def cnn(k, first):
    return k.Sequential([first, k.layers.Conv2D(8, 3, activation="relu"), k.layers.BatchNormalization(),
                         k.layers.GlobalAveragePooling2D(), k.layers.Dense(4)])
cnn(keras, keras.Input((32, 32, 3))).save(tmp + "/cnn.keras")
cnn(tf_keras, tf_keras.layers.InputLayer((32, 32, 3))).save(tmp + "/cnn_tf_keras.h5")
tf_keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3), alpha=0.35).save(
    tmp + "/mobilenetv2_tf_keras.h5")
"""
    subprocess.run([sys.executable, "-c", script], check=True, env=env, capture_output=True)
    return {name: os.path.join(tmp, name) for name in
            ("mlp.keras", "cnn.keras", "cnn_tf_keras.h5", "mobilenetv2_tf_keras.h5")}


def _measure(cmd, env):
    out = subprocess.run([sys.executable, "-c", _WRAPPER, *cmd], capture_output=True, text=True, env=env)
    wall, cpu, code = out.stdout.split()
    return float(wall), float(cpu), int(code) == 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline_tree", help="a tfjs_export tree measured as 'ours before'")
    parser.add_argument("--phases", action="store_true")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-keras-graph-") as tmp:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", TFDF_DISABLE_WELCOME_MESSAGE="1")
        contenders = {"ours": _tree_env(env, ROOT, tmp, "after")}
        if args.baseline_tree:
            contenders["ours before"] = _tree_env(env, os.path.abspath(args.baseline_tree), tmp, "before")
        contenders["official"] = env
        models = _models(tmp)
        print("| model | " + " | ".join(f"{c} wall s / CPU s" for c in contenders) + " | CPU official/ours |")
        print("|---|" + "---|" * (len(contenders) + 1))
        for name, src in models.items():
            samples = {c: [] for c in contenders}
            for run in range(args.runs):
                for who, who_env in contenders.items():
                    out = os.path.join(tmp, "out")
                    shutil.rmtree(out, ignore_errors=True)
                    if who == "official":
                        if src.endswith(".keras"):
                            continue  # no .keras -> graph path in the official converter
                        cmd = [OFFICIAL, "--input_format=keras", "--output_format=tfjs_graph_model", src, out]
                    else:
                        cmd = [sys.executable, "-m", "tfjs_export.converter.cli", "convert", src, out,
                               "--output_format", "tfjs_graph_model", "--quiet"]
                    samples[who].append(_measure(cmd, who_env))
            cells = []
            for who in contenders:
                if not samples[who]:
                    cells.append("no .keras path")
                elif not all(ok for _, _, ok in samples[who]):
                    cells.append("fails")
                else:
                    cells.append(f"{statistics.median(w for w, _, _ in samples[who]):.2f} / "
                                 f"{statistics.median(c for _, c, _ in samples[who]):.2f}")
            ratio = "—"
            if samples["official"] and all(ok for _, _, ok in samples["official"]):
                ratio = (f"{statistics.median(c for _, c, _ in samples['official']) / statistics.median(c for _, c, _ in samples['ours']):.2f}x")
            print(f"| {name} | " + " | ".join(cells) + f" | {ratio} |", flush=True)
        if args.phases:
            for name, src in models.items():
                out = os.path.join(tmp, "phases")
                shutil.rmtree(out, ignore_errors=True)
                run = subprocess.run([sys.executable, "-c", _PHASES, src, out], capture_output=True, text=True,
                                     env=contenders["ours"])
                print(f"{name}: {run.stdout.strip() or run.stderr.strip()[-300:]}")


def _tree_env(env, tree, tmp, tag):
    """The environment importing `tfjs_export` from `tree` (a symlink farm: the package's name is
    the workspace's, not the folder's)."""
    farm = os.path.join(tmp, f"tree_{tag}")
    os.makedirs(farm)
    os.symlink(tree, os.path.join(farm, "tfjs_export"))
    return dict(env, PYTHONPATH=os.pathsep.join([farm, tree]))


if __name__ == "__main__":
    main()
