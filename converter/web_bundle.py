"""Web bundle: makes a converted TF.js model directory ready for an offline-capable web page.

`write_bundle(model_dir)` checks that model_dir is a converted model (model.json + every weight
shard it lists, with the byte count its weights need), then writes next to model.json:
    integrity.json           SHA-256 and size of model.json, of every shard and of
                             tfjs-export-layers.js (our JS layer classes) when the model has it
    tfjs-bundle-loader.js    loads the model, verifying each file against integrity.json, keeping
                             it in Cache Storage (offline second visit; resumes a broken download)
    tfjs-bundle-sw.js        service worker keeping the page, loader and TF.js for offline visits
    index.html               demo page: picks the fastest backend (WebGPU, WebGL, WASM, CPU), shows
                             inputs/outputs and size, predicts on random input or a picked image,
                             a classifier's top classes as labelled bars, timings
    tfjs/                    (with tfjs_modules) TF.js, its WASM backend and (when installed) its
                             WebGPU backend, copied from node_modules
Nothing is written when a check fails (ConversionError naming the file). Output is deterministic.
"""
from __future__ import annotations

import contextlib
import hashlib
import html
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.model_dir import read_model_dir
from tfjs_export.converter.writers.layers_js import FILE_NAME as LAYERS_JS

ASSETS = Path(__file__).parent / "bundle_assets"
LOADER, SERVICE_WORKER, PAGE, INTEGRITY = ("tfjs-bundle-loader.js", "tfjs-bundle-sw.js", "index.html",
                                           "integrity.json")
BUNDLE_FILES = (LOADER, SERVICE_WORKER, PAGE, INTEGRITY)
TFJS_DIR = "tfjs"
# Files of @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm the page uses (source, name in tfjs/).
TFJS_FILES = [("@tensorflow/tfjs/dist/tf.min.js", "tf.min.js"),
              ("@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js", "tf-backend-wasm.min.js"),
              ("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm", "tfjs-backend-wasm.wasm"),
              ("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-simd.wasm"),
              ("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm",
               "tfjs-backend-wasm-threaded-simd.wasm")]
# Copied when node_modules has them: the page then offers WebGPU (its first choice) too.
OPTIONAL_TFJS_FILES = [("@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js", "tf-backend-webgpu.min.js")]


@dataclass
class BundleSummary:
    """What write_bundle wrote: files (relative names), model bytes covered by integrity.json."""
    model_dir: str
    files: list = field(default_factory=list)
    model_bytes: int = 0
    shards: int = 0
    tfjs_copied: bool = False
    tfjs_present: bool = False  # tfjs/tf.min.js is there (copied now or earlier)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _tfjs_sources(tfjs_modules) -> list[tuple[Path, str]]:
    modules = Path(tfjs_modules)
    sources = [(modules / src, name) for src, name in TFJS_FILES]
    for src, _ in sources:
        if not src.is_file():
            raise ConversionError("not found (--tfjs wants a node_modules directory holding "
                                  "@tensorflow/tfjs and @tensorflow/tfjs-backend-wasm)", src)
    return sources + [(modules / src, name) for src, name in OPTIONAL_TFJS_FILES if (modules / src).is_file()]


def _check_target(path: Path):
    """A file the bundle (re)writes must be absent or a regular file: never replace a directory."""
    if os.path.lexists(path) and (path.is_symlink() or not path.is_file()):
        what = "a symlink" if path.is_symlink() else "a directory" if path.is_dir() else "not a regular file"
        raise ConversionError(f"is {what}, but bundle writes a file there: move it away first", path)


