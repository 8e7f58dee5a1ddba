"""The Graph model path: a SavedModel, `.keras` or `.h5` -> a TF.js graph model (tf.loadGraphModel).

One module per step; this module only runs them in order:
    read a TF2 SavedModel without TensorFlow's Python API (saved_model.py, tensor_bundle.py)
      or load it / a Keras model with TensorFlow (load.py)
    -> freeze (freeze.py)
    -> the rewrite passes, declared in order in pipeline.py (debug ops, batch norms, constant
       folding, grappler, batch-norm folding, fusions, control edges, loop frames, pruning)
    -> hash tables: initializer graph + lookup rewrite (tables.py)
    -> op check (op_check.py) -> extract weights (weights.py) -> write (model_json.py)

TensorFlow (and Keras) are imported inside these functions only: importing `converter` or the
CLI's `--help` never loads them, and a SavedModel conversion loads only TF's protobuf modules
and grappler (tf_modules.py).
"""

import dataclasses


@dataclasses.dataclass
class GraphOptions:
    signature_name: str = "serving_default"
    saved_model_tags: tuple = ("serve",)
    skip_op_check: bool = False
    unsafe_deserialization: bool = False
    input_shapes: dict = None  # {input name: dims} to trace a Keras model with (input_shapes.py)
    keep_scales_apart: bool = False  # quantised output: batch-norm scales not folded (pipeline.py)


def import_tensorflow_quietly():
    """Import TensorFlow with the process's stderr (fd 2) silenced (see converter/tf_logs.py):
    a user error must stay one line. Python errors still raise."""
    import sys

    from tfjs_export.converter.tf_logs import quiet_tensorflow
    if "tensorflow" not in sys.modules:
        with quiet_tensorflow():
            import tensorflow  # noqa: F401


def build_graph(src, input_format, options, say=lambda message: None):
    """Load, freeze and run the rewrite passes (pipeline.py): return (graph_def, FrozenGraph for
    the signature (its graph_def released), generated_by, [pipeline.PassRecord],
    tables.TableGraphs or None)."""
    from tfjs_export.converter.graph import op_check, pipeline, tables
    from tfjs_export.converter.graph.freeze import freeze
    from tfjs_export.converter.graph.load import load_function
    from tfjs_export.converter.graph.saved_model import NotFreezable, freeze_saved_model

    frozen, found_tables = None, {}
    if input_format == "tf_saved_model":
        say(f"reading {src} and freezing its variables")
        try:
            frozen, generated_by = freeze_saved_model(src, options.signature_name, options.saved_model_tags)
        except NotFreezable as why:  # e.g. hash tables: TF's loader reads their contents
            say(f"using TensorFlow's SavedModel loader ({why})")
    if frozen is None:
        say(f"loading {src} with TensorFlow")
        import_tensorflow_quietly()
        loaded = load_function(src, input_format, options.signature_name, options.saved_model_tags,
                               options.unsafe_deserialization, options.input_shapes)
        say("freezing variables into constants")
        frozen = freeze(loaded)
        # --- hash tables (tables.py): read while the model is alive ---
        found_tables = tables.collect_tables(loaded.function, loaded.function._tfjs_keep_alive, frozen.graph_def)
        # --- end hash tables ---
        generated_by = loaded.generated_by
        del loaded  # the loaded model's variables: frozen into constants now, free them
    say("optimising the graph")
    state = pipeline.GraphState(frozen.graph_def, frozen.inputs, frozen.outputs,
                                [t.name.split(":")[0] for t in frozen.inputs + frozen.outputs],
                                keep_scales_apart=options.keep_scales_apart)
    frozen.graph_def = None  # one copy of the weights at a time: the passes own it now
    records = pipeline.run_passes(state)
    graph_def = state.graph_def
    # --- hash tables (tables.py): initializer graph, lookups reshaped ---
    table_graphs = tables.attach_tables(graph_def, found_tables, src)
    if not options.skip_op_check and table_graphs:
        op_check.check_ops(table_graphs.initializer, src)
    # --- end hash tables ---
    if not options.skip_op_check:
        op_check.check_ops(graph_def, src)
    return graph_def, frozen, generated_by, records, table_graphs


def convert_to_graph_model(src, input_format, out_dir, plan, shard_size, overwrite, options,
                           say=lambda message: None, write_progress=None):
    """Run the whole Graph path; return (files written, notices). `write_progress(done, total)`
    follows the shard writing."""
    from tfjs_export.converter.errors import ConversionError
    from tfjs_export.converter.graph.model_json import signature_json, write_graph_model
    from tfjs_export.converter.graph.weights import extract_weights
    from tfjs_export.converter.progress import write_step
    from tfjs_export.converter.spec import ModelSpec

    options = dataclasses.replace(options, keep_scales_apart=bool(plan))
    graph_def, frozen, generated_by, _, table_graphs = build_graph(src, input_format, options, say)
    weights = extract_weights(graph_def)
    signature = signature_json(frozen.inputs, frozen.outputs)
    # --- hash tables (tables.py): initializer weights (never quantised), resource inputs ---
    if table_graphs:
        from tfjs_export.converter.graph.tables import KeepTablesUnquantised
        weights += extract_weights(table_graphs.initializer)
        signature["inputs"].update(table_graphs.resource_inputs)
        plan = KeepTablesUnquantised(plan, table_graphs.weight_names)
    # --- end hash tables ---
    spec = ModelSpec("graph-model", {}, weights)
    try:
        spec.narrow_dtypes()
    except ValueError as err:  # int64 constants outside the int32 range
        raise ConversionError(str(err), src) from None
    say(write_step(spec.weights, plan, out_dir))
    files = write_graph_model(graph_def, signature, spec.weights, out_dir, plan, shard_size, overwrite,
                              generated_by, table_graphs, write_progress)
    return files, spec.notices
