"""The converter options the Bazel rules carry, in one table each (attribute -> CLI flag).

To carry a new CLI option of `tfjs-export convert`, add one entry to CONVERT_OPTIONS (and, if
`verify` needs it to load the source model, to SOURCE_OPTIONS instead: tfjs_model and
tfjs_parity_test both take those). Each entry: the attribute name (the flag is `--<name>`), its
kind ("string"; "int"; "bool": a bare flag; "bool_value": a flag taking True/False, as
--use_structured_outputs_names), its default (the CLI's; a default is never passed, so the
converter's own default holds), the allowed values ([] = any) and a doc line.
"""

def _option(name, kind, default, doc, values = []):
    return struct(name = name, kind = kind, default = default, doc = doc, values = values)

# How the source model is loaded (convert and verify: --signature_name etc.).
SOURCE_OPTIONS = [
    _option("signature_name", "string", "serving_default",
            "Graph: the SavedModel signature to convert (the CLI's --signature_name)."),
    _option("saved_model_tags", "string", "serve",
            "Graph: comma-separated MetaGraph tags of the SavedModel (--saved_model_tags)."),
    _option("input_shapes", "string", "",
            "Graph: input signature to trace a Keras model with, e.g. \"image:1x12x12x3\" (--input_shapes)."),
    _option("unsafe_deserialization", "bool", False,
            "Let Keras load Lambda layers (runs Python code stored in the model file)."),
]

# What only `convert` takes. (Not carried: --output_format keras / keras_keras / keras_saved_model,
# which write a Keras file rather than a model directory; the accepted-only --strip_debug_ops and
# --control_flow_v2; --overwrite, --quiet, --json, --verify, which make no sense in an action.)
CONVERT_OPTIONS = [
    _option("input_format", "string", "", "Force the input format (default: detected from the content).",
            values = ["", "keras", "keras_keras", "keras_h5", "tf_saved_model", "keras_saved_model", "tf_hub",
                      "tf_frozen_model", "tfjs_layers_model", "tfjs_graph_model"]),
    _option("output_format", "string", "tfjs_layers_model", "The TF.js format to write.",
            values = ["tfjs_layers_model", "tfjs_graph_model"]),
    _option("weight_shard_size_bytes", "int", 0,
            "Shard file size in bytes (0 = the converter's default, 4194304)."),
    _option("quantization_bytes", "int", 0,
            "The official converter's spelling: 1 = quantize_uint8, 2 = quantize_uint16, every weight.",
            values = [0, 1, 2]),
    _option("quantization_granularity", "string", "per_tensor",
            "Graph: uint8/uint16 with one range per weight, or per output channel (dequantised in the graph).",
            values = ["per_tensor", "per_channel"]),
    _option("quantization_range", "string", "minmax",
            "per_channel: each channel's range from its min/max, or the clipping with the least squared error.",
            values = ["minmax", "mse"]),
    _option("keep_float32", "string", "auto",
            "auto: quantised weights rounding would destroy stay float32; none: quantise every matched weight.",
            values = ["auto", "none"]),
    _option("split_weights_by_layer", "bool", False, "Layers: one weight group (own shard files) per layer."),
    _option("skip_op_check", "bool", False, "Graph: write the model even if it uses ops TF.js cannot execute."),
    _option("output_node_names", "string", "", "Graph: a frozen GraphDef's outputs, comma-separated node names."),
    _option("use_structured_outputs_names", "bool_value", False,
            "Graph: model.predict() in TF.js returns {output name: tensor} instead of a list."),
    _option("allow_custom_layers", "bool", False,
            "Layers: keep custom layer classes (for a JS class registered in TF.js) instead of refusing them."),
    _option("metadata", "bool", False, "Record the conversion facts in model.json's userDefinedMetadata."),
]

def option_attrs(options):
    """The rule attributes of `options` (a list of _option structs)."""
    attrs = {}
    for o in options:
        if o.kind in ("bool", "bool_value"):
            attrs[o.name] = attr.bool(default = o.default, doc = o.doc)
        elif o.kind == "int":
            attrs[o.name] = attr.int(default = o.default, values = o.values, doc = o.doc)
        elif o.values:
            attrs[o.name] = attr.string(default = o.default, values = o.values, doc = o.doc)
        else:
            attrs[o.name] = attr.string(default = o.default, doc = o.doc)
    return attrs

def option_args(options, values):
    """CLI arguments for the non-default values; `values` is ctx.attr or a dict (a macro's kwargs)."""
    args = []
    for o in options:
        value = values.get(o.name, o.default) if type(values) == "dict" else getattr(values, o.name)
        if value == o.default or value == None:
            continue
        if o.kind == "bool":
            args.append("--" + o.name)
        elif o.kind == "bool_value":
            args.append("--%s=%s" % (o.name, "True" if value else "False"))
        else:
            args.append("--%s=%s" % (o.name, value))
    return args
