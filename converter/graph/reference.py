"""Run a written graph model in TensorFlow with its weights decoded exactly as TF.js decodes
them: the reference for quantised graph models (verify, parity tests). Imports TensorFlow."""

import json
import os

import numpy as np

import codec


def run_written_graph_model(model_dir, inputs):
    """Outputs of model_dir's graph for `inputs` (in sorted signature-key order), in sorted
    signature-key order of the outputs."""
    import tensorflow as tf
    from google.protobuf.json_format import ParseDict

    from converter.graph import fused_ops
    with open(os.path.join(model_dir, "model.json"), encoding="utf-8") as f:
        model = json.load(f)
    weights = codec.read_weights(model["weightsManifest"], model_dir)
    graph_def = ParseDict(model["modelTopology"], tf.compat.v1.GraphDef())
    for node in graph_def.node:
        if node.op == "Const":
            dtype = tf.as_dtype(node.attr["dtype"].type)
            value = weights.pop(node.name)
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(np.asarray(value).astype(dtype.as_numpy_dtype)))
    # TF has no kernel for TF.js's own fused depthwise op: run it as its parts.
    fused_ops.unfuse_unsupported(graph_def, always=("FusedDepthwiseConv2dNative",))
    signature = model["signature"]
    with tf.Graph().as_default() as graph:
        tf.graph_util.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=graph) as session:
            feeds = {signature["inputs"][k]["name"]: x for k, x in zip(sorted(signature["inputs"]), inputs)}
            fetches = [signature["outputs"][k]["name"] for k in sorted(signature["outputs"])]
            return session.run(fetches, feeds)
