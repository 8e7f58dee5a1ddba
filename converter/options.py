"""The options of one conversion, in one object: what `convert(...)`'s keyword arguments and the
CLI's flags become before anything runs (the readers, the Graph pipeline and the writer read
their part of it)."""

import dataclasses

from tfjs_export import codec

OUTPUT_FORMATS = ("tfjs_layers_model", "tfjs_graph_model", "keras", "keras_keras", "keras_saved_model")
# Outputs that are Keras models (an .h5 file, a .keras file, a tf_keras SavedModel directory).
KERAS_OUTPUT_FORMATS = ("keras", "keras_keras", "keras_saved_model")
GRANULARITIES = ("per_tensor", "per_channel")
QUANTIZATION_RANGES = ("minmax", "mse")  # per-channel ranges: graph/per_channel.py's quantize_channels


def parse_tags(tags):
    """SavedModel MetaGraph tags as a tuple: from "serve,gpu" (the CLI's form) or a sequence."""
    if isinstance(tags, str):
        tags = tags.split(",")
    return tuple(t.strip() for t in tags if t.strip())


@dataclasses.dataclass
class ConvertOptions:
    """Every option of a conversion (see `convert` for their meaning)."""

    input_format: str = None  # None: detected from the file's content
    output_format: str = "tfjs_layers_model"
    quantize_float16: object = False  # False, None (every float32 weight) or a list of globs
    quantize_uint8: object = False
    quantize_uint16: object = False
    # uint8/uint16: one range per tensor (TF.js's own), or per output channel (Graph format only:
    # integers stored with min 0 / scale 1 and dequantised by Mul/Add in the graph; graph/per_channel.py)
    quantization_granularity: str = "per_tensor"
    # "auto": weights rounding would destroy stay float32 (quantization_plan.py's rule); "none":
    # every matched weight is quantised, as the official converter does (checked by QuantizationPlan)
    keep_float32: str = "auto"
    # per_channel: each channel's range from its min/max, or the clipping with the least squared
    # rounding error (graph/per_channel.py)
    quantization_range: str = "minmax"
    weight_shard_size_bytes: int = codec.DEFAULT_SHARD_SIZE
    overwrite: bool = False
    metadata: bool = False
    allow_custom_layers: bool = False
    labels: object = None  # class names, kept in model.json's userDefinedMetadata.labels
    extra_metadata: dict = dataclasses.field(default_factory=dict)  # {key: JSON value} for userDefinedMetadata
    split_weights_by_layer: bool = False  # Layers format: one manifest group per top-level layer
    # The Graph format (the model is loaded with TensorFlow/Keras):
    signature_name: str = "serving_default"
    saved_model_tags: tuple = ("serve",)
    skip_op_check: bool = False
    unsafe_deserialization: bool = False
    input_shapes: object = None  # {name: dims} or "name:1x12x12x3,...": to trace a Keras model with
    output_node_names: object = None  # a frozen GraphDef's outputs: "a,b:1" or a list
    use_structured_outputs_names: bool = False  # Graph: predict() returns {output key: tensor}
    keep_scales_apart: bool = False  # set by the Graph path for quantised output (graph/pipeline.py)
    # Reporting: `progress(message)` at the start of each step; `progress_bar` follows bytes.
    progress: object = None
    progress_bar: object = None

    def __post_init__(self):
        from tfjs_export.converter.errors import ConversionError
        if self.output_format not in OUTPUT_FORMATS:
            raise ConversionError(f"output format {self.output_format!r} is not supported yet "
                                  f"(one of {', '.join(OUTPUT_FORMATS)})")
        size = self.weight_shard_size_bytes
        if isinstance(size, bool) or not (isinstance(size, int) and size > 0):
            raise ConversionError(f"weight shard size must be a positive number of bytes, got {size!r}")
        if self.quantization_granularity not in GRANULARITIES:
            raise ConversionError(f"quantization granularity {self.quantization_granularity!r} is not one of "
                                  "per_tensor, per_channel")
        if self.quantization_range not in QUANTIZATION_RANGES:
            raise ConversionError(f"quantization range {self.quantization_range!r} is not one of minmax, mse")
        if self.quantization_range != "minmax" and not self.per_channel:
            raise ConversionError("--quantization_range mse applies to --quantization_granularity per_channel "
                                  "(a per-tensor range is TF.js's min/max, byte-identical to the official converter)")
        if self.per_channel and not self.graph:
            # tfjs-layers binds each weight to one variable with one min/scale: there is no graph to
            # carry a per-channel dequantisation.
            raise ConversionError("--quantization_granularity per_channel needs the Graph format: a Layers model "
                                  "stores one range per weight (tfjs-layers binds one tensor per weight); use "
                                  "--output_format tfjs_graph_model")
        if self.per_channel and self.quantize_uint8 is False and self.quantize_uint16 is False:
            raise ConversionError("--quantization_granularity per_channel applies to --quantize_uint8 / "
                                  "--quantize_uint16, and neither is given")
        self.saved_model_tags = parse_tags(self.saved_model_tags)
        if self.input_shapes:
            from tfjs_export.converter.graph.input_shapes import parse_input_shapes
            self.input_shapes = parse_input_shapes(self.input_shapes)

    @property
    def per_channel(self):
        """True when uint8/uint16 weights are quantised per output channel."""
        return self.quantization_granularity == "per_channel"

    @property
    def graph(self):
        """True for the Graph format."""
        return self.output_format == "tfjs_graph_model"

    @property
    def keras_output(self):
        """True when the output is a Keras model (file or SavedModel), not a TF.js model."""
        return self.output_format in KERAS_OUTPUT_FORMATS

    def say(self, message):
        """Report the start of a step (no-op without a `progress` callback)."""
        if self.progress:
            self.progress(message)

    @property
    def bytes_progress(self):
        """`progress(done, total)` for steps that report bytes, or None."""
        return self.progress_bar.update if self.progress_bar else None
