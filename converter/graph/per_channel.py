"""Per-channel uint8/uint16 quantisation for Graph models, in a form every TF.js 4.x loads.

TF.js stores a quantised weight with one `min`/`scale` per tensor. This pass gives a weight one
range per output channel instead, without any format extension: the weight Const is replaced by
exact integers `q` (float32 values 0..qmax, which the writer stores as uint8/uint16 with min 0 and
scale 1: lossless), and the graph dequantises them in front of their consumer:

    <weight> (q) -> <weight>/dequantize/mul = Mul(q, <weight>/dequantize/scale)
                 -> <weight>/dequantize     = Add(.., <weight>/dequantize/min) -> the conv / matmul

`scale` and `min` are float32 vectors shaped to broadcast along the output-channel axis (kept
float32 by the writer: `dequantization_vector_names`). The integers of a channel follow the
TF-Lite nudged-zero rule of codec/quantization.py, per channel.

Which weights: the uint8/uint16 ones (the quantisation plan) feeding, directly or through
Identity / Enter / IdentityN, the weight operand of an op with an output-channel axis
(WEIGHT_AXES; matmuls only with a folded batch norm, see _MATMULS). A weight is rewritten only
where it measurably helps: the mean over output channels of the rounding noise-to-signal ratio
(squared error / squared values) must drop to at most GAIN_NEEDED of what one range per tensor
gives. A convolution's channels are normalised after it, so a channel's relative error is what
reaches the output; and each rewrite adds two ops to every predict.

The same form carries batch-norm folding without its rounding cost (`per_tensor` granularity):
a scale `k` folded into a weight (fold_batch_norms.py records it) widens the weight's range, so
the Const holds the unfolded weight `w / k`, which the writer quantises with one range (as
Keras's own weights would be: their rounding floor), and the graph multiplies by `k` (one Mul).

A one-Mul dequantisation then moves after its consumer where that is cheaper (scale_after.py).
"""

import numpy as np

from tfjs_export.codec import dequantize, quantize
from tfjs_export.codec.quantization import _QMAX  # the affine dtypes' qmax: one place
from tfjs_export.converter.graph.nodes import GraphIndex, input_name, make_const
from tfjs_export.converter.quantization_plan import keep_float32_reason

# A rewrite must cut the mean per-channel noise-to-signal ratio to at most this fraction of the
# per-tensor one (0.5: the rounding error's RMS down by ~30%): a round figure for a gain worth two
# ops at every predict, not tuned by a sweep (BENCHMARKS.md has what it gives).
GAIN_NEEDED = 0.5
# per_tensor granularity (the default) rewrites a folded weight only when folding cost much more:
# the Mul/Add run at every predict (EfficientNetB0 with 43 such rewrites: 100 ms vs 73 ms float32
# in tfjs-node), and folded with one range the zoo and trained models stay within 1.13x of
# Keras's own rounding (BENCHMARKS.md).
FOLD_GAIN_NEEDED = 0.25
_PASS_THROUGH = ("Identity", "Enter")
# Matmuls get one range per channel only when a batch norm was folded into them. A channel of a
# convolution is normalised after it (its batch norm, folded or not), so its relative error is what
# propagates; a Dense or recurrent kernel's outputs are not, and its small channels carry little of
# the output. Measured on a trained LSTM text model: per-channel recurrent kernels cut the weights'
# rounding error 3x yet doubled the output error (the large channels keep the per-tensor step).
_MATMULS = ("MatMul", "_FusedMatMul", "BatchMatMulV2")
SUFFIX = "/dequantize"
# --quantization_range mse: the clippings of a channel's range tried (1.0: min/max). A Gaussian
# channel of n values has its least squared uint8 error near 0.6-0.8 of its max for large n;
# small channels (a 3x3 depthwise kernel) keep 1.0.
# The one-Mul (symmetric) form is used when its noise-to-signal is at most this multiple of the
# affine form's: it halves the ops a rewrite adds to every predict (BENCHMARKS.md), and a channel
# centred on zero loses almost nothing by it (a folded or depthwise kernel's channels are).
SYMMETRIC_COST = 1.25
CLIP_CANDIDATES = (1.0, 0.95, 0.9, 0.85, 0.8, 0.7, 0.6, 0.5)


