"""Web bundle: makes a converted TF.js model directory ready for an offline-capable web page.

`write_bundle(model_dir)` checks that model_dir is a converted model (model.json + every weight
shard it lists, with the byte count its weights need), then writes next to model.json:
    integrity.json           SHA-256 and size of model.json and of every shard
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

import hashlib
import html
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tfjs_export.converter.errors import ConversionError

ASSETS = Path(__file__).parent / "bundle_assets"
LOADER, SERVICE_WORKER, PAGE, INTEGRITY = ("tfjs-bundle-loader.js", "tfjs-bundle-sw.js", "index.html",
                                           "integrity.json")
# Files of @tensorflow/tfjs and @tensorflow/tfjs-backend-wasm the page uses (source, name in tfjs/).
TFJS_FILES = [("@tensorflow/tfjs/dist/tf.min.js", "tf.min.js"),
              ("@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js", "tf-backend-wasm.min.js"),
              ("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm", "tfjs-backend-wasm.wasm"),
              ("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-simd.wasm"),
              ("@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm",
               "tfjs-backend-wasm-threaded-simd.wasm")]
# Copied when node_modules has them: the page then offers WebGPU (its first choice) too.
OPTIONAL_TFJS_FILES = [("@tensorflow/tfjs-backend-webgpu/dist/tf-backend-webgpu.min.js", "tf-backend-webgpu.min.js")]
# Bytes per element as stored in a shard (quantised weights: the quantised dtype).
_STORED_BYTES = {"float32": 4, "int32": 4, "bool": 1, "complex64": 8, "uint8": 1, "uint16": 2,
                 "float16": 2}


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


def _group_bytes(weights) -> int | None:
    """Bytes a manifest group's weights take in its shards; None if not fixed (string weights)."""
    total = 0
    for w in weights:
        dtype = (w.get("quantization") or {}).get("dtype") or w.get("dtype", "float32")
        if dtype not in _STORED_BYTES:
            return None
        n = 1
        for d in w.get("shape", []):
            n *= int(d)
        total += n * _STORED_BYTES[dtype]
    return total


def read_model_dir(model_dir) -> tuple[dict, list[Path]]:
    """(model.json as a dict, shard paths in manifest order); ConversionError if not a whole model."""
    root = Path(model_dir)
    if not root.exists():
        raise ConversionError("no such directory", root)
    if not root.is_dir():
        raise ConversionError("not a directory (expected a converted TF.js model directory)", root)
    model_path = root / "model.json"
    if not model_path.is_file():
        raise ConversionError("not a converted TF.js model directory (no model.json)", root)
    try:
        model = json.loads(model_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConversionError(f"not valid JSON ({err})", model_path) from None
    if not isinstance(model, dict) or "modelTopology" not in model or "weightsManifest" not in model:
        raise ConversionError("not a TF.js model.json (needs modelTopology and weightsManifest)", model_path)
    shards = []
    for g, group in enumerate(model["weightsManifest"], 1):
        sizes = 0
        for name in group.get("paths", []):
            if not isinstance(name, str) or os.path.isabs(name) or ".." in Path(name).parts:
                raise ConversionError(f"weight path {name!r} leaves the model directory", model_path)
            shard = root / name
            if not shard.is_file():
                raise ConversionError("weight shard listed in model.json is missing", shard)
            sizes += shard.stat().st_size
            shards.append(shard)
        need = _group_bytes(group.get("weights", []))
        if need is not None and need != sizes:
            raise ConversionError(f"weight group {g}: shards hold {sizes} bytes but its weights need "
                                  f"{need} (truncated or wrong shard)", root / group["paths"][-1])
    return model, shards


def _tfjs_sources(tfjs_modules) -> list[tuple[Path, str]]:
    modules = Path(tfjs_modules)
    sources = [(modules / src, name) for src, name in TFJS_FILES]
    for src, _ in sources:
        if not src.is_file():
            raise ConversionError("not found (--tfjs wants a node_modules directory holding "
                                  "@tensorflow/tfjs and @tensorflow/tfjs-backend-wasm)", src)
    return sources + [(modules / src, name) for src, name in OPTIONAL_TFJS_FILES if (modules / src).is_file()]


def _write(path: Path, data: bytes):
    """Write via a temporary sibling then rename: a reader never sees half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def write_bundle(model_dir, *, tfjs_modules=None, labels=None) -> BundleSummary:
    """Checks model_dir and writes the bundle files next to model.json (see module docstring);
    `labels` (class names) go into model.json's userDefinedMetadata first."""
    root = Path(model_dir)
    model, shards = read_model_dir(root)
    sources = _tfjs_sources(tfjs_modules) if tfjs_modules else []
    if labels:
        from tfjs_export.converter.labels import write_labels
        write_labels(root, labels)  # before integrity.json: it covers the new model.json
    summary = BundleSummary(model_dir=str(root), shards=len(shards), tfjs_copied=bool(sources))

    files = {}
    for path in [root / "model.json", *shards]:
        size = path.stat().st_size
        files[path.relative_to(root).as_posix()] = {"size": size, "sha256": _sha256(path)}
        summary.model_bytes += size
    integrity = {"algorithm": "SHA-256", "format": model.get("format", "layers-model"), "files": files}
    integrity_bytes = (json.dumps(integrity, indent=1) + "\n").encode()

    if sources:
        (root / "tfjs").mkdir(exist_ok=True)
        for src, name in sources:
            shutil.copyfile(src, root / "tfjs" / f".{name}.tmp")
            os.replace(root / "tfjs" / f".{name}.tmp", root / "tfjs" / name)
            summary.files.append(f"tfjs/{name}")
    present_tfjs = sorted(f"tfjs/{p.name}" for p in (root / "tfjs").glob("*") if not p.name.startswith(".")) \
        if (root / "tfjs").is_dir() else []
    shell = [PAGE, LOADER] + present_tfjs
    summary.tfjs_present = "tfjs/tf.min.js" in present_tfjs
    version = hashlib.sha256(integrity_bytes + (ASSETS / LOADER).read_bytes() + (ASSETS / PAGE).read_bytes()
                             + json.dumps(shell).encode()).hexdigest()[:16]
    title = (model.get("modelTopology") or {}).get("config", {}).get("name") if isinstance(
        (model.get("modelTopology") or {}).get("config"), dict) else None
    title = html.escape(str(title or root.resolve().name))

    _write(root / INTEGRITY, integrity_bytes)
    _write(root / LOADER, (ASSETS / LOADER).read_bytes())
    _write(root / SERVICE_WORKER, (ASSETS / SERVICE_WORKER).read_text().replace(
        "__SHELL_FILES__", json.dumps(shell)).replace("__VERSION__", version).encode())
    webgpu = '<script src="tfjs/tf-backend-webgpu.min.js"></script>' if "tfjs/tf-backend-webgpu.min.js" in present_tfjs else ""
    _write(root / PAGE, (ASSETS / PAGE).read_text().replace("__TITLE__", title).replace(
        "__WEBGPU_SCRIPT__\n", webgpu + "\n" if webgpu else "").encode())
    summary.files = [INTEGRITY, LOADER, SERVICE_WORKER, PAGE] + summary.files
    return summary
