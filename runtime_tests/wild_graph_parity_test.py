"""Graphs from the wild in tfjs-node: every cell of the corpus (tools/testing/wild_models.py,
cells in wild_cells.py) converted to the Graph format by our converter, loaded with
tf.loadGraphModel, fed and fetched by signature key, and compared with TensorFlow running the
source itself (or the Keras model it was saved from: see wild_cells.Sources).

Each cell has exactly one expected outcome, and the test fails if the outcome changes:
- passes: float32 within 1e-5 + 1e-5 x max|y| (quantised cells: against TensorFlow running our
  written graph with the weights as TF.js decodes them, and they must differ from the float
  model); mixed_float16 models within float16 rounding, since TF computes them in float16 and
  TF.js in float32;
- KNOWN_FAILING: fails today, with the recorded reason in the conversion error or the runner's
  error. When a fix lands the cell starts passing and its entry must be removed;
- TFJS_NODE_GAPS: converts to a graph TensorFlow runs like the source, but tfjs-node lacks a kernel;
- REFUSED: TF.js cannot run it; conversion must stop with a one-line error containing the reason.

Sharded by model (tools/pytest_main.py, `shard_group`): a shard builds only its models and runs
its cells in one tfjs-node process.
"""

import os
import time

import numpy as np
import pytest

from tfjs_export.converter import ConversionError, convert
from runtime_tests import parity
from tools.testing import wild_cells, wild_models

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

# Cells failing today, by root cause: the reason is a substring of the conversion error or of
# the tfjs-node error. Each group is a fix in the Graph pipeline; when it lands, its cells pass
# and the test fails until their entries are removed. (Fixed: Keras 3 RNN dropout's seed update,
# state_updates.py; exact GELU's Erfc, erfc.py; oneDNN's fused hard swish, fused_ops.py; grouped
# convolutions in jit_compile calls, grouped_convs.py.)
KNOWN_FAILING = {}

# Cells that convert to a correct graph (TensorFlow running our written graph matches the source)
# but that tfjs-node 4.22 cannot run: its TensorFlow backend lacks a kernel that TF.js's CPU
# backend has. Asserted both ways; no converter change can fix these.
TFJS_NODE_GAPS = {
    "tf_string_hash_saved_model_float32": "Kernel 'StringToHashBucketFast' not registered for backend 'tensorflow'",
}

# Cells TF.js cannot run: refused at convert time with this reason.
REFUSED = {
    "tf_string_lower_saved_model_float32": "ops not supported by TF.js 4.22: StringLength (nodes",
    "tf_svd_saved_model_float32": "ops not supported by TF.js 4.22: Svd (nodes",
}


def _outcome_key(cell):
    if cell.name in REFUSED:
        return "refused"
    return "failing" if cell.name in KNOWN_FAILING else "gap" if cell.name in TFJS_NODE_GAPS else "passes"


def run_cells(cells, tmp, convert_options=None):
    """Convert every cell, write its parity case and run all cases in one tfjs-node process.
    Returns ({cell name: conversion error or None}, {cell name: case dir}, node run, seconds)."""
    from tfjs_export.converter.graph.reference import run_written_graph_model
    started = time.perf_counter()
    sources = wild_cells.Sources(wild_cells.ensure_folder(os.path.join(tmp, "sources")))
    errors, case_dirs = {}, {}
    ordered = wild_cells.model_order(cells)
    for i, cell in enumerate(ordered):
        reference = sources.reference(cell.model, cell.source, cell.signature)
        case_dir = os.path.join(tmp, cell.name)
        model_dir = os.path.join(case_dir, "model")
        options = {f"quantize_{cell.quantize}": None} if cell.quantize else {}
        try:
            convert(reference.path, model_dir, output_format="tfjs_graph_model", signature_name=cell.signature,
                    unsafe_deserialization=True, **options, **(convert_options or {}))
        except ConversionError as err:
            errors[cell.name] = str(err)
        else:
            errors[cell.name] = None
            in_keys, out_keys = wild_cells.user_signature(model_dir)
            in_map, out_map = wild_cells.match_keys(in_keys, reference.inputs), wild_cells.match_keys(out_keys, reference.outputs)
            keys, out_keys = sorted(in_keys), sorted(out_keys)  # run_written_graph_model's order
            assert in_map and out_map, (cell.name, keys, list(reference.inputs), out_keys, list(reference.outputs))
            inputs = [reference.inputs[in_map[k]] for k in keys]
            float_outputs = [reference.outputs[out_map[k]] for k in out_keys]
            expected = run_written_graph_model(model_dir, inputs) if cell.quantize else float_outputs
            if cell.name in TFJS_NODE_GAPS:  # the graph is right: TF runs it like the source
                for ours, theirs in zip(run_written_graph_model(model_dir, inputs), float_outputs):
                    np.testing.assert_allclose(ours, theirs, atol=wild_cells.FLOAT32_TOL, rtol=wild_cells.FLOAT32_TOL)
            atol, rtol, why = wild_cells.tolerance(cell)
            parity.write_case(case_dir, os.path.join(model_dir, "model.json"), inputs, expected, name=cell.name,
                              input_names=keys, output_names=out_keys, fmt="graph-model", atol=atol, rtol=rtol,
                              why=why, float_reference=float_outputs if cell.quantize else None)
            case_dirs[cell.name] = case_dir
        if i + 1 == len(ordered) or ordered[i + 1].model != cell.model:
            sources.forget(cell.model)  # free big models once their last cell is written
    run = parity.run_node_tests(*case_dirs.values()) if case_dirs else None
    return errors, case_dirs, run, time.perf_counter() - started


