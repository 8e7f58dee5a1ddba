"""The one table from Keras layer classes to what tfjs-layers 4.22 reads.

Each rule lists, for one Keras class (Keras 3 configs; Keras 2 / tf_keras spellings are accepted
where they differ):
  keys     config keys tfjs reads (translated by kind: activation, *_initializer, ...),
  fixed    keys tfjs cannot vary, with the only value it implements (anything else is an error),
  ignored  keys with no effect on inference in TF.js (or that tfjs does not read),
  weights  the names of the layer's variables, in the order Keras creates them, as
           (name, trainable) pairs: trainable in Keras' sense (moving statistics are not),
  rename   Keras key -> tfjs key,
  forbidden  keys tfjs reads but for which some values are not implemented (an error),
  kind     "" for a plain layer; "rnn", "wrapper", "keepdims_pool", ... for layers that
           translate.py rewrites or nests (KINDS says what each means),
  sized    the weights whose last axis the config fixes: (config key, factor, weight names),
           e.g. a Dense kernel's and bias' last axis is `units`, an LSTM's is 4 x `units`
           (readers/weights.py checks the arrays a file holds against it),
  channels how the output's channel count (channels_last) follows from the layer, for a Keras 3
           Sequential whose weightless layers record no shapes: "same" (the input's), a
           config key ("filters", "units": its value) or "depth_multiplier" (the input's times
           it); "" when unknown,
  hints    config key -> the message for a fixed value the file does not have (instead of the
           generic "not supported in TF.js"),
  js_class the class of our JS library (converter/layers_js, registered as
           `tfjs-export-layers>Name`) the layer is written as: its name, or a JsWhen (ours for
           some configs only: GRU with reset_after=True; tfjs-layers' own GRU does
           reset_after=False); "" for tfjs-layers' own class,
  js_keys  keys only our JS class reads (fixed or ignored for tfjs-layers' own class),
  sublayers  the groups of a layer's sub-layers in a .keras file's model.weights.h5, in the order
           Keras creates their variables (the file sorts groups by name), e.g. MultiHeadAttention's
           query_dense, key_dense, value_dense, output_dense,
  call_args  for a layer Keras calls with tensors in several arguments (MultiHeadAttention's
           query, value, key, attention_mask): those arguments' names, positional ones first. The
           TF.js call takes their tensors as one list, with kwargs `tensor_args` = {name: index
           in that list, or [indices] for an argument holding several} (src/common.js's
           callTensors reads it).
A config key in none of these is an error: a new Keras option must be looked at before it is
dropped, or the browser model could silently compute something else.

Checked against tfjs-layers 4.22's sources (dist/layers/*.js): the classes it registers, the
names of the variables each `build` adds (`addWeight('kernel', ...)`) and their order.
"""

import dataclasses
from typing import Callable

# batch_input_shape: tf_keras writes it on the first layer of a Sequential (tfjs reads it on any layer).
_COMMON_KEYS = ("name", "trainable", "dtype", "batch_input_shape")


def _no_weights(config):
    return []


class JsWhen:
    """Our JS class `name` for the configs meeting one of `conditions`, each (key, value, the
    key's default when the config lacks it), and, with `masked`, for layers whose input may carry
    a Keras mask."""

    def __init__(self, name, *conditions, masked=False):
        self.name, self.conditions, self.masked = name, conditions, masked

    def __call__(self, config, masked=False):
        met = (self.masked and masked) or any(config.get(k, default) == v for k, v, default in self.conditions)
        return self.name if met else ""

    def __str__(self):
        return f"`{self.name}` when " + " or ".join(
            [f"{k}={v!r}" for k, v, _ in self.conditions] + (["its input may carry a mask"] if self.masked else []))


@dataclasses.dataclass(frozen=True)
class LayerRule:
    keys: tuple = ()
    fixed: dict = dataclasses.field(default_factory=dict)
    ignored: tuple = ()
    weights: Callable = _no_weights
    rename: dict = dataclasses.field(default_factory=dict)  # Keras key -> tfjs key
    kind: str = ""
    forbidden: dict = dataclasses.field(default_factory=dict)  # key -> values tfjs lacks
    sized: tuple = ()  # (config key, factor, weight names): their last axis is factor x config[key]
    channels: str = ""
    hints: dict = dataclasses.field(default_factory=dict)  # fixed key -> message when it differs
    js_class: object = ""  # our JS class: a name, or a JsWhen
    js_keys: tuple = ()
    call_args: tuple = ()
    sublayers: tuple = ()

    def js_name(self, config, masked=False):
        """The name of our JS class this layer is written as, "" for tfjs-layers' own class.
        `masked`: the layer's input may carry a Keras mask."""
        return self.js_class(config, masked) if callable(self.js_class) else self.js_class


