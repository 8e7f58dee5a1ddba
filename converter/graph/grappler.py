"""Step 3: TensorFlow's graph optimiser (grappler) on the frozen graph.

Two passes, as TF.js wants them: first constant folding, arithmetic simplification, dependency
pruning (this turns Keras' inference-mode batch norm into per-channel Mul/Add on constants);
then, after our batch-norm folding, the `remap` pass fuses Conv2D/MatMul + BiasAdd + activation
into `_FusedConv2D` / `_FusedMatMul`, which TF.js runs as one kernel.
"""

from tfjs_export.converter.graph.tf_modules import grappler_modules, tensorflow_protos
from tfjs_export.converter.tf_logs import quiet_tensorflow

# Constants above this size are kept out of grappler (see _without_large_constants).
LARGE_CONSTANT_BYTES = 4096

FIRST_PASS = ("pruning", "constfold", "arithmetic", "dependency", "pruning", "constfold",
              "arithmetic", "dependency")
FUSE_PASS = ("remap", "constfold", "arithmetic", "dependency")


def inline_functions(graph_def, keep, outputs):
    """Inline every function call (aggressively, as TF's own freezing does) and lower While/If
    to Switch/Merge control flow; `keep` and `outputs` are tensor or node names not to prune."""
    protos = tensorflow_protos()
    meta_graph = _meta_graph(graph_def, list(keep) + list(outputs))
    config = protos.config_pb2.ConfigProto()
    rewrite = config.graph_options.rewrite_options
    rewrite.min_graph_nodes = -1  # grappler skips graphs under 4 nodes by default
    rewrite.optimizers[:] = ["function"]
    rewrite.function_optimization = protos.rewriter_config_pb2.RewriterConfig.AGGRESSIVE
    with quiet_tensorflow():
        return grappler_modules().tf_optimizer.OptimizeGraph(config, meta_graph)


def _meta_graph(graph_def, fetch):
    """A MetaGraphDef around graph_def whose 'train_op' collection names what grappler must keep."""
    meta_graph = tensorflow_protos().meta_graph_pb2.MetaGraphDef()
    meta_graph.graph_def.CopyFrom(graph_def)
    meta_graph.collection_def["train_op"].node_list.value.extend(name.split(":")[0] for name in fetch)
    return meta_graph


def optimize(graph_def, inputs, outputs, optimizers=FIRST_PASS):
    """Run grappler with `optimizers` over graph_def; inputs/outputs are freeze.TensorInfo lists."""
    protos = tensorflow_protos()
    # The MetaGraphDef is built by hand rather than through a tf.Graph import + export: each of
    # those is one more full copy of the weights (ResNet50: ~100 MB each) for nothing.
    light, set_aside = _without_large_constants(graph_def)
    meta_graph = _meta_graph(light, [o.name for o in outputs])
    del light
    signature = protos.meta_graph_pb2.SignatureDef()
    for entries, infos in ((signature.inputs, inputs), (signature.outputs, outputs)):
        for i, info in enumerate(infos):
            entries[f"t{i}"].name = info.name
            entries[f"t{i}"].dtype = info.dtype  # grappler aborts the process on an unset dtype
    meta_graph.signature_def["tfjs_export"].CopyFrom(signature)

    config = protos.config_pb2.ConfigProto()
    config.graph_options.rewrite_options.optimizers[:] = list(optimizers)
    # The remapper fuses only ops placed on a CPU device.
    for node in meta_graph.graph_def.node:
        if node.op in ("Conv2D", "MatMul") and "remap" in optimizers:
            node.device = "/device:CPU:0"
    with quiet_tensorflow():
        optimized = grappler_modules().tf_optimizer.OptimizeGraph(config, meta_graph, cluster=_cluster())
    for node in optimized.node:
        node.device = ""  # placement means nothing to TF.js; keep the output machine-independent
        if node.op == "Placeholder" and node.name in set_aside:
            # the stub's inputs as grappler left them: it may have rewired or removed the control
            # edges on it (an inlined call's input_control_node NoOp)
            controls = list(node.input)
            node.CopyFrom(set_aside[node.name])
            del node.input[:]
            node.input.extend(controls)
    return optimized


def _without_large_constants(graph_def):
    """A copy of graph_def whose big Consts are shape-typed Placeholders, and {name: Const node}.

    Grappler copies the whole graph through each of its passes; with the weights in it that is
    ~2 GB and 5 s for ResNet50. Big constants are only ever weights, which our own numpy passes
    (const_fold, fold_batch_norms) compute on; grappler still sees their dtypes and shapes."""
    light = tensorflow_protos().graph_pb2.GraphDef()
    light.versions.CopyFrom(graph_def.versions)
    light.library.CopyFrom(graph_def.library)
    set_aside = {}
    for node in graph_def.node:
        tensor = node.attr["value"].tensor if node.op == "Const" else None
        if tensor is not None and tensor.ByteSize() > LARGE_CONSTANT_BYTES:
            set_aside[node.name] = node
            stub = light.node.add(name=node.name, op="Placeholder", input=node.input)
            stub.attr["dtype"].type = tensor.dtype
            stub.attr["shape"].shape.CopyFrom(tensor.tensor_shape)
        else:
            light.node.add().CopyFrom(node)
    return light, set_aside


def _cluster():
    """A one-GPU cluster, as the official converter uses: grappler then keeps the graph portable
    (no CPU-only layout changes), while the Conv2D/MatMul nodes placed on the CPU get fused."""
    device = tensorflow_protos().device_properties_pb2.NamedDevice()
    device.name = "/GPU:0"
    device.properties.type = "GPU"
    device.properties.environment["architecture"] = "4"
    return grappler_modules().cluster.Cluster(devices=[device])