def outcome(cell_name, errors, case_dirs):
    """('refused', conversion error) | ('failed', runner error or bounds) | ('passed', result)."""
    if errors[cell_name] is not None:
        return "refused", errors[cell_name]
    result = parity.read_result(case_dirs[cell_name])
    if result.get("error"):
        return "failed", result["error"]
    if not result["ok"] or any(o["max_abs_err"] > o["bound"] for o in result["outputs"]):
        worst = max(result["outputs"], key=lambda o: o["max_abs_err"] / max(o["bound"], 1e-30))
        return "failed", f"max |diff| {worst['max_abs_err']:.3g} > bound {worst['bound']:.3g} ({worst['name']})"
    return "passed", result


@pytest.fixture(scope="module")
def cells(request, tmp_path_factory):
    """Converts and runs the cells selected in this run (a Bazel shard or a -k filter)."""
    selected = {item.callspec.params["cell_name"] for item in request.session.items
                if hasattr(item, "callspec") and "cell_name" in item.callspec.params}
    chosen = [c for name, c in wild_cells.CELLS.items() if name in selected]
    errors, case_dirs, run, seconds = run_cells(chosen, str(tmp_path_factory.mktemp("wild")))
    print(f"{len(chosen)} cells in {seconds:.0f} s")
    return errors, case_dirs, run


def _marks(cell):
    """Shard by model; `application` marks the keras.applications cells (their own Bazel target)."""
    marks = [pytest.mark.shard_group(cell.model)]
    return marks + [pytest.mark.application] if wild_models.MODELS[cell.model].application else marks


@pytest.mark.parametrize("cell_name", [
    pytest.param(name, marks=_marks(cell)) for name, cell in wild_cells.CELLS.items()])
def test_cell_has_its_expected_outcome(cells, cell_name):
    errors, case_dirs, run = cells
    cell = wild_cells.CELLS[cell_name]
    got, detail = outcome(cell_name, errors, case_dirs)
    expected = _outcome_key(cell)
    if expected == "refused":
        assert got == "refused" and REFUSED[cell_name] in detail, (got, detail)
        assert "\n" not in detail, "a refusal is one line"
    elif expected in ("failing", "gap"):
        reasons = KNOWN_FAILING if expected == "failing" else TFJS_NODE_GAPS
        assert got != "passed", f"{cell_name} passes now: remove its entry"
        assert reasons[cell_name] in str(detail), (got, detail)
    else:
        assert got == "passed", (got, detail)
        parity.assert_within_bounds(detail)
        if cell.quantize:
            parity.assert_quantised_weights_used(detail, cell_name)


def test_the_corpus_is_big_enough():
    """At least 40 models; every known failure and refusal names a real cell."""
    assert len(wild_models.MODELS) >= 40
    listed = [set(KNOWN_FAILING), set(TFJS_NODE_GAPS), set(REFUSED)]
    assert set.union(*listed) <= set(wild_cells.CELLS)
    assert sum(map(len, listed)) == len(set.union(*listed)), "a cell has one expected outcome"
