"""The Graph model path: a SavedModel, `.keras` or `.h5` -> a TF.js graph model (tf.loadGraphModel).

One module per step; this module only runs them in order:
    load (load.py) -> freeze (freeze.py) -> grappler pass 1 (grappler.py)
    -> fold batch norms (fold_batch_norms.py) -> Add->BiasAdd (bias_add.py)
    -> grappler remap pass -> depthwise fusion / unfuse what TF.js lacks (fused_ops.py)
    -> drop control edges TF.js cannot schedule (control_deps.py)
    -> op check (op_check.py) -> extract weights (weights.py) -> write (model_json.py)

TensorFlow (and Keras) are imported inside these functions only: importing `converter` or the
CLI's `--help` never loads them.
"""

import dataclasses


@dataclasses.dataclass
class GraphOptions:
    signature_name: str = "serving_default"
    saved_model_tags: tuple = ("serve",)
    skip_op_check: bool = False
    unsafe_deserialization: bool = False


def import_tensorflow_quietly():
    """Import TensorFlow with the process's stderr (fd 2) silenced: its C++ libraries log plugin
    registration lines there at import time ("Unable to register cuDNN factory", ...) that no
    TF_CPP_MIN_LOG_LEVEL hides, and a user error must stay one line. Python errors still raise."""
    import os
    import sys
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 2)
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # C++ errors too: ours are raised in Python
            import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def build_graph(src, input_format, options, say=lambda message: None):
    """Load and optimise: return (graph_def, FrozenGraph for the signature, generated_by, stats)."""
    from converter.graph import bias_add, control_deps, fold_batch_norms, fused_ops, grappler, op_check
    from converter.graph.freeze import freeze
    from converter.graph.load import load_function
    from converter.graph.nodes import prune_unused

    say(f"loading {src} with TensorFlow")
    import_tensorflow_quietly()
    loaded = load_function(src, input_format, options.signature_name, options.saved_model_tags,
                           options.unsafe_deserialization)
    say("freezing variables into constants")
    frozen = freeze(loaded)
    generated_by = loaded.generated_by
    del loaded  # the loaded model's variables: frozen into constants now, free them
    say("optimising the graph")
    graph_def = grappler.optimize(frozen.graph_def, frozen.inputs, frozen.outputs)
    frozen.graph_def = None  # one copy of the weights at a time
    stats = {"batch_norms_folded": fold_batch_norms.fold_batch_norms(graph_def),
             "bias_adds": bias_add.normalise_bias_adds(graph_def)}
    graph_def = grappler.optimize(graph_def, frozen.inputs, frozen.outputs, grappler.FUSE_PASS)
    stats["depthwise_fused"] = fused_ops.fuse_depthwise(graph_def)
    stats["unfused"] = fused_ops.unfuse_unsupported(graph_def)
    stats["control_edges_dropped"] = control_deps.drop_control_inputs(graph_def)
    prune_unused(graph_def, [t.name.split(":")[0] for t in frozen.inputs + frozen.outputs])
    if not options.skip_op_check:
        op_check.check_ops(graph_def, src)
    return graph_def, frozen, generated_by, stats


def convert_to_graph_model(src, input_format, out_dir, plan, shard_size, overwrite, options,
                           say=lambda message: None, write_progress=None):
    """Run the whole Graph path; return (files written, notices). `write_progress(done, total)`
    follows the shard writing."""
    from converter.errors import ConversionError
    from converter.graph.model_json import signature_json, write_graph_model
    from converter.graph.weights import extract_weights
    from converter.progress import write_step
    from converter.spec import ModelSpec

    graph_def, frozen, generated_by, _ = build_graph(src, input_format, options, say)
    weights = extract_weights(graph_def)
    spec = ModelSpec("graph-model", {}, weights)
    try:
        spec.narrow_dtypes()
    except ValueError as err:  # int64 constants outside the int32 range
        raise ConversionError(str(err), src) from None
    say(write_step(spec.weights, plan, out_dir))
    files = write_graph_model(graph_def, signature_json(frozen.inputs, frozen.outputs), spec.weights,
                              out_dir, plan, shard_size, overwrite, generated_by, write_progress)
    return files, spec.notices
