"""TF.js rewrite: batch norms TF.js cannot run as they are become plain elementwise ops.

TF.js' `FusedBatchNorm*` kernel normalises with the given mean and variance along the last axis,
whatever `is_training` and `data_format` say. tf_keras lowers `LayerNormalization` onto a
*training-mode*, `NCHW` FusedBatchNormV3 (statistics from the batch, channels on axis 1), so
TF.js fails with "scale must have the same number of elements as the channels of x". Those
nodes (training mode, or channels first) become

    training: y = (x - mean(x)) * rsqrt(var(x) + eps) * scale + offset   (moments over non-channel axes)
    inference: y = x * (scale * rsqrt(var + eps)) + (offset - mean * scale * rsqrt(var + eps))

with scale/offset reshaped to broadcast along the channel axis. Inference channels-last batch
norms stay as they are (fold_batch_norms folds them, or TF.js runs them). The constant maths are
folded afterwards by const_fold / grappler.
"""

import numpy as np

from tfjs_export.converter.graph.nodes import GraphIndex, input_name, make_const, unique_name
from tfjs_export.converter.graph.tf_modules import tensorflow_protos

BATCH_NORMS = ("FusedBatchNorm", "FusedBatchNormV2", "FusedBatchNormV3")
_CHANNELS_FIRST = {b"NCHW": (4, 1), b"NCDHW": (5, 1)}  # data_format -> (rank, channel axis)
_CHANNELS_LAST = {b"": (4, 3), b"NHWC": (4, 3), b"NDHWC": (5, 4)}
_FLOAT = 1  # DT_FLOAT


class _Builder:
    """Appends new nodes named under a prefix, all of dtype T."""

    def __init__(self, graph_def, index, prefix, t):
        self.graph_def, self.index, self.prefix, self.t = graph_def, index, prefix, t

    def const(self, suffix, array):
        node = make_const(unique_name(self.index, f"{self.prefix}/{suffix}"), np.asarray(array))
        self.graph_def.node.append(node)
        return node.name

    def op(self, suffix, op, *inputs, **attrs):
        node = tensorflow_protos().node_def_pb2.NodeDef(name=unique_name(self.index, f"{self.prefix}/{suffix}"),
                                                        op=op)
        node.input.extend(inputs)
        if op not in ("Reshape", "Mean"):
            node.attr["T"].type = self.t
        for key, value in attrs.items():
            if isinstance(value, bool):
                node.attr[key].b = value
            elif isinstance(value, float):
                node.attr[key].f = value
            else:
                node.attr[key].type = value
        self.graph_def.node.append(node)
        return node.name

    def mean(self, suffix, x, axes):
        return self.op(suffix, "Mean", x, self.const(f"{suffix}/axes", np.array(axes, np.int32)),
                       T=self.t, Tidx=3, keep_dims=True)

    def broadcast(self, suffix, vector, rank, axis):
        """Reshape a per-channel vector to broadcast along `axis` of a rank-`rank` tensor."""
        if axis == rank - 1:
            return vector
        shape = [1] * (rank - 1)
        shape[axis - 1] = -1  # the batch axis is left out: numpy-style broadcasting adds it
        return self.op(suffix, "Reshape", vector, self.const(f"{suffix}/shape", np.array(shape, np.int32)),
                       T=self.t, Tshape=3)


def lower_batch_norms(graph_def):
    """Rewrite training-mode and channels-first FusedBatchNorm* nodes in place; return how many."""
    index = GraphIndex(graph_def)
    lowered = 0
    for node in list(graph_def.node):
        if node.op not in BATCH_NORMS or _reads_statistics(index, node) or node.attr["T"].type != _FLOAT:
            continue  # half-precision batch norms keep float32 parameters: not rewritten here
        fmt = node.attr["data_format"].s
        training = node.attr["is_training"].b
        if fmt in _CHANNELS_LAST and not training:
            continue
        rank, axis = _CHANNELS_FIRST.get(fmt) or _CHANNELS_LAST.get(fmt, (None, None))
        if rank is None:
            continue
        _replace_batch_norm(graph_def, index, node, rank, axis, training)
        lowered += 1
    return lowered


def _reads_statistics(index, node):
    """True if a consumer reads the batch mean/variance outputs (training graphs only)."""
    for consumer in index.consumers.get(node.name, ()):
        for ref in index.by_name[consumer].input:
            if input_name(ref) == node.name and ":" in ref and not ref.endswith(":0"):
                return True
    return False


def _replace_batch_norm(graph_def, index, node, rank, axis, training):
    x, scale, offset, mean, var = node.input[:5]
    b = _Builder(graph_def, index, node.name, node.attr["T"].type)
    eps = b.const("epsilon", np.array(node.attr["epsilon"].f, np.float32))
    if training:
        axes = [a for a in range(rank) if a != axis]
        mean = b.mean("mean", x, axes)
        var = b.mean("variance", b.op("squared_difference", "SquaredDifference", x, mean), axes)
        inv = b.op("inv", "Mul", b.op("rsqrt", "Rsqrt", b.op("var_eps", "AddV2", var, eps)),
                   b.broadcast("scale_b", scale, rank, axis))
        y = b.op("centered_scaled", "Mul", b.op("centered", "Sub", x, mean), inv)
        result_inputs = [y, b.broadcast("offset_b", offset, rank, axis)]
    else:
        inv = b.op("inv", "Mul", scale, b.op("rsqrt", "Rsqrt", b.op("var_eps", "AddV2", var, eps)))
        shift = b.op("shift", "Sub", offset, b.op("mean_inv", "Mul", mean, inv))
        y = b.op("scaled", "Mul", x, b.broadcast("inv_b", inv, rank, axis))
        result_inputs = [y, b.broadcast("shift_b", shift, rank, axis)]
    controls = [r for r in node.input if r.startswith("^")]
    _become(node, "AddV2", result_inputs + controls, b.t)


def _become(node, op, inputs, t):
    """Turn `node` into op(inputs) with dtype t, in place (its consumers keep reading it)."""
    node.op = op
    node.ClearField("attr")
    node.attr["T"].type = t
    del node.input[:]
    node.input.extend(inputs)