def _last(ndim):
    return (ndim - 1,)


def _flag(node, attr):
    return attr in node.attr and node.attr[attr].b  # reading a missing attr through [] would add it


def _matmul_axes(node, ndim):
    transposed = _flag(node, "transpose_b") or _flag(node, "adj_y")
    return (ndim - 2,) if transposed else (ndim - 1,)


# consumer op -> (index of the weight operand, the weight's output-channel axes given the node and ndim)
WEIGHT_AXES = {
    "Conv2D": (1, lambda node, ndim: _last(ndim)),
    "_FusedConv2D": (1, lambda node, ndim: _last(ndim)),
    "Conv3D": (1, lambda node, ndim: _last(ndim)),
    # [h, w, in, multiplier]: output channel in*multiplier+m, one range per (in, m).
    "DepthwiseConv2dNative": (1, lambda node, ndim: (2, 3)),
    "FusedDepthwiseConv2dNative": (1, lambda node, ndim: (2, 3)),
    "MatMul": (1, _matmul_axes),
    "_FusedMatMul": (1, _matmul_axes),
    "BatchMatMulV2": (1, _matmul_axes),
    # [h, w, out, in] for a transposed convolution.
    "Conv2DBackpropInput": (1, lambda node, ndim: (2,)),
}


def channel_ranges(weights, axes, qmax):
    """Per-channel (scale, min) of float32 `weights` along `axes` (the other axes reduced, kept as
    size 1 to broadcast), both float64, with the nudged-zero rule of codec/quantization.py."""
    reduce = tuple(a for a in range(weights.ndim) if a not in axes)
    w = weights.astype(np.float64)
    lo, hi = w.min(axis=reduce, keepdims=True), w.max(axis=reduce, keepdims=True)
    constant = hi == lo
    scale = np.where(constant, 1.0, (hi - lo) / qmax)
    nudge = (lo <= 0) & (hi >= 0) & ~constant
    zero_point = np.round(np.where(nudge, -lo / scale, 0))
    low = np.where(nudge, -zero_point * scale, lo)
    return scale, low


def quantize_channels(weights, axes, qmax, range_choice="minmax"):
    """(q, scale, min): float32 integers 0..qmax and the float32 vectors the graph multiplies and
    adds (q * scale + min, in float32 as TF.js computes it). `range_choice`: "minmax" (each
    channel's full range) or "mse" (per channel, the clipping of CLIP_CANDIDATES with the least
    squared rounding error, clipped values included)."""
    if range_choice == "minmax":
        return _quantize_clipped(weights, axes, qmax, 1.0)
    candidates = [_quantize_clipped(weights, axes, qmax, c) for c in CLIP_CANDIDATES]
    reduce = tuple(a for a in range(weights.ndim) if a not in axes)
    w = weights.astype(np.float64)
    errors = np.stack([((dequantize_channels(*c).astype(np.float64) - w) ** 2).sum(axis=reduce, keepdims=True)
                       for c in candidates])
    best = np.argmin(errors, axis=0)[None]  # the first (widest) on ties: min/max unless clipping gains
    q = np.take_along_axis(np.stack([c[0] for c in candidates]), np.broadcast_to(best, (1,) + weights.shape), 0)
    scale, low = (np.take_along_axis(np.stack([c[i] for c in candidates]), best, 0)[0] for i in (1, 2))
    return q[0], scale, low