# The model classes a config (or a nested model inside it) may have, in every Keras spelling.
MODEL_CLASSES = ("Sequential", "Functional", "Model")
GRAPH_HINT = "use the Graph format (--output_format tfjs_graph_model) for this model"


def _trainable(*names):
    return [(n, True) for n in names]


def _with_bias(*names):
    def weights(config):
        return _trainable(*names) + ([("bias", True)] if config.get("use_bias", True) else [])
    return weights


def _layer_norm_weights(config):
    names = []
    if config.get("scale", True):
        names.append(("gamma", True))
    if config.get("center", True):
        names.append(("beta", True))
    return names


def _batch_norm_weights(config):
    return _layer_norm_weights(config) + [("moving_mean", False), ("moving_variance", False)]


_DENSE_LIKE = ("activation", "use_bias", "kernel_initializer", "bias_initializer",
               "kernel_regularizer", "bias_regularizer", "activity_regularizer",
               "kernel_constraint", "bias_constraint")
_CONV_KEYS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate") + _DENSE_LIKE
_POOL_KEYS = ("pool_size", "strides", "padding", "data_format")
_DROPOUT_KEYS = ("rate", "noise_shape", "seed")
_RNN_KEYS = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "units",
             "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
             "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
             "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
             "dropout", "recurrent_dropout")
# Keras options with no effect on inference (seeds of dropout masks, tf_keras' kernel choice).
_RNN_IGNORED = ("zero_output_for_mask", "seed", "time_major", "implementation")
_CONV_FIXED = {"groups": 1, "lora_rank": None}
_LORA = {"lora_rank": None, "quantization_config": None}
_KERAS2_INPUT = ("batch_input_shape",)
_FILTERS = ("filters", 1, ("kernel", "bias"))


# Keras 3's augmentation layers: identities at inference (our JS classes keep their settings).
AUGMENTATION = ("AugMix", "CutMix", "MixUp", "RandAugment", "RandomBrightness", "RandomColorDegeneration",
                "RandomColorJitter", "RandomContrast", "RandomCrop", "RandomElasticTransform", "RandomErasing",
                "RandomFlip", "RandomGaussianBlur", "RandomGrayscale", "RandomHue", "RandomInvert",
                "RandomPerspective", "RandomPosterization", "RandomRotation", "RandomSaturation",
                "RandomSharpness", "RandomShear", "RandomTranslation", "RandomZoom", "Solarization")
# Their settings (every key of their Keras 3 configs); none changes what they compute at inference.
_AUGMENTATION_KEYS = ("addition_factor", "all_ops", "alpha", "brightness_factor", "chain_depth", "contrast_factor",
                      "data_format", "factor", "fill_mode", "fill_value", "height", "height_factor", "hue_factor",
                      "interpolation", "kernel_size", "mode", "num_chains", "num_ops", "saturation_factor", "scale",
                      "seed", "sigma", "threshold_factor", "value_range", "width", "width_factor", "x_factor",
                      "y_factor")
_DEPTHWISE_KEYS = ("kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier",
                   "activation", "use_bias", "depthwise_initializer", "bias_initializer", "depthwise_regularizer",
                   "bias_regularizer", "depthwise_constraint", "bias_constraint")


def _gates(count):
    """An RNN's kernel, recurrent kernel and bias hold `count` gates of `units` each."""
    return ("units", count, ("kernel", "recurrent_kernel", "bias"))


# Recurrent layers are our JS classes (src/recurrent.js) when tfjs-layers' own would compute
# something else: GRU's reset_after=True (Keras' default), zero_output_for_mask=True (which
# Keras' Bidirectional sets when it returns sequences: masked steps output 0, where tfjs-layers
# repeats the last output), and a masked input (tfjs-layers' rnn() transposes the mask as a
# float tensor cast from bool, which WebGPU miscomputes: docs/browser.md; ours steps through it).
_ZERO_MASKED = ("zero_output_for_mask", True, False)
_GRU_OURS = (("reset_after", True, True), _ZERO_MASKED)

