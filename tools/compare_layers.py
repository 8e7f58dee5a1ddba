"""Side-by-side report, Layers format: the zoo through our converter and through the official
`tensorflowjs_converter` 4.22 (its CLI, as users run it), each output loaded with
tf.loadLayersModel in tfjs-node the same way and compared with Keras' predictions.

    .venv/bin/python tools/compare_layers.py [--out docs/COMPARISON.md] [--only NAME,...]

Rewrites only the section between the LAYERS markers of the output file (other sections, e.g.
the Graph format's, are kept). A cell: converted? (exit 0 and a model.json), loaded + predicted?,
max abs error vs Keras (PASS when within the float32 bound of the parity tests), seconds.
"""

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

BEGIN, END = "<!-- LAYERS-COMPARISON:BEGIN -->", "<!-- LAYERS-COMPARISON:END -->"


def _official(src, out_dir):
    exe = os.path.join(os.path.dirname(sys.executable), "tensorflowjs_converter")
    env = dict(os.environ, TFDF_DISABLE_WELCOME_MESSAGE="1")
    # keras_keras: its reader for Keras 3 .keras files; keras: HDF5 files.
    fmt = "keras_keras" if src.endswith(".keras") else "keras"
    return subprocess.run([exe, "--input_format", fmt, "--output_format", "tfjs_layers_model", src, out_dir], capture_output=True, text=True, env=env)


def _ours(src, out_dir):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    return subprocess.run([sys.executable, "-m", "tfjs_export.converter.cli", "convert", src, out_dir, "--quiet"],
                          capture_output=True, text=True, env=env, cwd=ROOT)


def _cell(case_dir, run, seconds, parity):
    if run.returncode != 0 or not os.path.exists(os.path.join(case_dir, "model", "model.json")):
        last = (run.stderr.strip().splitlines() or ["?"])[-1]
        return {"converted": False, "loaded": False, "err": None, "seconds": seconds, "why": last[-160:]}
    result = parity.read_result(case_dir)
    if not result["ok"] and not result["outputs"]:
        return {"converted": True, "loaded": False, "err": None, "seconds": seconds,
                "why": (result.get("error") or "")[:160]}
    worst = max(o["max_abs_err"] for o in result["outputs"])
    within = all(o["max_abs_err"] <= o["bound"] for o in result["outputs"])
    return {"converted": True, "loaded": True, "err": worst, "pass": within, "seconds": seconds,
            "why": "" if within else "outputs differ from Keras"}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    # under `bazel run`, write into the source tree, not the runfiles
    workspace = os.environ.get("BUILD_WORKSPACE_DIRECTORY", ROOT)
    parser.add_argument("--out", default=os.path.join(workspace, "docs", "COMPARISON.md"))
    parser.add_argument("--only", default="")
    args = parser.parse_args(argv)

    import numpy as np
    from runtime_tests import parity
    from tools.testing import keras_zoo

    only = set(filter(None, args.only.split(",")))
    sources = [(n, b, ("keras", "h5")) for n, b in keras_zoo.ZOO.items()]
    sources += [(n, b, ("tfk_h5",)) for n, b in keras_zoo.TF_KERAS_ZOO.items()]
    rows = []
    with tempfile.TemporaryDirectory(prefix="compare-layers-") as tmp:
        cases = []
        for name, build, kinds in sources:
            if only and name not in only:
                continue
            model = build()
            inputs = keras_zoo.sample_inputs(model, batch=2, seed=1)
            outputs = model.predict(inputs, verbose=0)
            outputs = [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]
            for kind in kinds:
                folder = os.path.join(tmp, f"{name}_{kind}")
                os.makedirs(folder)
                src = os.path.join(folder, f"{name}.{'keras' if kind == 'keras' else 'h5'}")
                model.save(src)
                row = {"model": name, "path": {"keras": ".keras", "h5": "Keras 3 .h5", "tfk_h5": "tf_keras .h5"}[kind]}
                for who, run_converter in (("ours", _ours), ("official", _official)):
                    case_dir = os.path.join(folder, who)
                    started = time.perf_counter()
                    run = run_converter(src, os.path.join(case_dir, "model"))
                    seconds = time.perf_counter() - started
                    parity.write_case(case_dir, os.path.join(case_dir, "model", "model.json"), inputs, outputs,
                                      name=f"{name}_{kind}_{who}", input_names=[f"in{i}" for i in range(len(inputs))],
                                      output_names=[f"out{i}" for i in range(len(outputs))],
                                      atol=1e-5, rtol=1e-5, why="float32 rounding only")
                    cases.append((row, who, case_dir, run, seconds))
                rows.append(row)
                print(f"converted {name} {kind}", file=sys.stderr, flush=True)
        parity.run_predict(*[c[2] for c in cases if os.path.exists(os.path.join(c[2], "model", "model.json"))])
        for row, who, case_dir, run, seconds in cases:
            row[who] = _cell(case_dir, run, seconds, parity)
    _write(args.out, rows)


def _fmt(cell):
    if not cell["converted"]:
        return f"not converted ({cell['why']})"
    if not cell["loaded"]:
        return f"converted, fails in TF.js ({cell['why']})"
    verdict = "PASS" if cell["pass"] else "FAIL"
    return f"{verdict}, max err {cell['err']:.1e}"


def _write(out, rows):
    import importlib.metadata as md
    ours_pass = sum(1 for r in rows if r["ours"].get("pass"))
    official_pass = sum(1 for r in rows if r["official"].get("pass"))
    lines = [BEGIN, "## Layers format: our converter vs the official `tensorflowjs_converter`", "",
             f"Generated by `tools/compare_layers.py` on {datetime.date.today().isoformat()} with "
             f"tensorflowjs {md.version('tensorflowjs')}, keras {md.version('keras')}, "
             f"tf_keras {md.version('tf_keras')}, tfjs-node 4.22.0. Every output is loaded with "
             "`tf.loadLayersModel` in tfjs-node and compared with Keras' predictions "
             "(PASS: within 1e-5 + 1e-5 x max|output|). Seconds: the converter's wall time, "
             "process start included.", "",
             f"**Cells passing: ours {ours_pass}/{len(rows)}, official {official_pass}/{len(rows)}.**", "",
             "| model | file | ours | s | official | s |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model']} | {r['path']} | {_fmt(r['ours'])} | {r['ours']['seconds']:.1f} | "
                     f"{_fmt(r['official']).replace('|', '/')} | {r['official']['seconds']:.1f} |")
    lines.append(END)
    section = "\n".join(lines) + "\n"
    text = open(out).read() if os.path.exists(out) else "# Comparison with the official converter\n\n"
    if BEGIN in text and END in text:
        text = text[:text.index(BEGIN)] + section + text[text.index(END) + len(END) + 1:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(out, "w") as f:
        f.write(text)
    print(f"wrote {out}: ours {ours_pass}/{len(rows)}, official {official_pass}/{len(rows)}")


if __name__ == "__main__":
    main()
