"""TF.js rewrite: fold inference batch norms into the preceding convolution / matmul.

Two shapes reach us after grappler's first pass:
- `FusedBatchNorm{,V2,V3}` (is_training=False; tf_keras graphs) after Conv2D, DepthwiseConv2dNative
  or MatMul with constant weights: y = (x - mean) * gamma / sqrt(var + eps) + beta.
- `Mul(conv, c)` with a constant per-output-channel c (Keras 3 batch norm after grappler's constant
  folding, when grappler did not push the Mul into the weights itself).
Both become the convolution with scaled weights, followed by a BiasAdd: one fused kernel in TF.js
after the remap pass, instead of 3-5 elementwise ops over the whole activation.
"""

import numpy as np

from tfjs_export.converter.graph.nodes import (GraphIndex, become_bias_add, input_name, make_const, output_channels,
                                   remove_nodes, unique_name)

_FOLDABLE = ("Conv2D", "DepthwiseConv2dNative", "MatMul")
_BATCH_NORMS = ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")


def fold_batch_norms(graph_def, scales=None):
    """Rewrite graph_def in place; return the number of batch norms / scales folded. `scales`, a
    dict, receives {new weight Const name: the scale folded into it, per output channel} (the
    quantisation keeps the rounding of the unfolded weights with it: per_channel.py)."""
    folded = 0
    index = GraphIndex(graph_def)
    for name in [n.name for n in graph_def.node]:
        node = index.by_name.get(name)
        if node is None:
            continue  # removed by an earlier fold
        if node.op in _BATCH_NORMS and not node.attr["is_training"].b:
            done = _fold_fused_batch_norm(graph_def, index, node, scales)
        elif node.op == "Mul":
            done = _fold_scale(graph_def, index, node, scales)
        else:
            done = 0
        if done:
            folded += 1
            index = GraphIndex(graph_def)
    return folded


def _conv_with_const_weights(index, ref):
    conv = index.by_name.get(input_name(ref))
    if conv is None or conv.op not in _FOLDABLE or not index.single_consumer(conv.name):
        return None, None
    if conv.op == "MatMul" and (conv.attr["transpose_b"].b or conv.attr["transpose_a"].b):
        return None, None
    if conv.op != "MatMul" and conv.attr["data_format"].s not in (b"", b"NHWC"):
        return None, None
    weights = index.const_value(conv.input[1])
    return (conv, weights) if weights is not None else (None, None)


def _scaled_weights(conv, weights, scale):
    if conv.op == "DepthwiseConv2dNative":  # [h, w, in, multiplier]; output channel = in*mult+m
        return (weights * scale.reshape(weights.shape[2], weights.shape[3])).astype(weights.dtype)
    return (weights * scale).astype(weights.dtype)  # last axis is the output channel


def _replace_weights(graph_def, index, conv, new_weights, scale, scales):
    name = unique_name(index, f"{conv.name}/folded_weights")
    graph_def.node.append(make_const(name, new_weights))
    if scales is not None:  # a second fold into the same weights multiplies the scales
        scales[name] = scale * scales.get(input_name(conv.input[1]), 1.0)
    conv.input[1] = name


def _fold_fused_batch_norm(graph_def, index, bn, scales):
    if bn.attr["data_format"].s not in (b"", b"NHWC"):
        return 0
    if any(index.consumers.get(bn.name) and ":" in r and not r.endswith(":0")
           for c in index.consumers.get(bn.name, ()) for r in index.by_name[c].input
           if input_name(r) == bn.name):
        return 0  # a consumer reads the batch mean/variance outputs
    conv, weights = _conv_with_const_weights(index, bn.input[0])
    params = [index.const_value(r) for r in bn.input[1:5]]
    if conv is None or any(p is None for p in params) or weights.dtype != np.float32:
        return 0
    gamma, beta, mean, var = (p.astype(np.float64) for p in params)
    scale = gamma / np.sqrt(var + bn.attr["epsilon"].f)
    if scale.shape != (output_channels(conv, weights),):
        return 0
    _replace_weights(graph_def, index, conv, _scaled_weights(conv, weights, scale), scale, scales)
    bias_name = unique_name(index, f"{bn.name}/folded_bias")
    graph_def.node.append(make_const(bias_name, (beta - mean * scale).astype(np.float32)))
    become_bias_add(bn, conv.name, bias_name)
    return 1


def _fold_scale(graph_def, index, mul, scales):
    """Mul(conv, s) -> conv' ; Mul(BiasAdd(conv, b), s) -> BiasAdd(conv', b*s); conv' = conv with
    weights * s. The Mul node takes the role of the last node, so its consumers are unchanged."""
    for data, const in ((0, 1), (1, 0)):
        scale = index.const_value(mul.input[const])
        producer = index.by_name.get(input_name(mul.input[data]))
        if scale is None or producer is None or not index.single_consumer(producer.name):
            continue
        bias = None
        if producer.op == "BiasAdd":
            bias = index.const_value(producer.input[1])
            if bias is None:
                continue
            conv, weights = _conv_with_const_weights(index, producer.input[0])
        else:
            conv, weights = _conv_with_const_weights(index, mul.input[data])
        if conv is None or weights.dtype != np.float32:
            continue
        channels = output_channels(conv, weights)
        scale = np.asarray(scale, np.float64)
        if scale.size != channels or scale.shape[-1:] != (channels,) or scale.ndim > 4:
            continue  # not a per-output-channel scale
        scale = scale.reshape(-1)
        _replace_weights(graph_def, index, conv, _scaled_weights(conv, weights, scale), scale, scales)
        if bias is None:
            _take_over(mul, conv)
            _remove(graph_def, {conv.name})
        else:
            bias_name = unique_name(index, f"{mul.name}/folded_bias")
            graph_def.node.append(make_const(bias_name, (bias * scale).astype(np.float32)))
            become_bias_add(mul, conv.name, bias_name)
            _remove(graph_def, {producer.name})
        return 1
    return 0


def _take_over(target, source):
    """Make `target` compute what `source` computes (same op, attrs and inputs)."""
    target.op = source.op
    target.ClearField("attr")
    for key in source.attr:
        target.attr[key].CopyFrom(source.attr[key])
    del target.input[:]
    target.input.extend(source.input)


def _remove(graph_def, names):
    remove_nodes(graph_def, set(names))
