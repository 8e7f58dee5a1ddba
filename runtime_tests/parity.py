"""Test-side helpers around the product runner (tfjs_export.converter.runtime).

The case format and the Node runner are product code (converter/runtime/); the tests add the
node --test entry point (parity.test.js, one test per case, custom layer registration), the
assertions every parity test makes, and the mutation check. The tests' reference runtime is
tfjs-node in runtime_tests/node_modules (tools/setup.sh); the light runtime (WASM) is tested
through `run_predict(..., node_modules=light_node_modules())`.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Sequence

from tfjs_export.converter.runtime.cases import read_result, write_case  # noqa: F401  (re-exported)
from tfjs_export.converter.runtime.node import node_binary, node_env, run_js, run_predict  # noqa: F401

_SETUP_HINT = "run tools/setup.sh"
HERE = Path(os.path.realpath(__file__)).parent


def _clone_root() -> Path:
    return Path(os.environ["TFJS_EXPORT_ROOT"]) if os.environ.get("TFJS_EXPORT_ROOT") else HERE.parent


def find_runtime_dir() -> Path:
    """runtime_tests/ (the real directory, where node_modules with tfjs-node sits: under Bazel
    the runfiles are symlinks into the source tree, and node_modules, 720 MB, is no declared
    input); RuntimeError if tfjs-node is missing."""
    runtime = _clone_root() / "runtime_tests"
    module = runtime / "node_modules" / "@tensorflow" / "tfjs-node"
    if not (module / "package.json").is_file():
        raise RuntimeError(f"{module} is missing; {_SETUP_HINT}")
    return runtime


def light_node_modules() -> Path:
    """The light runtime's node_modules that tools/setup.sh installs from the shipped lock
    (.cache/light-runtime); RuntimeError if it is missing."""
    modules = _clone_root() / ".cache" / "light-runtime" / "node_modules"
    if not (modules / "@tensorflow" / "tfjs-backend-wasm" / "package.json").is_file():
        raise RuntimeError(f"{modules} holds no light runtime; {_SETUP_HINT}")
    return modules


def run_node_tests(*case_dirs, timeout: float | None = 600, register: Sequence[str] = ()):
    """Runs `node --test parity.test.js` with PARITY_CASES=case_dirs on tfjs-node; output captured.

    No case dirs means PARITY_CASES is empty, which the runner reports as a failure.
    register: JS modules, each exporting `(tf) => void`, run before any model loads (they
    register custom layer classes with tf.serialization.registerClass).
    """
    cases = os.pathsep.join(str(Path(d).absolute()) for d in case_dirs)
    modules = os.pathsep.join(str(Path(m).absolute()) for m in register)
    runtime = find_runtime_dir()
    return run_js(["--test", "--test-reporter=spec", "parity.test.js"], cwd=runtime, timeout=timeout,
                  env_extra={"PARITY_CASES": cases, "PARITY_REGISTER": modules},
                  node_modules=runtime / "node_modules")


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