def _quantize_clipped(weights, axes, qmax, clip):
    """quantize_channels with each channel's range [lo, hi] narrowed to [clip * lo, clip * hi]
    (a range holding zero keeps it: the nudged-zero rule still applies)."""
    w = weights.astype(np.float64)
    if clip != 1.0:
        reduce = tuple(a for a in range(weights.ndim) if a not in axes)
        lo, hi = w.min(axis=reduce, keepdims=True), w.max(axis=reduce, keepdims=True)
        straddles = (lo <= 0) & (hi >= 0)  # an all-positive or all-negative channel keeps its range
        w = np.clip(w, np.where(straddles, clip * lo, lo), np.where(straddles, clip * hi, hi))
    scale, low = channel_ranges(w, axes, qmax)
    high = qmax * scale + low
    q = np.round((np.clip(weights.astype(np.float64), low, high) - low) / scale)
    return q.astype(np.float32), scale.astype(np.float32), low.astype(np.float32)


def dequantize_channels(q, scale, low):
    """What the graph computes: float32 Mul then float32 Add (Mul only when `low` is None: the
    symmetric form)."""
    product = (q * scale).astype(np.float32)
    return product if low is None else product + low


def quantize_channels_symmetric(weights, axes, qmax):
    """(k, scale, None): integers k in [-(qmax+1)/2, (qmax-1)/2] (-128..127 for uint8) with
    weights ~ k * scale, scale per channel the smallest that holds the channel's min and max.
    Stored per tensor, such integers decode exactly (min -128, scale 1) when the tensor reaches
    both ends, and the graph needs one Mul: half the ops of the affine form, at the cost of a
    range centred on zero (up to 1 bit lost on a one-sided channel; `choose` measures it)."""
    half = (qmax + 1) // 2
    reduce = tuple(a for a in range(weights.ndim) if a not in axes)
    w = weights.astype(np.float64)
    lo, hi = w.min(axis=reduce, keepdims=True), w.max(axis=reduce, keepdims=True)
    scale = np.maximum(-lo / half, hi / (half - 1))
    scale = np.where(scale > 0, scale, 1.0)
    scale = _reach_both_ends(w, lo, hi, scale, half)
    scale = scale.astype(np.float32)
    k = np.clip(np.round(w / scale.astype(np.float64)), -half, half - 1)
    return k.astype(np.float32), scale, None


def _reach_both_ends(w, lo, hi, scale, half):
    """`scale` (float64, per channel) with at most two channels' scales changed so that the
    integers reach -half and half - 1 (stored per tensor they then decode exactly), or unchanged
    if no channel can. The smallest scales map each channel's extreme to -half or half - 1 only
    when the channel is skewed that way: a trained or folded kernel's channels are nearly
    symmetric (ResNet50's 3x3x512x512 kernels reached -127..127 only, and fell back to Mul + Add).
    A channel reaches -half, with no value out of range, for scales s in
    (max(-lo / (half + 0.5), hi / (half - 0.5)), -lo / (half - 0.5)]: for each missing end the
    channel with the widest such interval takes its geometric middle (its rounding step changes
    by at most 1.6%)."""
    scale = scale.copy()
    flat = lambda a: a.reshape(-1)
    lo_c, hi_c, s_c = flat(lo).copy(), flat(hi).copy(), flat(scale)  # s_c: a view into scale
    with np.errstate(divide="ignore", invalid="ignore"):
        for end in ("low", "high"):
            k = np.round(w / scale)
            if (end == "low" and k.min() <= -half) or (end == "high" and k.max() >= half - 1):
                continue
            if end == "low":
                a, b = np.maximum(-lo_c / (half + 0.5), hi_c / (half - 0.5)), -lo_c / (half - 0.5)
            else:
                a, b = np.maximum(hi_c / (half - 0.5), -lo_c / (half + 0.5)), hi_c / (half - 1.5)
            width = np.where((a > 0) & (b > a), b / a, 0.0)
            c = int(np.argmax(width))
            if width[c] > 1:
                s_c[c] = np.sqrt(a[c] * b[c])
    return scale


def noise_to_signal(weights, decoded, axes):
    """Mean over output channels of sum((decoded - weights)^2) / sum(weights^2)."""
    reduce = tuple(a for a in range(weights.ndim) if a not in axes)
    w = weights.astype(np.float64)
    error = ((decoded.astype(np.float64) - w) ** 2).sum(axis=reduce)
    signal = (w ** 2).sum(axis=reduce)
    return float(np.mean(error / np.maximum(signal, np.finfo(np.float64).tiny)))