RULES = {
    "InputLayer": LayerRule(
        keys=("batch_shape", "dtype", "name") + _KERAS2_INPUT, rename={"batch_shape": "batch_input_shape"},
        fixed={"sparse": False, "ragged": False, "optional": False}),
    # core
    "Dense": LayerRule(keys=("units",) + _DENSE_LIKE, weights=_with_bias("kernel"), fixed=_LORA,
                       ignored=("lora_alpha",), sized=("units", 1, ("kernel", "bias")), channels="units"),
    "Activation": LayerRule(keys=("activation",), channels="same"),
    "Dropout": LayerRule(keys=_DROPOUT_KEYS, channels="same"),
    "SpatialDropout1D": LayerRule(keys=("rate", "seed"), ignored=("noise_shape",), channels="same"),
    "Flatten": LayerRule(keys=("data_format",)),
    "Reshape": LayerRule(keys=("target_shape",)),
    "Permute": LayerRule(keys=("dims",)),
    "RepeatVector": LayerRule(keys=("n",)),
    "Embedding": LayerRule(
        keys=("input_dim", "output_dim", "embeddings_initializer", "embeddings_regularizer",
              "activity_regularizer", "embeddings_constraint", "mask_zero", "input_length"),
        weights=lambda config: _trainable("embeddings"), fixed=_LORA, ignored=("lora_alpha", "sparse"),
        sized=("output_dim", 1, ("embeddings",))),
    # convolution
    "Conv1D": LayerRule(keys=tuple(k for k in _CONV_KEYS if k != "padding"), weights=_with_bias("kernel"),
                        fixed=_CONV_FIXED, forbidden={"padding": ("causal",)},  # tfjs: "not implemented yet"
                        sized=_FILTERS, channels="filters"),
    "Conv2D": LayerRule(keys=_CONV_KEYS, weights=_with_bias("kernel"), fixed=_CONV_FIXED, sized=_FILTERS,
                        channels="filters"),
    "Conv3D": LayerRule(keys=_CONV_KEYS, weights=_with_bias("kernel"), fixed=_CONV_FIXED, sized=_FILTERS),
    # tfjs' transposed convolutions have no output_padding.
    "Conv2DTranspose": LayerRule(keys=_CONV_KEYS, weights=_with_bias("kernel"),
                                 fixed=dict(_CONV_FIXED, output_padding=None), channels="filters"),
    # ours (src/gradients.js): tfjs-layers' own, with the kernel gradient tfjs-core lacks
    "Conv3DTranspose": LayerRule(keys=_CONV_KEYS, weights=_with_bias("kernel"),
                                 fixed=dict(_CONV_FIXED, output_padding=None), js_class="Conv3DTranspose"),
    "SeparableConv2D": LayerRule(
        keys=("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate",
              "depth_multiplier", "activation", "use_bias", "depthwise_initializer",
              "pointwise_initializer", "bias_initializer", "depthwise_regularizer",
              "pointwise_regularizer", "bias_regularizer", "activity_regularizer",
              "depthwise_constraint", "pointwise_constraint", "bias_constraint"),
        weights=_with_bias("depthwise_kernel", "pointwise_kernel"), fixed={"groups": 1},
        # tf_keras writes a Conv base class's unused kernel_* keys too
        ignored=("kernel_initializer", "kernel_regularizer", "kernel_constraint"),
        sized=("filters", 1, ("pointwise_kernel", "bias")), channels="filters"),
    "DepthwiseConv2D": LayerRule(
        keys=("kernel_size", "strides", "padding", "data_format", "dilation_rate", "depth_multiplier",
              "activation", "use_bias", "depthwise_initializer", "bias_initializer",
              "depthwise_regularizer", "bias_regularizer", "activity_regularizer",
              "depthwise_constraint", "bias_constraint"),
        weights=_with_bias("depthwise_kernel"), fixed={"groups": 1}, channels="depth_multiplier"),
    "Cropping2D": LayerRule(keys=("cropping", "data_format"), channels="same"),
    "ZeroPadding2D": LayerRule(keys=("padding", "data_format"), channels="same"),
    "UpSampling2D": LayerRule(keys=("size", "data_format", "interpolation"), channels="same"),
    # pooling (Global* with keepdims=True are rewritten, see translate.py)
    "MaxPooling1D": LayerRule(keys=_POOL_KEYS, channels="same"),
    "AveragePooling1D": LayerRule(keys=_POOL_KEYS, channels="same"),
    "MaxPooling2D": LayerRule(keys=_POOL_KEYS, channels="same"),
    "AveragePooling2D": LayerRule(keys=_POOL_KEYS, channels="same"),
    "MaxPooling3D": LayerRule(keys=_POOL_KEYS),
    "AveragePooling3D": LayerRule(keys=_POOL_KEYS),
    "GlobalAveragePooling1D": LayerRule(keys=("data_format",), kind="keepdims_pool"),
    "GlobalMaxPooling1D": LayerRule(keys=("data_format",), kind="keepdims_pool"),
    "GlobalAveragePooling2D": LayerRule(keys=("data_format",), kind="keepdims_pool"),
    "GlobalMaxPooling2D": LayerRule(keys=("data_format",), kind="keepdims_pool"),
    # normalisation
    "BatchNormalization": LayerRule(
        keys=("axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
              "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
              "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"),
        fixed={"renorm": False}, ignored=("synchronized", "renorm_clipping", "renorm_momentum"),
        weights=_batch_norm_weights, channels="same"),
    "LayerNormalization": LayerRule(
        keys=("axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
              "beta_regularizer", "gamma_regularizer"),
        fixed={"rms_scaling": False, "beta_constraint": None, "gamma_constraint": None},
        weights=_layer_norm_weights, channels="same"),
    # activations
    "ReLU": LayerRule(keys=("max_value",), fixed={"negative_slope": 0.0, "threshold": 0.0}, channels="same"),
    "LeakyReLU": LayerRule(keys=("negative_slope", "alpha"), rename={"negative_slope": "alpha"}, channels="same"),
    "PReLU": LayerRule(keys=("alpha_initializer", "alpha_regularizer", "alpha_constraint", "shared_axes"),
                       weights=lambda config: _trainable("alpha"), channels="same"),
    # tfjs: "Non-default alpha value ... is not supported"
    "ELU": LayerRule(fixed={"alpha": 1.0}, channels="same"),
    "Softmax": LayerRule(keys=("axis",), channels="same"),
    "ThresholdedReLU": LayerRule(keys=("theta",)),
    # recurrent: tfjs names the cell's variables after the RNN layer (`lstm/kernel`)
    "SimpleRNN": LayerRule(keys=_RNN_KEYS, ignored=_RNN_IGNORED, kind="rnn",
                           weights=_with_bias("kernel", "recurrent_kernel"), sized=_gates(1),
                           js_class=JsWhen("SimpleRNN", _ZERO_MASKED, masked=True), js_keys=("zero_output_for_mask",)),
    # GRU: reset_after=True (Keras' default) is our JS class; tfjs-layers' GRU does reset_after=False.
    "GRU": LayerRule(keys=_RNN_KEYS + ("recurrent_activation",), ignored=_RNN_IGNORED, kind="rnn",
                     fixed={"reset_after": False}, weights=_with_bias("kernel", "recurrent_kernel"),
                     sized=_gates(3), js_class=JsWhen("GRU", *_GRU_OURS, masked=True), js_keys=("reset_after", "zero_output_for_mask")),
    "LSTM": LayerRule(keys=_RNN_KEYS + ("recurrent_activation", "unit_forget_bias"), ignored=_RNN_IGNORED,
                      kind="rnn", weights=_with_bias("kernel", "recurrent_kernel"), sized=_gates(4),
                      js_class=JsWhen("LSTM", _ZERO_MASKED, masked=True), js_keys=("zero_output_for_mask",)),
    "ConvLSTM2D": LayerRule(
        keys=tuple(k for k in _RNN_KEYS if k != "units") + (
            "recurrent_activation", "unit_forget_bias", "filters", "kernel_size", "strides",
            "padding", "data_format", "dilation_rate"),
        ignored=_RNN_IGNORED, kind="rnn", weights=_with_bias("kernel", "recurrent_kernel")),
    # Keras' generic RNN(cell): the recurrent layer of its cell (a stack: a chain of them), rnn_cells.py
    "RNN": LayerRule(kind="cells"),
    "Bidirectional": LayerRule(keys=("merge_mode",), kind="bidirectional", ignored=("backward_layer",)),
    "TimeDistributed": LayerRule(kind="time_distributed"),
    # merge (Subtract is rewritten, see translate.py: tfjs-layers has no Subtract)
    "Add": LayerRule(),
    "Multiply": LayerRule(),
    "Average": LayerRule(),
    "Maximum": LayerRule(),
    "Minimum": LayerRule(),
    "Concatenate": LayerRule(keys=("axis",)),
    "Dot": LayerRule(keys=("axes", "normalize")),
    "Subtract": LayerRule(kind="subtract"),
    # noise (identity at inference)
    "GaussianNoise": LayerRule(keys=("stddev", "seed"), channels="same"),
    "GaussianDropout": LayerRule(keys=("rate", "seed"), channels="same"),
    "AlphaDropout": LayerRule(keys=_DROPOUT_KEYS, channels="same"),
    # preprocessing that tfjs-layers has
    "Rescaling": LayerRule(keys=("scale", "offset"), channels="same"),
    # Normalization: tfjs-layers 4.22 has none; our JS class holding the mean and variance, from
    # the config or adapted (see translate.py).
    "Normalization": LayerRule(kind="normalization", js_class="Normalization", channels="same"),
    # -- classes of our JS library's families preprocessing, normalization and shapes (js16b) --
    # Keras-exact Resizing / CenterCrop (tfjs-layers' own compute something else).
    "Resizing": LayerRule(keys=("height", "width", "crop_to_aspect_ratio", "pad_to_aspect_ratio",
                                "fill_value", "data_format"),
                          forbidden={"interpolation": ("bicubic", "lanczos3", "lanczos5", "area")},
                          fixed={"antialias": False}, ignored=("fill_mode",), js_class="Resizing", channels="same"),
    "CenterCrop": LayerRule(keys=("height", "width", "data_format"), js_class="CenterCrop", channels="same"),
    **{name: LayerRule(keys=_AUGMENTATION_KEYS, js_class=name, channels="same") for name in AUGMENTATION},
    "GroupNormalization": LayerRule(
        keys=("groups", "axis", "epsilon", "center", "scale", "beta_initializer", "gamma_initializer",
              "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"),
        weights=_layer_norm_weights, js_class="GroupNormalization", channels="same"),
    "UnitNormalization": LayerRule(keys=("axis",), js_class="UnitNormalization", channels="same"),
    "RMSNormalization": LayerRule(keys=("axis", "epsilon"), weights=lambda config: _trainable("scale"),
                                  js_class="RMSNormalization", channels="same"),
    "Conv1DTranspose": LayerRule(keys=_CONV_KEYS, weights=_with_bias("kernel"), js_class="Conv1DTranspose",
                                 fixed={"output_padding": None}, sized=("filters", 1, ("bias",)),
                                 channels="filters"),
    "SeparableConv1D": LayerRule(
        keys=_DEPTHWISE_KEYS + ("filters", "pointwise_initializer", "pointwise_regularizer", "pointwise_constraint"),
        weights=_with_bias("depthwise_kernel", "pointwise_kernel"), js_class="SeparableConv1D",
        fixed={"activity_regularizer": None}, sized=("filters", 1, ("pointwise_kernel", "bias")), channels="filters"),
    "DepthwiseConv1D": LayerRule(keys=_DEPTHWISE_KEYS, weights=_with_bias("depthwise_kernel"), js_class="DepthwiseConv1D",
                                 fixed={"activity_regularizer": None}, channels="depth_multiplier"),
    "Cropping1D": LayerRule(keys=("cropping",), js_class="Cropping1D", channels="same"),
    "Cropping3D": LayerRule(keys=("cropping", "data_format"), js_class="Cropping3D"),
    "ZeroPadding1D": LayerRule(keys=("padding", "data_format"), js_class="ZeroPadding1D", channels="same"),
    "ZeroPadding3D": LayerRule(keys=("padding", "data_format"), js_class="ZeroPadding3D"),
    "UpSampling1D": LayerRule(keys=("size",), js_class="UpSampling1D", channels="same"),
    "UpSampling3D": LayerRule(keys=("size", "data_format"), js_class="UpSampling3D"),
    "SpatialDropout2D": LayerRule(keys=("rate", "seed", "data_format"), js_class="SpatialDropout2D", channels="same"),
    "SpatialDropout3D": LayerRule(keys=("rate", "seed", "data_format"), js_class="SpatialDropout3D"),
    "GlobalAveragePooling3D": LayerRule(keys=("data_format", "keepdims"), js_class="GlobalAveragePooling3D"),
    "GlobalMaxPooling3D": LayerRule(keys=("data_format", "keepdims"), js_class="GlobalMaxPooling3D"),
    "Identity": LayerRule(js_class="Identity", channels="same"),
    "ActivityRegularization": LayerRule(keys=("l1", "l2"), js_class="ActivityRegularization", channels="same"),
}

