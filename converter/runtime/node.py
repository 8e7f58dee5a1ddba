"""Where the TF.js packages are, and running the JavaScript runner (js/predict.js) on case dirs.

The runner runs on whichever TF.js runtime the chosen node_modules directory holds
(js/lib/tf.js): `@tensorflow/tfjs-node` when present, else `@tensorflow/tfjs` with
`@tensorflow/tfjs-backend-wasm`. The directory is put on NODE_PATH, so the runner's own files
can live anywhere (inside an installed wheel, say). It is looked up, the first match winning:

1. the directory the caller names (`--node_modules DIR`),
2. `$TFJS_EXPORT_NODE_MODULES`,
3. in a clone of the repository: `runtime_tests/node_modules` (tools/setup.sh installs it, with
   tfjs-node built locally); `$TFJS_EXPORT_ROOT` names the clone where the file's own location
   cannot (Bazel test sandboxes),
4. the light runtime `tfjs-export install-runtime` installs (light.py).

A directory named in 1 or 2 that holds no runtime is an error, never skipped for the next one.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Mapping, Sequence

from tfjs_export.converter.runtime import light

ENV_NODE_MODULES = "TFJS_EXPORT_NODE_MODULES"
JS_DIR = Path(__file__).resolve().parent / "js"
_HINT = "install one with `tfjs-export install-runtime` (or, in a clone of the repository, run tools/setup.sh)"


class RuntimeMissing(RuntimeError):
    """No usable Node.js or TF.js runtime; the message says how to get one."""


LIGHT_PACKAGES = ("@tensorflow/tfjs-core", "@tensorflow/tfjs-layers", "@tensorflow/tfjs-converter",
                  "@tensorflow/tfjs-backend-wasm")


def holds_runtime(node_modules: Path) -> bool:
    """node_modules holds tfjs-node, or the TF.js packages of the light runtime (js/lib/tf.js)."""
    has = lambda name: (node_modules / name / "package.json").is_file()  # noqa: E731
    return has("@tensorflow/tfjs-node") or all(has(name) for name in LIGHT_PACKAGES)


def _clone_node_modules() -> list[Path]:
    roots = []
    if os.environ.get("TFJS_EXPORT_ROOT"):
        roots.append(Path(os.environ["TFJS_EXPORT_ROOT"]))
    roots.append(Path(os.path.realpath(__file__)).parents[2])  # <clone>/converter/runtime/node.py
    return [root / "runtime_tests" / "node_modules" for root in roots if (root / "WORKSPACE").is_file()]


def find_node_modules(explicit: str | os.PathLike | None = None) -> Path:
    """The node_modules directory to run on (see the module docstring); RuntimeMissing if none."""
    for named, what in ((explicit, "--node_modules"), (os.environ.get(ENV_NODE_MODULES), ENV_NODE_MODULES)):
        if named:
            path = Path(named).expanduser().absolute()
            if path.name != "node_modules" and (path / "node_modules").is_dir():
                path = path / "node_modules"  # the folder that holds node_modules is fine too
            if not holds_runtime(path):
                raise RuntimeMissing(f"{what} {path} holds neither @tensorflow/tfjs-node nor "
                                     f"{' + '.join(LIGHT_PACKAGES)}")
            return path
    for path in [*_clone_node_modules(), light.default_dir() / "node_modules"]:
        if holds_runtime(path):
            return path
    raise RuntimeMissing(f"no TF.js runtime for Node.js found; {_HINT}")


def node_binary() -> str:
    """Path of `node` ($NODE, else PATH); RuntimeMissing if absent."""
    node = os.environ.get("NODE") or shutil.which("node")
    if not node:
        raise RuntimeMissing("`node` (Node.js 18 or newer) is not on PATH")
    return node


def node_env(extra: Mapping[str, str] | None = None, node_modules=None) -> dict:
    """Environment for a Node process that requires the TF.js packages of `find_node_modules`."""
    node_binary()
    modules = find_node_modules(node_modules)
    env = dict(os.environ)
    env["NODE_PATH"] = os.pathsep.join(p for p in (str(modules), env.get("NODE_PATH", "")) if p)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.update(extra or {})
    return env


def run_js(args: Sequence[str], *, cwd, env_extra: Mapping[str, str] | None = None,
           timeout: float | None = 600, node_modules=None) -> subprocess.CompletedProcess:
    """`node ARGS...` in cwd with node_env; output captured as text."""
    return subprocess.run([node_binary(), *args], cwd=cwd, env=node_env(env_extra, node_modules),
                          capture_output=True, text=True, timeout=timeout)


def run_predict(*case_dirs, timeout: float | None = 600, node_modules=None) -> subprocess.CompletedProcess:
    """Runs `node predict.js case_dirs...` (one line per case; exit 1 on failure)."""
    return run_js(["predict.js", *(str(Path(d).absolute()) for d in case_dirs)], cwd=JS_DIR,
                  timeout=timeout, node_modules=node_modules)
