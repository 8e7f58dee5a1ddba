"""Every option of the official `tensorflowjs_converter` 4.22 and what `tfjs-export convert` does for
it: the one place docs/official.md's table is generated from (tools/gen_official_docs.py), and
which converter/tests/test_official_options.py checks against both command lines (every official
option listed, every option of ours named here exists)."""

import dataclasses

SAME = "same"


@dataclasses.dataclass(frozen=True)
class OfficialOption:
    """One official option: `ours` is our spelling (None: no equivalent), `how` says how ours
    behaves: SAME, or what differs and why."""

    official: str
    ours: str
    how: str


OPTIONS = (
    OfficialOption("input_path", "SRC", "same; a TF.js model may also be named by its directory"),
    OfficialOption("output_path", "OUT_DIR", SAME),
    OfficialOption("--input_format", "--input_format",
                   "same names (tf_saved_model, tfjs_layers_model, keras_saved_model, keras_keras, tf_frozen_model, "
                   "tf_hub, keras) plus keras_h5 and tfjs_graph_model; optional: detected from the content. "
                   "`keras` is any Keras file (the official: an .h5)"),
    OfficialOption("--output_format", "--output_format",
                   "same names; the default is tfjs_layers_model (the official: tfjs_graph_model); "
                   "keras_saved_model needs tf_keras"),
    OfficialOption("--signature_name", "--signature_name", SAME),
    OfficialOption("--saved_model_tags", "--saved_model_tags", SAME),
    OfficialOption("--quantize_float16", "--quantize_float16",
                   "same, but a list of globs needs `=` (`--quantize_float16=dense*`): a bare flag never takes "
                   "the next argument (the official swallows the input path that way)"),
    OfficialOption("--quantize_uint8", "--quantize_uint8", "as --quantize_float16"),
    OfficialOption("--quantize_uint16", "--quantize_uint16", "as --quantize_float16"),
    OfficialOption("--quantization_bytes", "--quantization_bytes", "same (deprecated there too): 1 = uint8, 2 = uint16"),
    OfficialOption("--split_weights_by_layer", "--split_weights_by_layer",
                   "same, for every Layers input (the official: Keras inputs only)"),
    OfficialOption("--version", "--version", "same: tfjs-export's version and its libraries'"),
    OfficialOption("--skip_op_check", "--skip_op_check", SAME),
    OfficialOption("--strip_debug_ops", "--strip_debug_ops",
                   "accepted; debug ops are always removed, since TF.js cannot run them (the official's "
                   "default keeps them)"),
    OfficialOption("--use_structured_outputs_names", "--use_structured_outputs_names",
                   "same: `predict()` returns {output key: tensor}, the keys in sorted order"),
    OfficialOption("--weight_shard_size_bytes", "--weight_shard_size_bytes", SAME),
    OfficialOption("--output_node_names", "--output_node_names", "same (tf_frozen_model)"),
    OfficialOption("--control_flow_v2", "--control_flow_v2",
                   "accepted as False only: loops and conditionals are written as Switch/Merge/Enter/Exit"),
    OfficialOption("--experiments", None, "no experimental switches: what works is on by default"),
    OfficialOption("--metadata", "--metadata",
                   "same KEY:FILE.json[,...] form with `=`; a bare --metadata records the conversion facts"),
)