# attention (our JS classes, converter/layers_js/src/attention.js)
_PROJECTION_KEYS = ("kernel_initializer", "bias_initializer", "kernel_regularizer", "bias_regularizer",
                    "kernel_constraint", "bias_constraint")


def _einsum_dense_weights(config):
    return _trainable("kernel") + ([("bias", True)] if config.get("bias_axes") else [])


def _multi_head_attention_weights(config):
    """Keras creates the projections query, key, (gate), value, attention_output, each a kernel
    and (use_bias) a bias."""
    parts = ["query", "key"] + (["gate"] if config.get("use_gate") else []) + ["value", "attention_output"]
    biased = config.get("use_bias", True)
    return [(f"{part}/{name}", True) for part in parts for name in ("kernel",) + (("bias",) if biased else ())]


def _attention_weights(config):
    return (_trainable("scale") if config.get("use_scale") else []) + (
        _trainable("concat_score_weight") if config.get("score_mode", "dot") == "concat" else [])


RULES.update({
    # activity_regularizer: a training loss only, which tfjs-layers does not apply to any layer
    "EinsumDense": LayerRule(
        keys=("equation", "output_shape", "activation", "bias_axes") + _PROJECTION_KEYS,
        fixed={"lora_rank": None, "quantization_config": None, "gptq_unpacked_column_size": None},
        ignored=("lora_alpha", "activity_regularizer"), weights=_einsum_dense_weights, js_class="EinsumDense"),
    "MultiHeadAttention": LayerRule(
        keys=("num_heads", "key_dim", "value_dim", "dropout", "use_bias", "use_gate", "output_shape",
              "attention_axes", "sliding_window") + _PROJECTION_KEYS,
        ignored=("seed", "activity_regularizer", "flash_attention"), weights=_multi_head_attention_weights,
        js_class="MultiHeadAttention", call_args=("query", "value", "key", "attention_mask"),
        sublayers=("query_dense", "key_dense", "gate_dense", "value_dense", "output_dense")),
    "Attention": LayerRule(keys=("use_scale", "score_mode", "dropout"), ignored=("seed",), weights=_attention_weights,
                           js_class="Attention", call_args=("inputs",)),
    "AdditiveAttention": LayerRule(keys=("use_scale", "dropout"), ignored=("seed",),
                                   weights=lambda config: _trainable("scale") if config.get("use_scale", True) else [],
                                   js_class="AdditiveAttention", call_args=("inputs",)),
})

