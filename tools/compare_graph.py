"""Writes docs/COMPARISON_graph.md: our Graph path vs the official tensorflowjs_converter 4.22 on
the wild corpus (tools/testing/wild_models.py; every float32 cell of tools/testing/wild_cells.py).

For each cell, each converter runs as a fresh process under /usr/bin/time (wall time, peak RSS);
what it wrote is loaded in tfjs-node (tf.loadGraphModel) and fed the cell's inputs; a cell
*passes* when every output is within the parity test's float32 bound (1e-5 + 1e-5 x max|y|) of
TensorFlow's own output (mixed_float16 models: float16 rounding). The official converter names Keras inputs and outputs after tensors:
its signature is matched to ours by order when the names differ.

    .venv/bin/python tools/compare_graph.py [--out docs/COMPARISON_graph.md] [--only NAME,...]
        [--rows ROWS.jsonl]      (also append each row to ROWS.jsonl)
    .venv/bin/python tools/compare_graph.py --from_rows ROWS.jsonl [--earlier_page OLD.md]
        (the page from earlier runs; rows of OLD.md's table fill the cells ROWS.jsonl lacks,
        marked "earlier run": our column there predates the code of ROWS.jsonl's runs)
Not a test: it takes tens of minutes (the official converter needs 5-20 s per cell).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TFDF_DISABLE_WELCOME_MESSAGE", "1")

PY = os.path.join(ROOT, ".venv", "bin", "python")
OFFICIAL = os.path.join(ROOT, ".venv", "bin", "tensorflowjs_converter")
CUSTOM_OBJECTS = os.path.join(ROOT, "tools", "testing", "wild_custom_objects.py")
from tools.testing import wild_cells  # noqa: E402 (needs ROOT on sys.path; imports no TensorFlow)


def _timed(cmd):
    """(returncode, wall seconds, peak RSS MB, last stderr line) of cmd under /usr/bin/time."""
    run = subprocess.run(["/usr/bin/time", "-f", "@@%e %M", *cmd], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    match = re.search(r"@@([\d.]+) (\d+)", run.stderr)
    lines = [line for line in run.stderr.splitlines() if line.strip() and not line.startswith(("@@", "Command exited"))
             and "Warning" not in line and "WARNING" not in line and not re.match(r"^[WEI]\d{4}|^20\d\d-", line)]
    return run.returncode, float(match.group(1)), int(match.group(2)) / 1024, (lines[-1] if lines else "")


def _ours(cell, src, out):
    return _timed([PY, "-m", "tfjs_export.converter.cli", "convert", src, out, "--output_format", "tfjs_graph_model",
                   "--signature_name", cell.signature, "--unsafe_deserialization", "--custom_objects", CUSTOM_OBJECTS,
                   "--quiet"])


def _official(cell, src, out):
    if cell.source in wild_cells.SAVED_MODEL_SOURCES:
        options = ["--input_format=tf_saved_model", f"--signature_name={cell.signature}"]
    else:  # it takes --signature_name for SavedModels only
        options = ["--input_format=keras"]
    return _timed([OFFICIAL, *options, "--output_format=tfjs_graph_model", src, out])


def _check_in_tfjs(cell, model_dir, reference, case_dir):
    """'passes (err)' or 'fails: why', from one tfjs-node run fed by signature name."""
    from runtime_tests import parity
    in_keys, out_keys = wild_cells.user_signature(model_dir)
    in_map, out_map = wild_cells.match_keys(in_keys, reference.inputs), wild_cells.match_keys(out_keys, reference.outputs)
    if not in_map or not out_map:
        return (f"fails: signature has {len(in_keys)} inputs / {len(out_keys)} outputs, "
                f"the model {len(reference.inputs)} / {len(reference.outputs)}")
    atol, rtol, why = wild_cells.tolerance(cell)
    parity.write_case(case_dir, os.path.join(model_dir, "model.json"), [reference.inputs[in_map[k]] for k in in_keys],
                      [reference.outputs[out_map[k]] for k in out_keys], name=os.path.basename(case_dir),
                      input_names=in_keys, output_names=out_keys, fmt="graph-model", atol=atol, rtol=rtol, why=why)
    parity.run_node_tests(case_dir)
    result = parity.read_result(case_dir)
    if result.get("error"):
        return "fails: " + ("" if result.get("load_ms") is not None else "load: ") + result["error"][:110]
    err = max(o["max_abs_err"] for o in result["outputs"])
    return f"passes ({err:.1e})" if result["ok"] else f"fails: max err {err:.1e}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "COMPARISON_graph.md"))
    parser.add_argument("--only", default="", help="comma-separated model or cell names (default: all)")
    parser.add_argument("--rows", default=None, help="also append each row as JSON to this file")
    parser.add_argument("--from_rows", default=None,
                        help="write the page from a --rows file of earlier runs (the last row of a cell wins)")
    parser.add_argument("--earlier_page", default=None,
                        help="with --from_rows: take the cells the rows lack from this page's table")
    parser.add_argument("--earlier_page_is_current", action="store_true",
                        help="with --earlier_page: its rows not marked as an earlier run's were run on "
                             "today's code (no change to the Graph path since): keep them unmarked")
    args = parser.parse_args()
    if args.from_rows:
        by_cell = _page_rows(args.earlier_page, args.earlier_page_is_current) if args.earlier_page else {}
        with open(args.from_rows) as f:
            by_cell.update({row["cell"]: _without_temporary_paths(row) for row in map(json.loads, f)})
        float_cells = [c for c in wild_cells.model_order(wild_cells.CELLS.values()) if not c.quantize]
        rows = [by_cell[c.name] for c in float_cells if c.name in by_cell]
        missing = [c.name for c in float_cells if c.name not in by_cell]
        write_report(args.out, rows, len({wild_cells.CELLS[r["cell"]].model for r in rows}), missing)
        return
    only = set(filter(None, args.only.split(",")))
    tmp = tempfile.mkdtemp(prefix="compare_graph_")
    sources = wild_cells.Sources(wild_cells.ensure_folder(os.path.join(tmp, "sources")))
    cells = [c for c in wild_cells.model_order(wild_cells.CELLS.values())
             if not c.quantize and (not only or c.model in only or c.name in only)]
    rows = []
    for i, cell in enumerate(cells):
        reference = sources.reference(cell.model, cell.source, cell.signature)
        row = {"cell": cell.name}
        for who, run in (("ours", _ours), ("official", _official)):
            out = os.path.join(tmp, who, cell.name)
            code, wall, rss, last = run(cell, reference.path, out)
            if code == 0 and os.path.exists(os.path.join(out, "model.json")):
                verdict = _check_in_tfjs(cell, out, reference, out + "_case")
            else:
                verdict = "refused: " + last[:110]
            # the sources' temporary folder is this run's: the page says SRC instead
            verdict = verdict.replace(sources.folder, "SRC").replace("|", "/")
            row[who] = {"verdict": verdict, "wall": wall, "rss": rss}
        print(json.dumps(row), flush=True)
        rows.append(row)
        if args.rows:
            with open(args.rows, "a") as f:
                f.write(json.dumps(row) + "\n")
        if i + 1 == len(cells) or cells[i + 1].model != cell.model:
            sources.forget(cell.model)
    write_report(args.out, rows, len({wild_cells.CELLS[r["cell"]].model for r in rows}))


def _without_temporary_paths(row):
    """`row` with the sources' temporary folder of its run (rows written before the verdicts said
    SRC) replaced by SRC."""
    for who in ("ours", "official"):
        temporary = re.escape(os.path.join(tempfile.gettempdir(), "compare_graph_")) + r"\w+/sources"
        row[who]["verdict"] = re.sub(temporary, "SRC", row[who]["verdict"])
    return row


def _page_rows(path, current=False):
    """{cell: row} from the table of a page this tool wrote, each marked as an earlier run's
    (`current`: only those the page marked so)."""
    rows = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = [p.strip() for p in line.strip().strip("|").split("|")]
            marked = " *(earlier run)*" in parts[0]
            parts[0] = parts[0].replace(" *(earlier run)*", "")
            if len(parts) != 5 or parts[0] not in wild_cells.CELLS:
                continue
            (ours_wall, official_wall), (ours_rss, official_rss) = (p.split(" / ") for p in parts[3:5])
            rows[parts[0]] = {"cell": parts[0], "earlier": marked or not current,
                              "ours": {"verdict": parts[1], "wall": float(ours_wall), "rss": float(ours_rss)},
                              "official": {"verdict": parts[2], "wall": float(official_wall), "rss": float(official_rss)}}
    return rows


def write_report(path, rows, models, missing=()):
    """The markdown page: pass counts first, then one row per cell (and the corpus cells no run
    has compared yet, if any)."""
    passes = {who: sum(r[who]["verdict"].startswith("passes") for r in rows) for who in ("ours", "official")}
    earlier = [r for r in rows if r.get("earlier")]
    lines = ["# Graph model: tfjs-export vs the official tensorflowjs_converter 4.22", "",
             f"**Cells passing (float32, in tfjs-node): ours {passes['ours']} / {len(rows)}, "
             f"official {passes['official']} / {len(rows)}.**", ""]
    if earlier:
        lines += [f"{len(earlier)} rows, marked *(earlier run)*, come from an earlier run: the official "
                  "converter's column is unchanged, ours predates later fixes (what ours does today on every "
                  "cell is asserted by `//runtime_tests:wild_graph_parity_test` and "
                  "`//runtime_tests:wild_applications_parity_test`).", ""]
    lines += [
             f"The corpus: {len(rows)} float32 cells of {models} models (tools/testing/wild_models.py: models "
             "built the way their authors build them, each saved as every source it can be). Generated by "
             "`tools/compare_graph.py` on the 2-core dev machine with other jobs running (in one or more runs of today's code); wall time "
             "and peak RSS are of the whole converter process (/usr/bin/time). *passes* = loads with "
             "`tf.loadGraphModel` in tfjs-node 4.22 and every output is within 1e-5 + 1e-5 x max|y| of "
             "TensorFlow's own output (mixed_float16 models: 2e-3 + 2e-3 x max|y|, float16 rounding); *refused* = the converter exited non-zero (its last error line); "
             "*fails* = converted, then failed to load or predict in tfjs-node, or predicted wrong.", "",
             "| cell | ours | official | wall s ours / official | peak RSS MB ours / official |",
             "|---|---|---|---|---|"]
    for row in rows:
        o, f = row["ours"], row["official"]
        name = row["cell"] + (" *(earlier run)*" if row.get("earlier") else "")
        lines.append(f"| {name} | {o['verdict']} | {f['verdict']} | {o['wall']:.1f} / {f['wall']:.1f} "
                     f"| {o['rss']:.0f} / {f['rss']:.0f} |")
    both = [r for r in rows if r["ours"]["verdict"].startswith("passes") and r["official"]["verdict"].startswith("passes")]
    if both:
        wall = sum(r["ours"]["wall"] for r in both) / sum(r["official"]["wall"] for r in both)
        rss = sum(r["ours"]["rss"] for r in both) / sum(r["official"]["rss"] for r in both)
        lines += ["", f"Where both pass ({len(both)} cells): total wall time ours / official {wall:.2f}x, "
                      f"summed peak RSS {rss:.2f}x."]
    if missing:
        lines += ["", f"Not compared yet ({len(missing)} float32 cells of the corpus; the parity test "
                      "runs them all for ours): " + ", ".join(missing) + "."]
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
