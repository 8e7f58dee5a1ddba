"""The Keras model that computes what the converted TF.js model computes: verify's reference.

TF.js computes in float32 only (no float16 or bfloat16 arithmetic), and a converted Layers model
holds plain float32 Dense / Embedding layers where Keras quantised them. So a model with
`mixed_float16`, `mixed_bfloat16`, `float16` or `bfloat16` layers, or with layers quantised by
`model.quantize(...)`, is compared with a copy of it that computes the way TF.js does:
- every float dtype policy float32 (weights widened: exact);
- every Keras-quantised layer a float layer holding the weights Keras' own inference uses, taken
  from Keras itself: an int8 / int4 Dense gives its kernel as its output on an identity matrix
  with its input quantiser off, an Embedding its table for the ids 0..n-1, a float8 kernel is
  keras.quantizers.quantize_and_dequantize'd (what its call does to the kernel).
The difference from the model as it is (its own policy, Keras' quantised inference) is reported
for information. Imports Keras: only verify and the Graph path (which traces the float32-policy
copy) use this.
"""

import numpy as np

LOW_PRECISION = ("mixed_float16", "mixed_bfloat16", "float16", "bfloat16")
_FLOAT32 = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}, "registered_name": None}


def differences(model, quantized=True):
    """What keeps `model` from computing as TF.js does: the low-precision policies its layers use
    and the Keras quantisation modes `quantized` selects (see _selected), e.g. ["mixed_float16", "int8"]."""
    found = set()
    for layer in model._flatten_layers(include_self=False):
        policy = getattr(layer, "dtype_policy", None)
        name = getattr(policy, "name", "")
        mode = getattr(layer, "quantization_mode", None)
        source = name.split("_from_", 1)[1] if "_from_" in name else name
        if source in LOW_PRECISION:
            found.add(source)
        if _selected(quantized, mode):
            found.add(mode)
    return sorted(found)


def reference_model(model, quantized=True):
    """(model, label): a copy of the Keras 3 `model` computing as TF.js does, and a label for the
    model as it is (e.g. "mixed_float16 policy"); (model, None) when it already does. `quantized`
    says which Keras-quantised layers become their float reference: True every one, False none
    (they stay as they are), or a tuple of modes: the Graph format keeps Keras' int8 / int4 integer
    arithmetic and takes only float8 layers' references (TF.js has no float8 dtype)."""
    what = differences(model, quantized)
    if not what:
        return model, None
    import keras
    try:
        clone = model.__class__.from_config(_float_config(model.get_config(), quantized))
    except Exception:  # a subclassed model without from_config: compared as it is
        return model, None
    for original, copy in zip(_leaves(model), _leaves(clone)):
        if _selected(quantized, getattr(original, "quantization_mode", None)):
            _float_weights(keras, original, copy)
        else:
            for source, target in zip(original.weights, copy.weights):
                target.assign(keras.ops.convert_to_numpy(source).astype(target.dtype))
    labels = [f"{p} policy" if p in LOW_PRECISION else f"Keras {p} inference" for p in what]
    return clone, " + ".join(labels)


def _selected(quantized, mode):
    """True when a layer Keras quantised in `mode` (None: not quantised) is to be replaced by its
    float reference: `quantized` is True (every mode), False (none) or a tuple of modes."""
    return bool(mode) and (quantized is True or (bool(quantized) and mode in quantized))


def _float_config(value, quantized):
    """A model config with float32 dtype policies where layers compute in low precision, and
    float32 ones with no quantization_config where Keras quantised them in a mode `quantized`
    selects (_selected)."""
    if isinstance(value, list):
        return [_float_config(v, quantized) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: _float_config(v, quantized) for k, v in value.items()}
    dtype = out.get("dtype")
    policy = dtype.get("config") if isinstance(dtype, dict) else None
    if isinstance(policy, dict):
        mode_selected = _selected(quantized, policy.get("mode"))
        if policy.get("name") in LOW_PRECISION or mode_selected:
            out["dtype"] = dict(_FLOAT32)
            if quantized is True or mode_selected:
                out.pop("quantization_config", None)
        elif policy.get("source_name") in LOW_PRECISION:
            out["dtype"] = dict(dtype, config=dict(policy, source_name="float32"))
    elif dtype in LOW_PRECISION:
        out["dtype"] = "float32"
    if quantized is True and "quantization_config" in out and isinstance(out.get("dtype"), (dict, str)):
        out["quantization_config"] = None
    return out


def _leaves(model):
    """The layers of `model` that own variables directly, in a stable order."""
    return [layer for layer in model._flatten_layers(include_self=False)
            if not list(layer._flatten_layers(include_self=False))]


def _float_weights(keras, layer, copy):
    """Give the float `copy` of a Keras-quantised layer the weights Keras' inference uses."""
    numpy = keras.ops.convert_to_numpy  # any backend's tensors and variables
    mode = layer.quantization_mode
    name = type(layer).__name__
    bias = getattr(layer, "bias", None)
    if name == "Embedding":
        ids = np.arange(layer.input_dim, dtype="int32")
        copy.embeddings.assign(numpy(layer(ids)))
        return
    if name != "Dense":
        raise ValueError(f"layer '{layer.name}' ({name}): Keras {mode} quantisation has no float reference here")
    if mode == "float8":
        kernel = keras.quantizers.quantize_and_dequantize(
            layer._kernel, layer.kernel_scale, "float8_e4m3fn", "float32")
    else:
        # Keras' own int8 / int4 inference with float inputs, no bias (zeroed: subtracting it
        # would round) and no activation, on an identity matrix: its rows are the kernel's.
        quantizer, activation = getattr(layer, "inputs_quantizer", None), layer.activation
        saved_bias = None if bias is None else numpy(bias)
        layer.inputs_quantizer, layer.activation = None, None
        if bias is not None:
            bias.assign(np.zeros_like(saved_bias))
        try:
            kernel = layer(np.eye(copy.kernel.shape[0], dtype="float32"))
        finally:
            layer.inputs_quantizer, layer.activation = quantizer, activation
            if bias is not None:
                bias.assign(saved_bias)
    copy.kernel.assign(numpy(kernel).astype(np.float32))
    if bias is not None:
        copy.bias.assign(numpy(bias).astype(np.float32))
