"""The Graph model path: a SavedModel, `.keras` or `.h5` -> a TF.js graph model (tf.loadGraphModel).

One module per step; this module only runs them in order:
    read a TF2 SavedModel without TensorFlow's Python API (saved_model.py, tensor_bundle.py)
      or load it / a Keras model with TensorFlow (load.py)
    -> freeze (freeze.py)
    -> the rewrite passes, declared in order in pipeline.py (debug ops, batch norms, constant
       folding, grappler, batch-norm folding, fusions, control edges, loop frames, pruning)
    -> hash tables: initializer graph + lookup rewrite (tables.py)
    -> op check (op_check.py) -> extract weights (weights.py) -> a ModelSpec (GraphDef JSON,
       signature (model_json.py), initializer), written by converter/model_dir.py

TensorFlow (and Keras) are imported inside these functions only: importing `converter` or the
CLI's `--help` never loads them, and a SavedModel conversion loads only TF's protobuf modules
and grappler (tf_modules.py).
"""


def import_tensorflow_quietly():
    """Import TensorFlow with the process's stderr (fd 2) silenced (see converter/tf_logs.py):
    a user error must stay one line. Python errors still raise. JAX and pandas, which TensorFlow
    and Keras import when installed, are skipped (converter/tf_import.py)."""
    import sys

    from tfjs_export.converter.tf_import import without_optional_integrations
    from tfjs_export.converter.tf_logs import quiet_tensorflow
    if "tensorflow" not in sys.modules:
        with quiet_tensorflow(), without_optional_integrations():
            import tensorflow  # noqa: F401


def build_graph(src, input_format, options, say=lambda message: None):
    """Load, freeze and run the rewrite passes (pipeline.py): return (graph_def, FrozenGraph for
    the signature (its graph_def released), generated_by, [pipeline.PassRecord],
    tables.TableGraphs or None)."""
    from tfjs_export.converter.graph import op_check, pipeline, tables
    from tfjs_export.converter.graph.freeze import freeze
    from tfjs_export.converter.graph.load import load_function
    from tfjs_export.converter.graph.saved_model import NotFreezable, freeze_saved_model
    from tfjs_export.converter.quantization_plan import QuantizationPlan

    frozen, found_tables = None, {}
    if input_format == "tf_frozen_model":
        from tfjs_export.converter.graph.frozen_model import read_frozen_model
        say(f"reading the frozen graph {src}")
        frozen = read_frozen_model(src, options.output_node_names)
        import tensorflow as tf
        generated_by = f"TensorFlow {tf.__version__}"
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
    plan = QuantizationPlan(options.quantize_float16, options.quantize_uint8, options.quantize_uint16)
    state = pipeline.GraphState(frozen.graph_def, frozen.inputs, frozen.outputs,
                                [t.name.split(":")[0] for t in frozen.inputs + frozen.outputs],
                                keep_scales_apart=options.keep_scales_apart, plan=plan,
                                per_channel=options.per_channel)
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


def read_graph_model(src, input_format, plan, options):
    """Run the Graph path up to the writer: return (ModelSpec of format "graph-model", the
    QuantizationPlan with the tables' weights kept unquantised). `options`: a ConvertOptions."""
    from google.protobuf.json_format import MessageToDict

    from tfjs_export.converter.graph.model_json import signature_json
    from tfjs_export.converter.graph.weights import extract_weights

    from tfjs_export.converter.spec import ModelSpec

    # Batch-norm scales are folded into the convolutions for quantised output too: measured, folded
    # then quantised per tensor stays within 1.13x Keras's own rounding of the unfolded model, and
    # per_channel.py keeps the unfolded rounding where folding costs much more. Kept apart
    # (keep_scales_apart), grappler's remapper fuses Conv2D/DepthwiseConv2d + FusedBatchNorm into
    # forms TF.js 4.22 refuses ("FusedConv2d and DepthwiseConv2d with FusedBatchNorm is not
    # supported": tf_keras MobileNet v1/v2 in the wild corpus).
    graph_def, frozen, generated_by, _, table_graphs = build_graph(src, input_format, options, options.say)
    # --- per-channel dequantisation (per_channel.py): its scale/min vectors stay float32 ---
    from tfjs_export.converter.graph.per_channel import dequantization_vector_names
    from tfjs_export.converter.graph.tables import KeepTablesUnquantised
    vectors = dequantization_vector_names(graph_def)
    if vectors:
        plan = KeepTablesUnquantised(plan, vectors)
    # --- end per-channel ---
    weights = extract_weights(graph_def)
    signature = signature_json(frozen.inputs, frozen.outputs)
    extra = {"signature": signature}
    if frozen.user_metadata:  # a Keras model's dict / nested inputs and outputs (load.py)
        extra["userDefinedMetadata"] = frozen.user_metadata
    # --- hash tables (tables.py): initializer weights (never quantised), resource inputs ---
    if table_graphs:
        from tfjs_export.converter.graph.tables import KeepTablesUnquantised
        weights += extract_weights(table_graphs.initializer)
        signature["inputs"].update(table_graphs.resource_inputs)
        plan = KeepTablesUnquantised(plan, table_graphs.weight_names)
        extra["modelInitializer"] = MessageToDict(table_graphs.initializer)
        extra["initializerSignature"] = table_graphs.initializer_signature
    # --- end hash tables ---
    return ModelSpec("graph-model", MessageToDict(graph_def), weights, generated_by, extra=extra), plan
