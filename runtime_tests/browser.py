"""Python side of the browser parity runner (runtime_tests/browser_parity.test.js).

The cases are parity.py's (write_case), so one case dir runs in tfjs-node and in headless
Chromium alike. `run_browser_tests` runs every case on each backend; `read_browser_result` reads
the verdict the runner wrote into a case dir (result_browser_<backend>.json), and
`read_report` what ran (backends started or not, Chromium version and flags).
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Mapping, Sequence

from runtime_tests import parity

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Every backend must start, else the run fails naming it: headless Chromium offers WebGL and
# WebGPU through SwiftShader (CPU-emulated GPU; flags in browser/chromium.js).
BACKENDS = ("cpu", "wasm", "webgl", "webgpu")
# The bound on the GPU backends, where it is looser than a case's own (float32 rounding):
# {backend: {"atol", "rtol", "why"}}. Empty: on SwiftShader every case stays within 1e-5.
GPU_FLOORS: dict = {}


def check_browser():
    """RuntimeError naming the fix when Chromium or the npm packages are missing."""
    if not os.access(CHROMIUM, os.X_OK):
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install chromium (run tools/setup.sh)")
    modules = parity.find_runtime_dir() / "node_modules"
    for package in ("playwright-core", "@tensorflow/tfjs", "@tensorflow/tfjs-backend-wasm",
                    "@tensorflow/tfjs-backend-webgpu"):
        if not (modules / package / "package.json").is_file():
            raise RuntimeError(f"{modules / package} is missing; run tools/setup.sh")


def run_browser_tests(*case_dirs, report, backends: Sequence[str] = BACKENDS,
                      required: Sequence[str] = BACKENDS, floors: Mapping[str, dict] | None = None,
                      timeout: float | None = 600) -> subprocess.CompletedProcess:
    """Runs `node --test browser_parity.test.js` over case_dirs; writes the JSON report to report.
    floors: {backend: {"atol", "rtol", "why"}}, a looser bound than a case's own on that backend."""
    check_browser()
    runtime = parity.find_runtime_dir()
    env = parity.node_env({
        "PARITY_CASES": os.pathsep.join(str(Path(d).absolute()) for d in case_dirs),
        "BROWSER_BACKENDS": ",".join(backends), "BROWSER_REQUIRED": ",".join(required),
        "BROWSER_REPORT": str(Path(report).absolute()), "CHROMIUM": CHROMIUM,
        "BROWSER_TOLERANCE": json.dumps(floors or {}),
    })
    return subprocess.run([parity.node_binary(), "--test", "--test-reporter=spec",
                           "browser_parity.test.js"], cwd=runtime, env=env,
                          capture_output=True, text=True, timeout=timeout)


def read_browser_result(case_dir, backend: str) -> dict:
    """result_browser_<backend>.json of case_dir."""
    path = Path(case_dir) / f"result_browser_{backend}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no result (the browser runner did not run this case on {backend})")
    return json.loads(path.read_text())


def read_report(path) -> dict:
    """The run report: {"backends": {name: {"ran", "detail", "passed", "failed"}}, ...}."""
    return json.loads(Path(path).read_text())