def _per_tensor(weights, dtype):
    """The weight as TF.js decodes it when stored with one range (codec: exact TF.js decode),
    and (q as float32, the manifest's min, scale)."""
    encoded, entry = quantize(np.ascontiguousarray(weights, np.float32), dtype)
    return dequantize(encoded, entry), encoded.astype(np.float32), entry["min"], entry["scale"]


def _ref(ref):
    """'a:1' -> ('a', 1); 'a' -> ('a', 0)."""
    name, _, port = ref.partition(":")
    return name, int(port) if port else 0


def _weight_uses(index, const_name):
    """[consumer node] for every op reading const_name as its weight operand, directly or through
    Identity / Enter / IdentityN (a loop's per-iteration binding, loop_frames.py), or None if some
    reader is anything else."""
    uses, stack = [], [(const_name, 0)]
    while stack:
        name, port = stack.pop()
        for consumer_name in set(index.consumers.get(name, ())):
            consumer = index.by_name[consumer_name]
            if any(r == "^" + name for r in consumer.input):
                return None  # a control edge: leave it alone
            refs = [i for i, r in enumerate(consumer.input) if _ref(r) == (name, port)]
            if not refs:
                continue  # reads another output of `name`
            if consumer.op in _PASS_THROUGH or consumer.op == "IdentityN":
                stack.extend((consumer.name, i if consumer.op == "IdentityN" else 0) for i in refs)
                continue
            spec = WEIGHT_AXES.get(consumer.op)
            if spec is None or refs != [spec[0]]:
                return None
            uses.append(consumer)
    return uses


def choose(weights, axes, dtype, fold_scale=None, range_choice="minmax"):
    """How to store `weights` (an output-channel `axes` tensor to be stored as `dtype`): None
    (one range per tensor, as TF.js stores it) or (q, scale, min) for the graph's dequantisation.
    `fold_scale` (a folded batch-norm scale k along the output channels, per_tensor granularity):
    (w / k, k, None), the unfolded weight for the writer to quantise with one range and k for the
    graph's one Mul; without it, one range per output channel, chosen by `range_choice`
    (quantize_channels)."""
    qmax = _QMAX[dtype]
    decoded_tensor = _per_tensor(weights, dtype)[0]
    baseline = noise_to_signal(weights, decoded_tensor, axes)
    if fold_scale is not None:
        shape = [weights.shape[a] if a in axes else 1 for a in range(weights.ndim)]
        k = np.asarray(fold_scale, np.float64).reshape(shape).astype(np.float32)
        if not np.all(np.isfinite(k)) or np.any(k == 0):
            return None
        unfolded = (weights / k).astype(np.float32)
        candidate = noise_to_signal(weights, (_per_tensor(unfolded, dtype)[0] * k).astype(np.float32), axes)
        return None if candidate > FOLD_GAIN_NEEDED * baseline else (unfolded, k, None)
    q, scale, low = quantize_channels(weights, axes, qmax, range_choice)
    if q.min() != 0 or q.max() != qmax:
        return None  # stored with one range, the integers would not decode as themselves (min 0, scale 1)
    candidate = noise_to_signal(weights, dequantize_channels(q, scale, low), axes)
    if candidate > GAIN_NEEDED * baseline:
        return None
    if range_choice == "minmax":
        k, k_scale, _ = quantize_channels_symmetric(weights, axes, qmax)
        half = (qmax + 1) // 2
        if k.min() == -half and k.max() == half - 1 and \
                noise_to_signal(weights, dequantize_channels(k, k_scale, None), axes) <= SYMMETRIC_COST * candidate:
            return k, k_scale, None
    return q, scale, low


