"""The light TF.js runtime for `verify`: TF.js core, layers and converter with the WASM backend,
from the npm registry as they are (no install scripts, no native build, no other download).

`install(dir)` copies the pinned package.json + package-lock.json shipped in light/ into dir and
runs `npm ci` there; `default_dir()` is where `tfjs-export install-runtime` puts it and where
node.py looks last.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tfjs_export.converter.errors import ConversionError

PACKAGE_DIR = Path(__file__).resolve().parent / "light"
PACKAGE_FILES = ("package.json", "package-lock.json")


def default_dir() -> Path:
    """$XDG_CACHE_HOME/tfjs-export/runtime (~/.cache/tfjs-export/runtime by default)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "tfjs-export" / "runtime"


def install(target: Path, npm: str | None = None) -> Path:
    """Install the light runtime into target/node_modules from the shipped lock; returns it.

    The lock pins every package and its integrity hash; `--ignore-scripts` because none of them
    needs an install script (so nothing is fetched from outside the registry)."""
    npm = npm or shutil.which("npm")
    if not npm:
        raise ConversionError("npm (Node.js 18 or newer) is not on PATH", str(target))
    target = Path(target).absolute()
    if target.exists() and not target.is_dir():
        raise ConversionError("is not a directory", str(target))
    target.mkdir(parents=True, exist_ok=True)
    for name in PACKAGE_FILES:
        shutil.copyfile(PACKAGE_DIR / name, target / name)
    proc = subprocess.run([npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                          cwd=target, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["npm failed"])[-1]
        raise ConversionError(f"npm ci failed: {last}", str(target))
    return target / "node_modules"
