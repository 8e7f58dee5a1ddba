"""Summarise a converted TF.js model directory without TensorFlow: format, producer, inputs and
outputs (and their dict / nested structure), layer/op counts, weights by group and shard, quantisation, and a consistency check of
the shards against the manifest (through codec.read_weights, which reads exactly what TF.js reads).
"""

import collections
import os

import numpy as np

from tfjs_export.converter.model_dir import read_model_dir
from tfjs_export.converter.report import weight_bytes
from tfjs_export.converter.structure import METADATA_KEY as STRUCTURE_KEY


def inspect_model(model_dir):
    """Return a JSON-able summary of the model in `model_dir`; ConversionError if it is broken."""
    checked = read_model_dir(model_dir)  # model.json against the schema, shards against the manifest
    model, manifest, topology = checked.model_json, checked.manifest, checked.topology
    arrays = checked.read_weights()  # fails on a shard whose bytes do not decode as declared

    fmt = checked.format
    summary = {
        "format": fmt,
        "generated_by": model.get("generatedBy"),
        "converted_by": model.get("convertedBy"),
        **(_graph_io(model) if fmt == "graph-model" else _layers_io(topology)),
        "groups": [],
    }
    recorded = (model.get("userDefinedMetadata") or {}).get(STRUCTURE_KEY)
    if recorded is not None:  # dict / nested inputs and outputs (converter/structure.py)
        summary["structure"] = recorded
    stored_total = float_total = 0
    for index, group in enumerate(manifest, start=1):
        shards = [{"path": p, "bytes": os.path.getsize(os.path.join(checked.path, p))} for p in group["paths"]]
        weights = []
        for spec in group["weights"]:
            entry, stored, as_float = _weight_summary(spec, arrays[spec["name"]])
            weights.append(entry)
            stored_total += stored
            float_total += as_float
        summary["groups"].append({"group": index, "shards": shards, "weights": weights})
    summary["weight_bytes"] = stored_total
    summary["bytes_saved_by_quantization"] = float_total - stored_total
    return summary


def _weight_summary(spec, array):
    """(summary entry, bytes stored, bytes it would take unquantised) for one manifest weight."""
    as_float, stored = weight_bytes(spec, array)
    quantization = spec.get("quantization")
    entry = {"name": spec["name"], "shape": spec["shape"], "dtype": spec["dtype"], "bytes": stored}
    if quantization:
        entry["quantization"] = quantization["dtype"]
    if array.dtype.kind == "f" and array.size:
        finite = array[np.isfinite(array)]
        if finite.size:
            entry["range"] = [float(finite.min()), float(finite.max())]
    return entry, stored, as_float


def _layers_io(topology):
    config = topology.get("model_config", topology)
    inner = config.get("config", {})
    layers = inner if isinstance(inner, list) else inner.get("layers", [])  # old Sequential: a bare list
    counts = collections.Counter(layer.get("class_name") for layer in layers)
    inputs = []
    for layer in layers:
        cfg = layer.get("config", {})
        if layer.get("class_name") == "InputLayer" or (not inputs and "batch_input_shape" in cfg):
            inputs.append({"name": cfg.get("name"), "shape": cfg.get("batch_input_shape"),
                           "dtype": cfg.get("dtype", "float32")})
    if config.get("class_name") == "Sequential":
        inputs = inputs[:1]
        outputs = [{"name": layers[-1]["config"].get("name")}] if layers else []
    else:
        outputs = [{"name": ref[0]} for ref in inner.get("output_layers", [])]
    return {"model_class": config.get("class_name"), "inputs": inputs, "outputs": outputs,
            "layer_counts": dict(sorted(counts.items()))}


def _graph_io(model):
    def tensors(section):
        out = []
        for key, info in sorted(model.get("signature", {}).get(section, {}).items()):
            dims = [int(d.get("size", -1)) for d in info.get("tensorShape", {}).get("dim", [])]
            out.append({"name": info.get("name", key), "shape": dims, "dtype": info.get("dtype")})
        return out
    nodes = model["modelTopology"].get("node", [])
    counts = collections.Counter(node.get("op") for node in nodes)
    return {"inputs": tensors("inputs"), "outputs": tensors("outputs"), "op_counts": dict(sorted(counts.items()))}
