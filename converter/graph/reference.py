"""Run a written graph model in TensorFlow with its weights decoded exactly as TF.js decodes
them: the reference for quantised graph models (verify, parity tests). Imports TensorFlow."""

import numpy as np

from tfjs_export.converter.errors import ConversionError


def run_written_graph_model(model_dir, inputs):
    """Outputs of model_dir's graph (a path or a model_dir.ModelDir) for `inputs` (in sorted
    signature-key order, tables' resource inputs left out), in sorted signature-key order of the
    outputs."""
    import tensorflow as tf
    from google.protobuf.json_format import ParseDict, ParseError

    from tfjs_export.converter.graph import fused_ops, loop_frames
    from tfjs_export.converter.model_dir import ModelDir, read_model_dir
    checked = model_dir if isinstance(model_dir, ModelDir) else read_model_dir(model_dir)
    model = checked.model_json
    weights = checked.read_weights()
    try:
        graph_def = ParseDict(model["modelTopology"], tf.compat.v1.GraphDef())
        if model.get("modelInitializer", {}).get("node"):
            ParseDict(model["modelInitializer"], tf.compat.v1.GraphDef())
    except ParseError as err:  # a field TF.js ignores but a GraphDef cannot hold
        raise ConversionError(f"modelTopology is not a GraphDef TensorFlow can run ({str(err).splitlines()[0]})",
                              checked.model_json_path) from None
    for node in graph_def.node:
        if node.op == "Const":
            dtype = tf.as_dtype(node.attr["dtype"].type)
            value = weights.pop(node.name)
            node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(np.asarray(value).astype(dtype.as_numpy_dtype)))
    # TF has no kernel for TF.js's own fused depthwise op: run it as its parts.
    fused_ops.unfuse_unsupported(graph_def, always=("FusedDepthwiseConv2dNative",))
    loop_frames.enter_outer_inputs(graph_def)  # TF wants loop bodies to read outside values through Enters
    signature = model["signature"]
    user_inputs = sorted(k for k, v in signature["inputs"].items() if "resourceId" not in v)
    with tf.Graph().as_default() as graph:
        # Hash tables (tables.py): the initializer graph fills them; its handles feed the main
        # graph's resource placeholders, matched by resourceId as TF.js matches them.
        handles, table_loads = {}, []
        if model.get("modelInitializer", {}).get("node"):
            initializer = ParseDict(model["modelInitializer"], tf.compat.v1.GraphDef())
            for node in initializer.node:
                if node.op == "Const":
                    dtype = tf.as_dtype(node.attr["dtype"].type)
                    node.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(
                        np.asarray(weights.pop(node.name)).astype(dtype.as_numpy_dtype)))
            outputs = model["initializerSignature"]["outputs"]
            fetched = tf.graph_util.import_graph_def(initializer, return_elements=list(outputs), name="initializer")
            handles = {info["resourceId"]: tensor for info, tensor in zip(outputs.values(), fetched)}
            table_loads = [op for op in graph.get_operations() if op.type == "LookupTableImportV2"]
        input_map = {v["name"]: handles[v["resourceId"]] for v in signature["inputs"].values() if "resourceId" in v}
        tf.graph_util.import_graph_def(graph_def, input_map=input_map, name="")
        with tf.compat.v1.Session(graph=graph) as session:
            if table_loads:
                session.run(table_loads)
            feeds = {signature["inputs"][k]["name"]: x for k, x in zip(user_inputs, inputs)}
            fetches = [signature["outputs"][k]["name"] for k in sorted(signature["outputs"])]
            return session.run(fetches, feeds)