def _write_all(root: Path, contents: dict, copies: dict):
    """Write every file (`contents`: path -> bytes, `copies`: path -> source) through temporary
    siblings, renamed into place only when all are written; on failure remove what was added."""
    tfjs_dir = root / TFJS_DIR
    made_dir = bool(copies) and not tfjs_dir.exists()
    temps = []
    try:
        if made_dir:
            tfjs_dir.mkdir()
        for path, data in [*contents.items(), *copies.items()]:
            tmp = path.with_name(f".{path.name}.tmp")
            temps.append((tmp, path))
            if isinstance(data, Path):
                shutil.copyfile(data, tmp)
            else:
                tmp.write_bytes(data)
        for tmp, path in temps:
            os.replace(tmp, path)
    except BaseException as err:  # any failure (or Ctrl-C): remove what this run added
        for tmp, _ in temps:
            with contextlib.suppress(OSError):
                tmp.unlink()
        if made_dir:
            shutil.rmtree(tfjs_dir, ignore_errors=True)
        if isinstance(err, OSError):
            raise ConversionError(f"cannot write the bundle: {err.strerror or err}", err.filename or root) from None
        raise


def write_bundle(model_dir, *, tfjs_modules=None, labels=None) -> BundleSummary:
    """Checks model_dir and writes the bundle files next to model.json (see module docstring);
    `labels` (class names) go into model.json's userDefinedMetadata first."""
    root = Path(model_dir)
    checked = read_model_dir(root)
    shards = [Path(p) for p in checked.shards]
    sources = _tfjs_sources(tfjs_modules) if tfjs_modules else []
    summary = BundleSummary(model_dir=str(root), shards=len(shards), tfjs_copied=bool(sources))
    tfjs_dir = root / TFJS_DIR
    if sources and os.path.lexists(tfjs_dir) and (tfjs_dir.is_symlink() or not tfjs_dir.is_dir()):
        raise ConversionError("is not a directory, but bundle --tfjs copies TF.js there: move it away first",
                              tfjs_dir)
    for name in BUNDLE_FILES:
        _check_target(root / name)
    copies = {tfjs_dir / name: src for src, name in sources}
    for path in copies:
        _check_target(path)
    if labels:  # after the checks (a refused bundle changes nothing), before integrity.json covers it
        from tfjs_export.converter.labels import write_labels
        write_labels(root, labels)

    files = {}
    library = root / LAYERS_JS  # our JS layer classes, which the loader runs before the model
    for path in [root / "model.json", *shards] + ([library] if library.is_file() else []):
        size = path.stat().st_size
        files[path.relative_to(root).as_posix()] = {"size": size, "sha256": _sha256(path)}
        summary.model_bytes += size
    integrity = {"algorithm": "SHA-256", "format": checked.format, "files": files}
    integrity_bytes = (json.dumps(integrity, indent=1) + "\n").encode()

    summary.files = [f"{TFJS_DIR}/{name}" for _, name in sources]
    present = set(summary.files)
    if tfjs_dir.is_dir():
        present |= {f"{TFJS_DIR}/{p.name}" for p in tfjs_dir.glob("*") if not p.name.startswith(".")}
    present_tfjs = sorted(present)
    shell = [PAGE, LOADER] + present_tfjs
    summary.tfjs_present = f"{TFJS_DIR}/tf.min.js" in present_tfjs
    version = hashlib.sha256(integrity_bytes + (ASSETS / LOADER).read_bytes() + (ASSETS / PAGE).read_bytes()
                             + json.dumps(shell).encode()).hexdigest()[:16]
    config = checked.topology.get("config") if checked.format == "layers-model" else None
    title = config.get("name") if isinstance(config, dict) else None
    title = html.escape(str(title or root.resolve().name))

    webgpu = '<script src="tfjs/tf-backend-webgpu.min.js"></script>' if "tfjs/tf-backend-webgpu.min.js" in present_tfjs else ""
    _write_all(root, {
        root / INTEGRITY: integrity_bytes,
        root / LOADER: (ASSETS / LOADER).read_bytes(),
        root / SERVICE_WORKER: (ASSETS / SERVICE_WORKER).read_text().replace(
            "__SHELL_FILES__", json.dumps(shell)).replace("__VERSION__", version).encode(),
        root / PAGE: (ASSETS / PAGE).read_text().replace("__TITLE__", title).replace(
            "__WEBGPU_SCRIPT__\n", webgpu + "\n" if webgpu else "").encode(),
    }, copies)
    summary.files = [INTEGRITY, LOADER, SERVICE_WORKER, PAGE] + summary.files
    return summary