# What each `kind` means for the layer in TF.js (the support table in docs/layers.md shows it).
KINDS = {
    "": "",
    "rnn": "the cell's variables are named after the layer (`lstm/kernel`)",
    "keepdims_pool": "`keepdims=True` becomes the pooling layer + a `Reshape`",
    "cells": "written as the recurrent layer of its cell (`RNN(GRUCell(4))` as `GRU(4)`), a stack of "
             "cells as a chain of them (no `return_state`, `go_backwards` or `stateful` then)",
    "bidirectional": "wraps SimpleRNN, GRU or LSTM (or an RNN of one cell); the backward layer must mirror the forward one",
    "time_distributed": "wraps any layer of this table",
    "subtract": "rewritten as `Add(a, Rescaling(-1)(b))` (tfjs-layers has no Subtract)",
    "normalization": "`mean`, `variance` (from the config or adapted) and `count`, not trainable",
}

# Classes tfjs-layers 4.22 has but whose results differ from Keras: say why instead.
MISMATCHED = {
    "Masking": "tfjs-layers 4.22 keeps a mask through Flatten where Keras drops it (seen failing at "
               "predict: 'Incompatible shapes'), and Keras 3 functional models record the mask as "
               "NotEqual/Any operations",
}

# Classes whose Keras 2 / tf_keras computation differs from Keras 3's, which our JS class follows:
# refused in Keras 2 configs (tf_keras .h5), with the reason.
KERAS2_MISMATCHED = {
    "RandomCrop": "tf_keras' RandomCrop crops the centre at inference (Keras 3's does not): convert this model to the Graph format",
}
