"""Install benchmark (not a test): time and installed size of each pip install of tfjs-export
(base, [verify], [graph]) against the official `tensorflowjs`, each into a fresh venv, from PyPI
(pip's cache off, so downloads count), plus the size of the light TF.js runtime against tfjs-node.

    bazel build //:wheel && .venv/bin/python tools/bench_install.py bazel-bin/wheel/tfjs_export-*.whl
    .venv/bin/python tools/bench_install.py WHEEL --variants base,verify --runs 3

Prints one JSON line per variant (median seconds, MB added to site-packages) and a Markdown table.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

# The official converter's install as its users type it; ydf pinned as requirements.lock does
# (a plain resolve takes a ydf whose protobuf breaks `import tensorflowjs`).
OFFICIAL = ["tensorflowjs==4.22.0", "ydf==0.15.0"]


def _size_mb(folder):
    total = 0
    for dirpath, _, filenames in os.walk(folder):
        for name in filenames:
            path = os.path.join(dirpath, name)
            if not os.path.islink(path):
                total += os.path.getsize(path)
    return total / 2**20


def _install(requirements, tmp):
    """(seconds, MB added) of one `pip install` into a fresh venv."""
    venv = tempfile.mkdtemp(dir=tmp)
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    site = os.path.join(venv, "lib", f"python{sys.version_info.major}.{sys.version_info.minor}", "site-packages")
    before = _size_mb(site)
    start = time.perf_counter()
    subprocess.run([os.path.join(venv, "bin", "pip"), "install", "--quiet", "--no-cache-dir",
                    "--disable-pip-version-check", *requirements], check=True)
    return time.perf_counter() - start, _size_mb(site) - before


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", help="the tfjs-export wheel (bazel build //:wheel, or pip wheel .)")
    parser.add_argument("--variants", default="base,verify,graph,official")
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args(argv)
    requirements = {"base": [args.wheel], "verify": [f"{args.wheel}[verify]"], "graph": [f"{args.wheel}[graph]"],
                    "official": OFFICIAL}
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-install-") as tmp:
        for variant in args.variants.split(","):
            samples = [_install(requirements[variant], tmp) for _ in range(args.runs)]
            row = {"variant": variant, "seconds": statistics.median(s for s, _ in samples),
                   "mb": statistics.median(m for _, m in samples), "runs": args.runs}
            rows.append(row)
            print(json.dumps(row), flush=True)
    official = next((r for r in rows if r["variant"] == "official"), None)
    print("\n| install | MB added | seconds | size vs official |\n|---|---:|---:|---:|")
    for r in rows:
        ratio = f"{r['mb'] / official['mb']:.2f}x" if official else "-"
        print(f"| {r['variant']} | {r['mb']:.0f} | {r['seconds']:.0f} | {ratio} |")


if __name__ == "__main__":
    main()
