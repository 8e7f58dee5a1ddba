"""Benchmark: codec.write_weights vs the official tensorflowjs.write_weights.

Not a test. For 1, 16 and 100 MiB of float32 (one tensor, standard normal,
seed 0) it times quantise + pack + shard (4 MiB shards) into a fresh temp
directory, for float16 and uint8, ours vs official, median of N runs each,
measured in the same process. Also times the raw float16 quantise alone (ours
vs numpy astype). Throughput is input float32 MiB per second.

    bazel run //tools:bench_codec            # 5 runs each (3 for 100 MiB official)
    bazel run //tools:bench_codec -- --quick # 1 and 16 MiB, 3 runs
"""
import argparse
import importlib
import importlib.util
import os
import shutil
import statistics
import sys
import tempfile
import time
import types

import numpy as np

from tfjs_export import codec

MIB = 1 << 20


def load_official(name):
    # `import tensorflowjs` runs the package __init__ (converters, TF-DF, IPython...);
    # the reference modules need only their own imports.
    if "tensorflowjs" not in sys.modules:
        spec = importlib.util.find_spec("tensorflowjs")
        pkg = types.ModuleType("tensorflowjs")
        pkg.__path__ = list(spec.submodule_search_locations)
        sys.modules["tensorflowjs"] = pkg
    return importlib.import_module("tensorflowjs." + name)


def timed(fn, runs):
    ts = []
    for _ in range(runs):
        d = tempfile.mkdtemp(prefix="bench_codec_")
        try:
            t = time.perf_counter()
            fn(d)
            ts.append(time.perf_counter() - t)
        finally:
            shutil.rmtree(d)
    return statistics.median(ts)


def timed_mem(fn, runs):
    ts = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 and 16 MiB only, 3 runs")
    ap.add_argument("--runs", type=int, default=None, help="runs per measurement (default 5, quick 3)")
    args = ap.parse_args(argv)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sizes = [1, 16] if args.quick else [1, 16, 100]
    runs = args.runs or (3 if args.quick else 5)
    t = time.perf_counter()
    official = load_official("write_weights")
    print("(imported official tensorflowjs.write_weights in %.1f s)" % (time.perf_counter() - t))
    from tfjs_export.codec import _codec
    print("codec float16 path: %s" % ("F16C" if _codec.have_f16c() else "portable C"))
    rng = np.random.default_rng(0)

    rows = []
    for mb in sizes:
        x = rng.standard_normal(mb * MIB // 4).astype(np.float32)
        for q in ("float16", "uint8"):
            ours_t = timed(lambda d: codec.write_weights([("w", x, q)], d), runs)
            off_runs = 3 if (mb >= 100 and runs > 3) else runs
            off_t = timed(lambda d: official.write_weights(
                [[{"name": "w", "data": x}]], d, write_manifest=False,
                quantization_dtype_map={q: ["w"]}), off_runs)
            rows.append(("write_weights %s" % q, mb, mb / ours_t, mb / off_t, off_t / ours_t,
                         "%d/%d" % (runs, off_runs)))
        ours_q = timed_mem(lambda: codec.quantize(x, "float16"), runs)
        np_q = timed_mem(lambda: x.astype(np.float16), runs)
        rows.append(("quantize float16 only (vs numpy astype)", mb, mb / ours_q, mb / np_q, np_q / ours_q,
                     "%d/%d" % (runs, runs)))

    print()
    print("%-42s %7s %12s %12s %10s %7s" % ("operation", "MiB", "ours MiB/s", "ref MiB/s", "ours/ref", "runs"))
    for name, mb, a, b, r, n in rows:
        print("%-42s %7d %12.0f %12.0f %9.1fx %7s" % (name, mb, a, b, r, n))
    print("\nref = official tensorflowjs 4.22 write_weights (same quantization map), or numpy "
          "astype(float16) for the quantize-only line; median of runs (ours/ref); "
          "throughput = float32 input MiB / s.")


if __name__ == "__main__":
    main()
