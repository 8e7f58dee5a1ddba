"""Step 3: TensorFlow's graph optimiser (grappler) on the frozen graph.

Two passes, as TF.js wants them: first constant folding, arithmetic simplification, dependency
pruning (this turns Keras' inference-mode batch norm into per-channel Mul/Add on constants);
then, after our batch-norm folding, the `remap` pass fuses Conv2D/MatMul + BiasAdd + activation
into `_FusedConv2D` / `_FusedMatMul`, which TF.js runs as one kernel.
"""

FIRST_PASS = ("pruning", "constfold", "arithmetic", "dependency", "pruning", "constfold",
              "arithmetic", "dependency")
FUSE_PASS = ("remap", "constfold", "arithmetic", "dependency")


def optimize(graph_def, inputs, outputs, optimizers=FIRST_PASS):
    """Run grappler with `optimizers` over graph_def; inputs/outputs are freeze.TensorInfo lists."""
    from tensorflow.core.protobuf import config_pb2, meta_graph_pb2
    from tensorflow.python.grappler import tf_optimizer

    # The MetaGraphDef is built by hand rather than through a tf.Graph import + export: each of
    # those is one more full copy of the weights (ResNet50: ~100 MB each) for nothing.
    meta_graph = meta_graph_pb2.MetaGraphDef()
    meta_graph.graph_def.CopyFrom(graph_def)
    # Grappler keeps what the 'train_op' collection and the signature fetch; the rest is pruned.
    meta_graph.collection_def["train_op"].node_list.value.extend(o.name.split(":")[0] for o in outputs)
    signature = meta_graph_pb2.SignatureDef()
    for entries, infos in ((signature.inputs, inputs), (signature.outputs, outputs)):
        for i, info in enumerate(infos):
            entries[f"t{i}"].name = info.name
            entries[f"t{i}"].dtype = info.dtype  # grappler aborts the process on an unset dtype
    meta_graph.signature_def["tfjs_export"].CopyFrom(signature)

    config = config_pb2.ConfigProto()
    config.graph_options.rewrite_options.optimizers[:] = list(optimizers)
    # The remapper fuses only ops placed on a CPU device.
    for node in meta_graph.graph_def.node:
        if node.op in ("Conv2D", "MatMul") and "remap" in optimizers:
            node.device = "/device:CPU:0"
    optimized = tf_optimizer.OptimizeGraph(config, meta_graph, cluster=_cluster())
    for node in optimized.node:
        node.device = ""  # placement means nothing to TF.js; keep the output machine-independent
    return optimized


def _cluster():
    """A one-GPU cluster, as the official converter uses: grappler then keeps the graph portable
    (no CPU-only layout changes), while the Conv2D/MatMul nodes placed on the CPU get fused."""
    from tensorflow.core.protobuf import device_properties_pb2
    from tensorflow.python.grappler import cluster as gcluster

    device = device_properties_pb2.NamedDevice()
    device.name = "/GPU:0"
    device.properties.type = "GPU"
    device.properties.environment["architecture"] = "4"
    return gcluster.Cluster(devices=[device])
