"""Step 6: write the Graph model directory: weight shards through the codec, then model.json
(`format: "graph-model"`, the GraphDef as JSON, the signature, the weights manifest).

Bytes are deterministic: the GraphDef is turned into JSON with sorted keys and no timestamps.
"""

import json
import os

from tfjs_export import codec

from tfjs_export.converter.graph.tf_modules import tensorflow_protos
from tfjs_export.converter.version import CONVERTED_BY
from tfjs_export.converter.writers.atomic_dir import atomic_output_dir

def signature_json(inputs, outputs):
    """The model.json `signature`: {"inputs": {key: TensorInfo}, "outputs": {...}} as tfjs reads it."""
    return {"inputs": {i.key: _tensor_info(i) for i in inputs},
            "outputs": {o.key: _tensor_info(o) for o in outputs}}


def _tensor_info(info):
    types_pb2 = tensorflow_protos().types_pb2
    entry = {"name": info.name, "dtype": types_pb2.DataType.Name(info.dtype)}
    if info.shape is None:
        entry["tensorShape"] = {"unknownRank": True}
    else:
        entry["tensorShape"] = {"dim": [{"size": str(-1 if d is None else d)} for d in info.shape]}
    return entry


def write_graph_model(graph_def, signature, weights, out_dir, plan, shard_size, overwrite=False,
                      generated_by="", tables=None, progress=None):
    """Write model.json + shards into out_dir atomically; return the list of files written.
    tables: a tables.TableGraphs, written as `modelInitializer` + `initializerSignature`;
    `progress(done, total)` follows the shard writing (bytes)."""
    from google.protobuf.json_format import MessageToDict

    topology = MessageToDict(graph_def)
    with atomic_output_dir(out_dir, overwrite) as tmp:
        group = codec.write_weights(
            [(w.name, w.array, plan.dtype_for(w.name, w.array)) for w in weights],
            tmp, shard_size=shard_size, progress=progress)
        model_json = {
            "format": "graph-model",
            "generatedBy": generated_by,
            "convertedBy": CONVERTED_BY,
            "modelTopology": topology,
            "signature": signature,
            "weightsManifest": [group] if group["weights"] else [],
        }
        if tables:
            model_json["modelInitializer"] = MessageToDict(tables.initializer)
            model_json["initializerSignature"] = tables.initializer_signature
        with open(os.path.join(tmp, "model.json"), "w", encoding="utf-8") as f:
            json.dump(model_json, f, separators=(",", ":"), sort_keys=True, allow_nan=False)
        files = ["model.json"] + list(group["paths"])
    return files
