"""Python side of the tfjs-node parity runner.

`write_case` stores a model's inputs and reference outputs as a *case* directory (case.json +
raw little-endian tensors); `run_node_tests` / `run_predict` run the Node runner
(parity.test.js / predict.js) over case dirs; `read_result` reads the verdict it wrote.
Needs only numpy: no TensorFlow import here.

Case layout (read by runtime_tests/lib/case.js):
    case.json       {"name", "model", "format", "inputs": [{name, file, shape, dtype}],
                     "outputs": [{name, file, shape, dtype}],
                     "tolerance": {"atol", "rtol", "why"}, "float_reference"?: [{file}]}
    input_{i}.bin, expected_{i}.bin, float_{i}.bin (a string input: input_{i}.json, a JSON list)
Written by the runner: actual_{i}.bin, result.json.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

_SETUP_HINT = "run tools/setup.sh"
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
    import math
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


def find_runtime_dir() -> Path:
    """runtime_tests/ holding node_modules with tfjs-node.

    $TFJS_EXPORT_ROOT/runtime_tests if TFJS_EXPORT_ROOT is set, else the real directory of this
    file: under Bazel the runfiles are symlinks into the source tree, and node_modules (720 MB,
    not a declared input) sits beside the sources there.
    """
    root = os.environ.get("TFJS_EXPORT_ROOT")
    runtime = Path(root) / "runtime_tests" if root else Path(os.path.realpath(__file__)).parent
    module = runtime / "node_modules" / "@tensorflow" / "tfjs-node"
    if not (module / "package.json").is_file():
        where = f"TFJS_EXPORT_ROOT={root}" if root else f"{runtime}"
        raise RuntimeError(f"{module} is missing ({where}); {_SETUP_HINT}")
    return runtime


def node_binary() -> str:
    """Path of `node` ($NODE, else PATH); RuntimeError if absent."""
    node = os.environ.get("NODE") or shutil.which("node")
    if not node:
        raise RuntimeError(f"`node` not found on PATH; {_SETUP_HINT}")
    return node


def node_env(extra: Mapping[str, str] | None = None) -> dict:
    """Environment for running the Node runner (checks node and tfjs-node are present)."""
    node_binary()
    find_runtime_dir()
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.update(extra or {})
    return env


def _run_js(args: Sequence[str], env_extra: Mapping[str, str],
            timeout: float | None) -> subprocess.CompletedProcess:
    runtime = find_runtime_dir()
    return subprocess.run([node_binary(), *args], cwd=runtime, env=node_env(env_extra),
                          capture_output=True, text=True, timeout=timeout)


def run_node_tests(*case_dirs, timeout: float | None = 600,
                   register: Sequence[str] = ()) -> subprocess.CompletedProcess:
    """Runs `node --test parity.test.js` with PARITY_CASES=case_dirs; output is captured.

    No case dirs means PARITY_CASES is empty, which the runner reports as a failure.
    register: JS modules, each exporting `(tf) => void`, run before any model loads (they
    register custom layer classes with tf.serialization.registerClass).
    """
    cases = os.pathsep.join(str(Path(d).absolute()) for d in case_dirs)
    modules = os.pathsep.join(str(Path(m).absolute()) for m in register)
    return _run_js(["--test", "--test-reporter=spec", "parity.test.js"],
                   {"PARITY_CASES": cases, "PARITY_REGISTER": modules}, timeout)


def run_predict(*case_dirs, timeout: float | None = 600) -> subprocess.CompletedProcess:
    """Runs the plain CLI `node predict.js case_dirs...` (one line per case; exit 1 on failure)."""
    return _run_js(["predict.js", *(str(Path(d).absolute()) for d in case_dirs)], {}, timeout)


def read_result(case_dir) -> dict:
    """The result.json the runner wrote into case_dir."""
    path = Path(case_dir) / "result.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no result (the Node runner did not run this case)")
    return json.loads(path.read_text())


def flip_first_weight_bit(src_dir, dest_dir, shard="group1-shard1of1.bin"):
    """Copy src_dir (a case or a model directory) to dest_dir with the lowest exponent bit of the
    first stored float32 weight flipped (that weight doubles or halves): the mutation a parity
    check must catch. The shard is looked up in dest_dir/model/ for a case, else in dest_dir/.
    Returns dest_dir as a Path."""
    dest = Path(dest_dir)
    shutil.copytree(src_dir, dest)
    path = dest / "model" / shard if (dest / "model").is_dir() else dest / shard
    data = bytearray(path.read_bytes())
    data[3] ^= 0x01
    path.write_bytes(bytes(data))
    return dest


def assert_within_bounds(result, backend="tensorflow", context=""):
    """A runner result passed on `backend` ("tensorflow" = the native tfjs-node backend, not a
    stand-in), every output within its bound, and outputs not all ~0 (that would prove nothing)."""
    assert result["ok"], (result, context)
    assert result["backend"] == backend, result
    for output in result["outputs"]:
        assert output["max_abs_err"] <= output["bound"], output
        assert output["max_abs_expected"] > 1e-3, "outputs all ~0: the comparison would prove nothing"


def assert_quantised_weights_used(result, context=""):
    """A quantised case really ran quantised weights: its outputs differ from the float model's."""
    assert max(o["max_abs_err_vs_float"] for o in result["outputs"]) > 1e-6, (context, result)


def assert_corruption_caught(case_dir, scratch_dir):
    """Mutation check: a copy of a passing case with one weight bit flipped must fail parity."""
    broken = flip_first_weight_bit(case_dir, scratch_dir)
    run = run_node_tests(broken)
    assert run.returncode != 0
    assert not read_result(broken)["ok"]