def quantize_per_channel(graph_def, plan, per_channel=True, fold_scales=None, range_choice="minmax"):
    """Rewrite graph_def in place: the uint8/uint16 weights of `plan` (a QuantizationPlan) that
    gain from it get a per-channel dequantisation (with `per_channel`; ranges by `range_choice`,
    see quantize_channels), and folded weights (`fold_scales`: {Const name: scale along its output
    channels}) keep the rounding of their unfolded values. Returns the number of weights rewritten."""
    fold_scales = fold_scales or {}
    index = GraphIndex(graph_def)
    rewritten = 0
    for const in [n for n in graph_def.node if n.op == "Const"]:
        if const.input:
            continue  # control inputs tie it to a loop frame: the dequantisation ops would need them too
        if not per_channel and const.name not in fold_scales:
            continue
        weights = index.const_value(const.name)
        if weights is None or weights.dtype != np.float32 or weights.ndim < 2:
            continue
        dtype = plan.requested_dtype(const.name, weights)  # the rule judges the per-channel rounding below
        if dtype not in _QMAX:
            continue
        uses = _weight_uses(index, const.name)
        if not uses:
            continue
        axes = {WEIGHT_AXES[u.op][1](u, weights.ndim) for u in uses}
        if len(axes) != 1:
            continue
        if per_channel and const.name not in fold_scales and any(u.op in _MATMULS for u in uses):
            continue  # no normalisation after it: see _MATMULS
        axis = axes.pop()
        chosen = choose(weights, axis, dtype, None, range_choice) if per_channel else None
        if chosen is not None and plan.keep_float32 == "auto" \
                and keep_float32_reason(weights, dtype, dequantize_channels(*chosen)):
            continue  # float32, as the writer's rule then says of the per-tensor rounding too
        if chosen is None and const.name in fold_scales:
            # per_tensor, or per-channel ranges gaining too little: a folded weight still keeps the
            # rounding of its unfolded values where that gains (the writer's rule judges what it stores)
            chosen = choose(weights, axis, dtype, fold_scales[const.name], range_choice)
        if chosen is None:
            continue  # one range per tensor
        _rewrite(graph_def, index, const, *chosen)
        rewritten += 1
    if per_channel:
        keep_channel_vectors(graph_def, plan)
    return rewritten


# Ops whose vector operand is one value per channel: a bias, a batch norm's or a normalisation's
# scale and offset, a PReLU slope (the fused ops read biases and slopes from operand 2 on).
_CHANNEL_VECTOR_READERS = ("BiasAdd", "Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "Prelu",
                           "FusedBatchNorm", "FusedBatchNormV3", "_FusedConv2D", "FusedDepthwiseConv2dNative",
                           "_FusedMatMul")
CHANNEL_VECTOR_REASON = "per_channel: one value per channel"


def keep_channel_vectors(graph_def, plan):
    """per_channel granularity: a vector weight read by _CHANNEL_VECTOR_READERS (biases, batch-norm
    offsets, normalisation scales) has one value per channel, so its per-channel range is the value
    itself: it stays float32 (`plan.kept_in_graph`). Rounded with one range per tensor, a folded
    batch norm's offsets move whole channels: on a trained CNN three such vectors gave a third of
    the uint8 output error; kept, 3% more bytes (BENCHMARKS.md). Returns the names kept."""
    if plan.keep_float32 != "auto":
        return []  # none: every matched weight quantised
    index = GraphIndex(graph_def)
    kept = []
    for const in graph_def.node:
        if const.op != "Const":
            continue
        value = index.const_value(const.name)
        if value is None or value.dtype != np.float32 or value.ndim != 1 or value.size < 2 \
                or plan.requested_dtype(const.name, value) not in _QMAX:
            continue
        readers = _readers_through_identity(index, const.name)
        if readers and all(r.op in _CHANNEL_VECTOR_READERS for r in readers):
            plan.kept_in_graph.setdefault(const.name, CHANNEL_VECTOR_REASON)
            kept.append(const.name)
    return kept


