"""Writes docs/COMPARISON_graph.md: our Graph path vs the official tensorflowjs_converter 4.22
on the same models. For each (model, input kind): does it convert (exit 0), does the output load
in tfjs-node (tf.loadGraphModel), does it match TensorFlow (float32 tolerance, fed by signature
name), wall time and peak RSS of each converter process (/usr/bin/time), and their ratio.

    .venv/bin/python tools/compare_graph.py [--out docs/COMPARISON_graph.md]
Not a test: it takes minutes (the official converter needs 5-20 s per model).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")

PY = os.path.join(ROOT, ".venv", "bin", "python")
OFFICIAL = os.path.join(ROOT, ".venv", "bin", "tensorflowjs_converter")


def _timed(cmd):
    """(returncode, wall seconds, peak RSS MB, last stderr line) of cmd under /usr/bin/time."""
    run = subprocess.run(["/usr/bin/time", "-f", "@@%e %M", *cmd], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    match = re.search(r"@@([\d.]+) (\d+)", run.stderr)
    lines = [l for l in run.stderr.splitlines() if l.strip() and not l.startswith(("@@", "Command exited"))
             and "Warning" not in l and not re.match(r"^[WEI]\d{4}|^20\d\d-", l)]
    return run.returncode, float(match.group(1)), int(match.group(2)) / 1024, (lines[-1] if lines else "")


def _ours(src, out, fmt):
    return _timed([PY, "-m", "tfjs_export.converter.cli", "convert", src, out, "--output_format", "tfjs_graph_model",
                   "--quiet"])


def _official(src, out, fmt):
    input_format = {"saved_model": "tf_saved_model", "keras": "keras", "keras3_h5": "keras",
                    "tf_keras_h5": "keras"}[fmt]
    return _timed([OFFICIAL, f"--input_format={input_format}", "--output_format=tfjs_graph_model", src, out])


def _models(tmp):
    """[(label, kind, path, inputs, expected outputs by name)]: expected from TF/Keras itself."""
    import keras
    import numpy as np
    import tf_keras
    from tools.testing import keras_models
    rows = []
    cnn = keras_models.cnn_functional()
    x = [np.random.default_rng(0).normal(size=(2, 12, 12, 3)).astype("float32")]
    y = {"probs": np.asarray(cnn(x[0])), "output_0": np.asarray(cnn(x[0]))}
    for kind, path in (("keras", f"{tmp}/cnn.keras"), ("keras3_h5", f"{tmp}/cnn.h5"), ("saved_model", f"{tmp}/cnn_sm")):
        cnn.export(path, verbose=False) if kind == "saved_model" else cnn.save(path)
        rows.append(("cnn_functional (zoo)", kind, path, x, y))
    from tools.testing import graph_models
    rnn = graph_models.recurrent()
    xr = [np.random.default_rng(2).normal(size=(2, 5, 3)).astype("float32")]
    yr = np.asarray(rnn(xr[0]))
    rnn.export(f"{tmp}/rnn_sm", verbose=False)
    rows.append(("Keras 3 GRU + LSTM", "saved_model", f"{tmp}/rnn_sm", xr, {"output_0": yr}))
    mobilenet = keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3), alpha=0.35)
    xm = [np.random.default_rng(1).normal(size=(1, 96, 96, 3)).astype("float32")]
    ym = np.asarray(mobilenet(xm[0]))
    for kind, path in (("keras", f"{tmp}/mnv2.keras"), ("saved_model", f"{tmp}/mnv2_sm")):
        mobilenet.export(path, verbose=False) if kind == "saved_model" else mobilenet.save(path)
        rows.append(("MobileNetV2 a=0.35 96px", kind, path, xm, {"output_0": ym, "predictions": ym}))
    legacy = tf_keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3), alpha=0.35)
    legacy.save(f"{tmp}/mnv2_tfk.h5")
    yl = np.asarray(legacy(xm[0]))
    rows.append(("MobileNetV2 a=0.35 96px (tf_keras)", "tf_keras_h5", f"{tmp}/mnv2_tfk.h5", xm,
                 {"predictions": yl, "Identity:0": yl}))
    return rows


def _check_in_tfjs(model_dir, inputs, expected, case_dir):
    """'loads'/'matches' verdicts from one tfjs-node run, feeding by signature name."""
    from runtime_tests import parity
    model = json.load(open(os.path.join(model_dir, "model.json")))
    signature = model.get("signature", {})
    in_keys = list(signature.get("inputs", {})) or ["input"]
    out_keys = list(signature.get("outputs", {}))
    key = next((k for k in out_keys if k in expected), None)
    if key is None:  # the official converter names outputs after tensors: take the only one
        key = out_keys[0] if len(out_keys) == 1 else None
    if key is None:
        return "?", "no output to compare"
    value = expected.get(key, next(iter(expected.values())))
    parity.write_case(case_dir, os.path.join(model_dir, "model.json"), inputs, [value], name=os.path.basename(case_dir),
                      input_names=in_keys[:1], output_names=[key], fmt="graph-model", atol=1e-4, rtol=1e-4,
                      why="float32")
    parity.run_node_tests(case_dir)
    result = parity.read_result(case_dir)
    if result.get("error"):
        loaded = result.get("load_ms") is not None
        return ("yes" if loaded else "no"), ("no: " + result["error"][:90])
    err = max(o["max_abs_err"] for o in result["outputs"])
    return "yes", (f"yes ({err:.1e})" if result["ok"] else f"no (max err {err:.1e})")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "COMPARISON_graph.md"))
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="compare_graph_")
    rows = []
    for label, kind, path, inputs, expected in _models(tmp):
        cells = {}
        for who, run in (("ours", _ours), ("official", _official)):
            out = os.path.join(tmp, f"{who}_{kind}_{abs(hash(path))}")
            code, wall, rss, last = run(path, out, kind)
            if code == 0 and os.path.exists(os.path.join(out, "model.json")):
                loads, matches = _check_in_tfjs(out, inputs, expected, out + "_case")
                cells[who] = ("yes", loads, matches, wall, rss)
            else:
                cells[who] = ("no: " + last[:100].replace("|", "/"), "-", "-", wall, rss)
            print(label, kind, who, cells[who], flush=True)
        rows.append((label, kind, cells))
    _write(args.out, rows)
    shutil.rmtree(tmp, ignore_errors=True)


def _write(path, rows):
    lines = ["# Graph model: tfjs-export vs the official tensorflowjs_converter 4.22", "",
             "Generated by `tools/compare_graph.py` (one run on the 2-core dev machine, other jobs running; "
             "times and RSS are of the whole converter process, measured with /usr/bin/time). "
             "*Loads* = `tf.loadGraphModel` in tfjs-node 4.22; *matches* = outputs within 1e-4 of "
             "TensorFlow's, inputs fed by signature name.", "",
             "| model | input | converter | converts | loads | matches | wall s | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|"]
    for label, kind, cells in rows:
        for who in ("ours", "official"):
            conv, loads, matches, wall, rss = cells[who]
            lines.append(f"| {label} | {kind} | {who} | {conv} | {loads} | {matches} | {wall:.1f} | {rss:.0f} |")
    lines += ["", "Ratios (ours / official) where both converted:", ""]
    for label, kind, cells in rows:
        o, f = cells["ours"], cells["official"]
        if o[0] == "yes" and f[0] == "yes":
            lines.append(f"- {label} from {kind}: wall {o[3] / f[3]:.2f}x, peak RSS {o[4] / f[4]:.2f}x")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
