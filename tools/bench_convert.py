"""Benchmark: our `convert` vs the official `tensorflowjs_converter`, Keras 3 .keras -> Layers
format, on the same models: wall time and peak RSS of the whole process (what a user waits for),
median of several runs, and the ratios measured in the same run. Not a test.

    bazel run //tools:bench_convert [-- --runs N --quick]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _models(folder, quick):
    """{name: .keras path}: the test zoo, the example, and a 64 MB MLP."""
    import keras
    from tools.testing import keras_models
    paths = {}
    for name in (["mlp", "cnn_functional"] if quick else keras_models.ZOO):
        paths[name] = os.path.join(folder, f"{name}.keras")
        keras_models.ZOO[name]().save(paths[name])
    paths["bars_cnn (example)"] = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                               "examples", "bars_cnn.keras")
    if not quick:
        big = keras.Sequential([keras.Input((2048,))] + [keras.layers.Dense(2048) for _ in range(4)])
        paths["mlp_64mb"] = os.path.join(folder, "mlp_64mb.keras")
        big.save(paths["mlp_64mb"])
    return paths


def _measure(argv, env):
    """(wall seconds, peak RSS in MB) of one process run to completion; exits on failure."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"bench_convert: {argv[0]} failed: {proc.stderr.read().decode()[-2000:]}")
    return wall, usage.ru_maxrss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--quick", action="store_true", help="two small models, 3 runs")
    ap.add_argument("--make_models", metavar="DIR", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make_models:  # child process: keeps Keras out of the parent, whose size every fork copies
        for name, path in _models(args.make_models, args.quick).items():
            print(f"{name}\t{path}")
        return
    runs = 3 if args.quick else args.runs
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path), TFDF_DISABLE_WELCOME_MESSAGE="1")
    official = os.path.join(os.path.dirname(sys.executable), "tensorflowjs_converter")
    with tempfile.TemporaryDirectory() as tmp:
        listing = subprocess.run([sys.executable, __file__, "--make_models", tmp] + ["--quick"] * args.quick,
                                 env=env, check=True, capture_output=True, text=True).stdout
        models = dict(line.split("\t") for line in listing.splitlines())
        print(f"{'model':<20} {'MB':>6} {'ours s':>8} {'official s':>10} {'speed-up':>8} "
              f"{'ours RSS MB':>11} {'official RSS MB':>15} {'RSS ratio':>9}")
        for name, path in models.items():
            ours, theirs = [], []
            for i in range(runs):
                ours.append(_measure([sys.executable, "-m", "converter.cli", "convert", path,
                                      os.path.join(tmp, f"ours{i}"), "--quiet", "--overwrite"], env))
                theirs.append(_measure([official, "--input_format", "keras_keras", "--output_format",
                                        "tfjs_layers_model", path, os.path.join(tmp, f"official{i}")], env))
            ours_s, ours_mb = (statistics.median(x) for x in zip(*ours))
            theirs_s, theirs_mb = (statistics.median(x) for x in zip(*theirs))
            print(f"{name:<20} {os.path.getsize(path) / 1e6:>6.2f} {ours_s:>8.2f} {theirs_s:>10.2f} "
                  f"{theirs_s / ours_s:>7.0f}x {ours_mb:>11.0f} {theirs_mb:>15.0f} {theirs_mb / ours_mb:>8.0f}x")
    print(f"\nmedian of {runs} runs each; wall time and peak RSS of the whole process, interpreter start included")


if __name__ == "__main__":
    main()