def _readers_through_identity(index, name):
    """The nodes reading `name`, looking through Identity / Enter."""
    readers, stack, seen = [], [name], set()
    while stack:
        current = stack.pop()
        for reader in index.consumers.get(current, ()):
            node = index.by_name[reader]
            if reader in seen:
                continue
            seen.add(reader)
            if node.op in _PASS_THROUGH:
                stack.append(reader)
            else:
                readers.append(node)
    return readers


def _rewrite(graph_def, index, const, q, scale, low):
    """The weight's Const becomes the integers; its readers read `<name>/dequantize`: Mul then
    Add (affine), or one Mul (symmetric or folded: `low` None)."""
    name = const.name
    readers = list(index.consumers.get(name, ()))
    const.attr["value"].tensor.CopyFrom(make_const(name, q).attr["value"].tensor)
    graph_def.node.append(make_const(f"{name}{SUFFIX}/scale", scale))
    if low is None:
        ops = (("Mul", f"{name}{SUFFIX}", [name, f"{name}{SUFFIX}/scale"]),)
    else:
        graph_def.node.append(make_const(f"{name}{SUFFIX}/min", low))
        ops = (("Mul", f"{name}{SUFFIX}/mul", [name, f"{name}{SUFFIX}/scale"]),
               ("Add", f"{name}{SUFFIX}", [f"{name}{SUFFIX}/mul", f"{name}{SUFFIX}/min"]))
    for op, node_name, inputs in ops:
        node = graph_def.node.add(name=node_name, op=op, input=inputs)
        node.attr["T"].type = 1  # DT_FLOAT
    for reader in readers:
        node = index.by_name[reader]
        for i, ref in enumerate(node.input):
            if ref == name or ref == f"{name}:0":
                node.input[i] = f"{name}{SUFFIX}"


def dequantization_vector_names(graph_def):
    """Names of the scale/min Consts this pass wrote (kept float32 by the writer): found by the
    structure it writes, so a written model.json's graph tells them too."""
    by_name = {n.name: n for n in graph_def.node}
    names = set()
    for node in graph_def.node:
        if not node.name.endswith(SUFFIX) or len(node.input) != 2:
            continue
        base = node.name[:-len(SUFFIX)]
        if node.op == "Mul" and node.input[1] == f"{node.name}/scale":
            # one Mul: on the weight (symmetric / folded form), or moved after its consumer
            # (scale_after.py: then the consumer may read a b / s bias of the same prefix)
            names.add(f"{node.name}/scale")
            names.update(n for n in (f"{node.name}/bias",) if n in by_name)
            continue
        mul = by_name.get(node.input[0])
        if node.op != "Add" or mul is None or mul.op != "Mul" or list(mul.input) != [base, f"{node.name}/scale"] \
                or node.input[1] != f"{node.name}/min":
            continue
        names.update((f"{node.name}/scale", f"{node.name}/min"))
    return names


def dequantized_weight_count(model_json):
    """How many weights of a written Graph model's model.json this pass rewrote."""
    return sum(1 for n in model_json["modelTopology"]["node"]
               if n["name"].endswith(SUFFIX) and n["op"] in ("Add", "Mul"))


# --- integer-valued weights (Keras' int8 kernels, index tables): exact in uint8/uint16 ---
# TF.js decodes an affine code within half a step (scale / 2) of the value, and a tensor of
# integers spanning at most qmax has a step of at most 1: Round after the decoding gives back
# every integer exactly. So such a weight is stored as uint8/uint16 (the codec's own range,
# as the official package writes it) and the graph rounds it: one op at every predict, 1 or 2
# bytes per value instead of float32's 4. Keras' int8 kernel (values -127..127) thus keeps its
# integers, and its per-channel scale vectors stay float32 (keras_int8_scales): the graph then
# computes Keras's quantised inference exactly, in a quarter of the bytes.
ROUND_SUFFIX = "/round"
# Ops a Keras int8 kernel's values pass through to the division by their scales, and the ops a
# scale passes through to that division.
_TO_DIVISION = ("Identity", "Cast", "BatchMatMulV2", "MatMul", "Einsum", "Reshape", "Transpose", "ExpandDims")
_SCALE_PATH = ("Identity", "Mul", "RealDiv", "Reshape", "ExpandDims", "Transpose", "Squeeze")


