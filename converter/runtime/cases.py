"""Parity cases: a model's inputs and reference outputs on disk, for the JavaScript runner.

`write_case` stores them as a *case* directory (case.json + raw little-endian tensors); the
runner (js/predict.js, run by node.py) predicts, compares and writes its verdict, which
`read_result` reads. Needs only numpy: no TensorFlow import here.

Case layout (read by js/lib/case.js):
    case.json       {"name", "model", "format", "inputs": [{name, file, shape, dtype}],
                     "outputs": [{name, file, shape, dtype}],
                     "tolerance": {"atol", "rtol", "why"}, "float_reference"?: [{file}]}
    input_{i}.bin, expected_{i}.bin, float_{i}.bin (a string input: input_{i}.json, a JSON list)
Written by the runner: actual_{i}.bin, result.json.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Sequence

import numpy as np

# dtypes TF.js takes as model inputs from raw files; wider ints/floats are narrowed like TF.js does.
_NARROW = {np.dtype("float64"): np.float32, np.dtype("float16"): np.float32,
           np.dtype("int64"): np.int32, np.dtype("bool"): np.int32}
_SUPPORTED = {np.dtype("float32"): "float32", np.dtype("int32"): "int32"}


def _as_tensor(x, what: str) -> tuple[np.ndarray, str]:
    """Contiguous little-endian float32/int32 copy of x and its dtype name (string arrays: as they
    are, dtype "string")."""
    a = np.asarray(x)
    if a.dtype.kind in "SUO":
        return a, "string"
    narrow = _NARROW.get(a.dtype, a.dtype)
    if a.dtype.kind in "iu" and a.size and np.dtype(narrow).kind == "i":
        info = np.iinfo(narrow)  # narrowing must not wrap a value around (2**31 -> -2**31)
        if a.min() < info.min or a.max() > info.max:
            raise ValueError(f"{what}: {a.dtype} values outside the int32 range TF.js holds")
    a = a.astype(narrow, copy=False)
    if a.dtype not in _SUPPORTED:
        raise ValueError(f"{what}: dtype {a.dtype} is not float32/int32")
    name = _SUPPORTED[a.dtype]
    # reshape: ascontiguousarray turns a scalar into shape [1]
    return np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).reshape(a.shape), name


def _write_tensors(case_dir: Path, prefix: str, arrays, names, what: str) -> list[dict]:
    if names is not None and len(names) != len(arrays):
        raise ValueError(f"{len(arrays)} {what} arrays but {len(names)} names")
    entries = []
    for i, x in enumerate(arrays):
        a, dtype = _as_tensor(x, f"{what} {i}")
        if dtype == "string" and prefix != "input":
            raise ValueError(f"{what} {i}: string outputs are not compared by the runner")
        if dtype == "string":  # a JSON list of the elements in C order, decoded as UTF-8
            fname = f"{prefix}_{i}.json"
            values = [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in a.ravel().tolist()]
            (case_dir / fname).write_text(json.dumps(values))
        else:
            fname = f"{prefix}_{i}.bin"
            (case_dir / fname).write_bytes(a.tobytes())
        entry = {"file": fname, "shape": list(a.shape), "dtype": dtype}
        if names is not None:
            entry = {"name": names[i], **entry}
        entries.append(entry)
    return entries


def write_case(case_dir, model_json, inputs: Sequence, expected: Sequence, *, name: str,
               input_names: Sequence[str], output_names: Sequence[str],
               fmt: str = "layers-model", atol: float, rtol: float, why: str,
               float_reference: Sequence | None = None) -> Path:
    """Writes a parity case into case_dir (created; old tensors and results removed).

    inputs/expected/float_reference are arrays in case order (float64/int64 are narrowed to
    float32/int32). model_json is stored relative to case_dir when it lies inside it.
    Returns the case dir.
    """
    if fmt not in ("layers-model", "graph-model"):
        raise ValueError(f"fmt must be 'layers-model' or 'graph-model', not {fmt!r}")
    if not all(isinstance(t, (int, float)) and math.isfinite(t) and t >= 0 for t in (atol, rtol)):
        raise ValueError(f"tolerances must be finite numbers >= 0, got atol={atol!r}, rtol={rtol!r}")
    if float_reference is not None and len(float_reference) != len(expected):
        raise ValueError("float_reference needs one array per output")
    case_dir = Path(case_dir).absolute()
    case_dir.mkdir(parents=True, exist_ok=True)
    for old in [*case_dir.glob("*.bin"), *case_dir.glob("input_*.json")]:  # stale tensors must not linger
        old.unlink()
    (case_dir / "result.json").unlink(missing_ok=True)

    model = Path(model_json).absolute()
    try:
        model_ref = str(model.relative_to(case_dir))
    except ValueError:
        model_ref = str(model)
    spec = {
        "name": name,
        "model": model_ref,
        "format": fmt,
        "inputs": _write_tensors(case_dir, "input", inputs, input_names, "input"),
        "outputs": _write_tensors(case_dir, "expected", expected, output_names, "output"),
        "tolerance": {"atol": float(atol), "rtol": float(rtol), "why": why},
    }
    if float_reference is not None:
        spec["float_reference"] = _write_tensors(case_dir, "float", float_reference, None,
                                                 "float_reference")
    # allow_nan=False: JavaScript's JSON.parse refuses NaN and Infinity
    (case_dir / "case.json").write_text(json.dumps(spec, indent=2, allow_nan=False) + "\n")
    return case_dir


def read_result(case_dir) -> dict:
    """The result.json the runner wrote into case_dir."""
    path = Path(case_dir) / "result.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no result (the Node runner did not run this case)")
    return json.loads(path.read_text())
