"""The Graph model's own model.json fields: the `signature` (inputs and outputs as TF.js reads
them). The directory itself is written by converter/model_dir.py (with sorted keys: bytes are
deterministic)."""

from tfjs_export.converter.graph.tf_modules import tensorflow_protos


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