def round_integer_weights(graph_def, plan):
    """Rewrite graph_def in place: each float32 Const of integers the plan stores as uint8/uint16
    (not tiny, not exact as stored, spanning at most qmax) gets a Round in front of its readers;
    the plan records it (`plan.rounded_in_graph`) so its rule judges the rounded decoding, and
    keeps the Keras int8 scales those weights feed float32 (`plan.kept_in_graph`). Returns the
    number of weights rounded."""
    from tfjs_export.converter.quantization_plan import TINY
    index = GraphIndex(graph_def)
    rounded = []
    for const in [n for n in graph_def.node if n.op == "Const" and not n.input]:
        weights = index.const_value(const.name)
        if weights is None or weights.dtype != np.float32 or weights.size <= TINY:
            continue
        dtype = plan.requested_dtype(const.name, weights)
        if dtype not in _QMAX or not np.all(np.isfinite(weights)) or not np.all(weights == np.round(weights)) \
                or float(weights.max()) - float(weights.min()) > _QMAX[dtype]:
            continue
        decoded = _per_tensor(weights, dtype)[0]
        if np.array_equal(decoded, weights) or not np.array_equal(np.round(decoded), weights):
            continue  # stored exactly already / (never: the step is at most 1) left to the rule
        rounded.append(const.name)
    for name in rounded:
        readers = list(index.consumers.get(name, ()))
        node = graph_def.node.add(name=name + ROUND_SUFFIX, op="Round", input=[name])
        node.attr["T"].type = 1  # DT_FLOAT
        for reader in readers:
            reader_node = index.by_name[reader]
            for i, ref in enumerate(reader_node.input):
                if ref in (name, f"{name}:0"):
                    reader_node.input[i] = node.name
        plan.rounded_in_graph.add(name)
    for scale in keras_int8_scales(graph_def, rounded):
        plan.kept_in_graph.setdefault(scale, "a Keras int8 scale")
    return len(rounded)


def keras_int8_scales(graph_def, kernels):
    """Names of the float32 vector Consts that divide (or multiply) the products of `kernels`
    (integer weights), as Keras' quantised Dense / EinsumDense / Embedding compute
    `int result / (input scale * kernel scale)`: from each kernel forward through _TO_DIVISION
    ops (a GatherV2's params) to the first RealDiv / Mul / Div, then back from its other operand
    through _SCALE_PATH ops (and a GatherV2's params)."""
    index = GraphIndex(graph_def)
    found = set()
    for kernel in kernels:
        stack, seen = [kernel + ROUND_SUFFIX if kernel + ROUND_SUFFIX in index.by_name else kernel], set()
        while stack:
            name = stack.pop()
            for consumer_name in index.consumers.get(name, ()):
                consumer = index.by_name[consumer_name]
                if consumer_name in seen:
                    continue
                seen.add(consumer_name)
                if consumer.op in ("RealDiv", "Div", "Mul") and len(consumer.input) == 2:
                    for other in (r for r in consumer.input if input_name(r) != name):
                        found.update(_scale_consts(index, input_name(other)))
                elif consumer.op in _TO_DIVISION or (consumer.op == "GatherV2" and input_name(consumer.input[0]) == name):
                    stack.append(consumer_name)
    return found


def _scale_consts(index, start):
    """float32 Consts of rank >= 1 reached backwards from `start` through _SCALE_PATH ops."""
    found, stack, seen = set(), [start], set()
    while stack:
        name = stack.pop()
        if name in seen or name not in index.by_name:
            continue
        seen.add(name)
        node = index.by_name[name]
        if node.op == "Const":
            value = index.const_value(name)
            if value is not None and value.dtype == np.float32 and value.ndim >= 1:
                found.add(name)
        elif node.op in _SCALE_PATH:
            stack.extend(input_name(r) for r in node.input if not r.startswith("^"))
        elif node.op == "GatherV2":
            stack.append(input_name(node.input[0]))
    return found
