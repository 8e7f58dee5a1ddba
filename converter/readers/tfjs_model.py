"""Reader for TF.js model directories: a Layers or Graph `model.json` with its shards -> ModelSpec.

Reads what we write, what the official converter writes and what TF.js itself saves
(`model.save('file://...')` in tfjs-node: `model.json` + `weights.bin`). SRC may be the directory
or its `model.json` (the official converter takes the latter). Nothing is trusted before
converter.model_dir has checked it. The weights are decoded exactly as TF.js decodes them: stored
quantised, they come back as float32 (a notice says so; re-quantising rounds again).
"""

import os

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.model_dir import MODEL_JSON, read_model_dir
from tfjs_export.converter.spec import ModelSpec, Weight

# model.json fields a Graph model carries besides its topology and manifest (kept as they are).
_GRAPH_EXTRA = ("signature", "modelInitializer", "initializerSignature")


def model_dir_of(path):
    """The model directory named by `path`: the directory itself, or the one holding `model.json`."""
    path = os.fspath(path)
    if os.path.basename(path) == MODEL_JSON and not os.path.isdir(path):
        return os.path.dirname(path) or "."
    return path


def read_tfjs_model(path, expected_format=None):
    """Read the TF.js model at `path` (directory or its model.json) into a ModelSpec of its own
    format ("layers-model" or "graph-model"). `expected_format`, if given, is the one --input_format
    named: another one is refused with a line saying which the directory holds."""
    model_dir = read_model_dir(model_dir_of(path))
    fmt = model_dir.format
    if expected_format and fmt != expected_format:
        named = {"layers-model": "tfjs_layers_model", "graph-model": "tfjs_graph_model"}
        raise ConversionError(f"holds a TF.js {fmt} (--input_format {named[fmt]}), not a {expected_format}",
                              model_dir.model_json_path)
    arrays = model_dir.read_weights()
    # The manifest's order is the order TF.js binds weights in: keep it.
    names = [w["name"] for group in model_dir.manifest for w in group["weights"]]
    spec = ModelSpec(format=fmt, topology=model_dir.topology,
                     weights=[Weight(name, arrays[name]) for name in names],
                     generated_by=str(model_dir.model_json.get("generatedBy", "")))
    if fmt == "graph-model":
        spec.extra = {key: model_dir.model_json[key] for key in _GRAPH_EXTRA if key in model_dir.model_json}
    quantized = sorted({w["quantization"]["dtype"] for group in model_dir.manifest for w in group["weights"]
                        if "quantization" in w})
    if quantized:
        spec.notices.append(f"weights stored quantised ({', '.join(quantized)}) are read back as float32, "
                            "exactly as TF.js decodes them (the rounding they had is kept)")
    return spec


def user_metadata(path):
    """model.json's userDefinedMetadata of the model at `path` (already validated), or None."""
    return read_model_dir(model_dir_of(path), check_shards=False).model_json.get("userDefinedMetadata")
