"""The one table from Keras 3 layer classes to what tfjs-layers 4.22 reads.

Each rule lists, for one Keras class:
  keys     config keys tfjs reads (translated by kind: activation, *_initializer, ...),
  fixed    keys tfjs cannot vary, with the only value it implements (anything else is an error),
  ignored  keys with no effect on inference in TF.js,
  weights  the TF.js names of the layer's variables, in the order Keras 3 saves them
           (trainable first, then non-trainable, in creation order).
A config key in none of these is an error: a new Keras option must be looked at before it is
dropped, or the browser model could silently compute something else.
"""

import dataclasses
from typing import Callable

_COMMON_KEYS = ("name", "trainable", "dtype")


@dataclasses.dataclass(frozen=True)
class LayerRule:
    keys: tuple = ()
    fixed: dict = dataclasses.field(default_factory=dict)
    ignored: tuple = ()
    weights: Callable = lambda config: []
    rename: dict = dataclasses.field(default_factory=dict)  # Keras key -> tfjs key


def _with_bias(*names):
    def weights(config):
        return list(names) + (["bias"] if config.get("use_bias", True) else [])
    return weights


def _batch_norm_weights(config):
    names = []
    if config.get("scale", True):
        names.append("gamma")
    if config.get("center", True):
        names.append("beta")
    return names + ["moving_mean", "moving_variance"]


_DENSE_LIKE = ("activation", "use_bias", "kernel_initializer", "bias_initializer",
               "kernel_regularizer", "bias_regularizer", "activity_regularizer",
               "kernel_constraint", "bias_constraint")
_CONV_KEYS = ("filters", "kernel_size", "strides", "padding", "data_format", "dilation_rate") + _DENSE_LIKE
_POOL_KEYS = ("pool_size", "strides", "padding", "data_format")

RULES = {
    "InputLayer": LayerRule(
        keys=("batch_shape", "dtype", "name"), rename={"batch_shape": "batch_input_shape"},
        fixed={"sparse": False, "ragged": False, "optional": False}),
    "Dense": LayerRule(
        keys=("units",) + _DENSE_LIKE, weights=_with_bias("kernel"),
        fixed={"lora_rank": None, "quantization_config": None}, ignored=("lora_alpha",)),
    "Conv2D": LayerRule(
        keys=_CONV_KEYS, weights=_with_bias("kernel"), fixed={"groups": 1}),
    "MaxPooling2D": LayerRule(keys=_POOL_KEYS),
    "AveragePooling2D": LayerRule(keys=_POOL_KEYS),
    "GlobalAveragePooling2D": LayerRule(keys=("data_format",), fixed={"keepdims": False}),
    "GlobalMaxPooling2D": LayerRule(keys=("data_format",), fixed={"keepdims": False}),
    "Flatten": LayerRule(keys=("data_format",)),
    "Dropout": LayerRule(keys=("rate", "noise_shape", "seed")),
    "Activation": LayerRule(keys=("activation",)),
    "ReLU": LayerRule(keys=("max_value",), fixed={"negative_slope": 0.0, "threshold": 0.0}),
    "BatchNormalization": LayerRule(
        keys=("axis", "momentum", "epsilon", "center", "scale", "beta_initializer",
              "gamma_initializer", "moving_mean_initializer", "moving_variance_initializer",
              "beta_regularizer", "gamma_regularizer", "beta_constraint", "gamma_constraint"),
        fixed={"renorm": False}, ignored=("synchronized", "renorm_clipping", "renorm_momentum"),
        weights=_batch_norm_weights),
    "Add": LayerRule(),
    "Concatenate": LayerRule(keys=("axis",)),
}
