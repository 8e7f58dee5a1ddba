"""Per-channel weight scales moved after their convolution / matmul, where that is cheaper.

per_channel.py's one-Mul form dequantises a weight in front of its consumer,

    W (integers k, or an unfolded weight) -> W/dequantize = Mul(W, W/dequantize/scale) -> conv

and TF.js runs that Mul over the whole kernel at every predict (ResNet50 at 32²: 23.5 M kernel
values, 1.70x the per-tensor predict time). For a scale s > 0 along the output channels the
product commutes with the consumer, conv(x, k * s) = conv(x, k) * s, and with what a fused kernel
adds after it: conv * s + b = (conv + b / s) * s, and act(y * s) = act(y) * s for the positively
homogeneous activations (Relu, LeakyRelu, Prelu). So this pass rewrites it as

    W -> conv [BiasAdd b / s, Relu] -> W/dequantize = Mul(conv, W/dequantize/scale) -> readers

and the kernel, stored as exact integers, decodes once at load with no op at predict. A fused
activation that does not commute (Relu6, Elu, Sigmoid) is split off and runs after the Mul: two
output-sized ops. `b` is the bias as TF.js decodes it (the plan's rounding), so the graph computes
what it computed before to float32 rounding; b / s stays float32 (dequantization_vector_names).

The Mul then runs over the consumer's output (H * W * C values a sample) instead of the kernel:
per consumer, the pass moves it only when that is fewer values at batch 1 (shapes from
TensorFlow's shape inference on the graph; where they are unknown the Mul stays in front). Early
layers of a large input keep it (MobileNetV2 224²'s first conv: 864 kernel values, 401 k output
values), late layers move it (ResNet50's 3x3x512x512 kernels against 7x7x512 outputs).
"""

import numpy as np

from tfjs_export.converter.graph.nodes import GraphIndex, input_name, make_const, unique_name
from tfjs_export.converter.graph.per_channel import SUFFIX
from tfjs_export.converter.graph.tensors import to_numpy

# consumer op -> index of its weight operand (the ops whose output channels are the weight's
# per-channel axis, last in their NHWC output).
WEIGHT_INPUT = {"Conv2D": 1, "_FusedConv2D": 1, "Conv3D": 1, "DepthwiseConv2dNative": 1,
                "FusedDepthwiseConv2dNative": 1, "MatMul": 1, "_FusedMatMul": 1, "BatchMatMulV2": 1,
                "Conv2DBackpropInput": 1}
_FUSED_BASE = {"_FusedConv2D": "Conv2D", "_FusedMatMul": "MatMul",
               "FusedDepthwiseConv2dNative": "DepthwiseConv2dNative"}
_FUSED_ONLY_ATTRS = ("fused_ops", "num_args", "epsilon", "leakyrelu_alpha", "num_host_args", "TArgs")
COMMUTING = ("Relu", "LeakyRelu", "Prelu")  # act(y * s) = act(y) * s for s > 0
SPLIT_OFF = ("Relu6", "Elu", "Sigmoid")  # run after the Mul, as their own op


def move_scales_after(graph_def, keep, plan=None):
    """Rewrite graph_def in place: each one-Mul dequantisation (W/dequantize = Mul(W, scale))
    whose only reader is a WEIGHT_INPUT op moves after that op when the op's output has fewer
    values a sample than the kernel (see the module docstring). `keep`: names of the graph's
    input and output nodes (an output node keeps its name and meaning, so its Mul stays).
    `plan`: the QuantizationPlan, to decode a fused bias as the writer will store it. Returns
    the number of Muls moved."""
    index = GraphIndex(graph_def)
    candidates = [c for c in (_candidate(index, node, keep) for node in graph_def.node) if c]
    if not candidates:
        return 0
    sizes = output_sizes(graph_def, [c[1].name for c in candidates])
    moved = 0
    for mul, consumer, scale, activation in candidates:
        out = sizes.get(consumer.name)
        weight_values = _const_size(index, input_name(mul.input[0]))
        if out is None or weight_values is None or out * (2 if activation else 1) >= weight_values:
            continue
        if _move(graph_def, index, mul, consumer, scale, activation, plan):
            moved += 1
    return moved


def _candidate(index, mul, keep):
    """(mul, consumer, scale values, activation to split off or None) if `mul` is a movable
    one-Mul dequantisation, else None."""
    if mul.op != "Mul" or not mul.name.endswith(SUFFIX) or len(mul.input) != 2 \
            or mul.input[1] != f"{mul.name}/scale":
        return None
    weight, scale_node = index.by_name.get(mul.input[0]), index.by_name.get(mul.input[1])
    if weight is None or weight.op != "Const" or scale_node is None or scale_node.op != "Const":
        return None
    readers = index.consumers.get(mul.name, [])
    if len(readers) != 1:
        return None
    consumer = index.by_name[readers[0]]
    spec = WEIGHT_INPUT.get(consumer.op)
    refs = [i for i, r in enumerate(consumer.input) if input_name(r) == mul.name]
    if spec is None or refs != [spec] or consumer.name in keep:
        return None
    if "data_format" in consumer.attr and consumer.attr["data_format"].s not in (b"NHWC", b"NDHWC"):
        return None  # the channel axis would not be last (TF.js runs channels-last only anyway)
    scale = to_numpy(scale_node.attr["value"].tensor)
    if scale.dtype != np.float32 or not np.all(scale > 0) or not np.all(np.isfinite(scale)):
        return None
    activation = None
    if consumer.op in _FUSED_BASE:
        ops = [op.decode() for op in consumer.attr["fused_ops"].list.s]
        args = consumer.input[2:2 + consumer.attr["num_args"].i]
        acts = ops[1:] if ops[:1] == ["BiasAdd"] else ops
        if len(acts) > 1 or (acts and acts[0] not in COMMUTING + SPLIT_OFF):
            return None
        if ops[:1] == ["BiasAdd"] and index.const_value(args[0]) is None:
            return None  # b / s needs the bias's value
        activation = acts[0] if acts and acts[0] in SPLIT_OFF else None
    return mul, consumer, scale, activation


def _const_size(index, name):
    node = index.by_name.get(name)
    if node is None or node.op != "Const":
        return None
    return int(np.prod([d.size for d in node.attr["value"].tensor.tensor_shape.dim]))


def _decoded(plan, name, value):
    """`value` of weight `name` as TF.js decodes it once written (the plan's rounding)."""
    dtype = plan.dtype_for(name, value) if plan else None
    if dtype is None:
        return value
    from tfjs_export import codec
    return codec.dequantize(*codec.quantize(np.ascontiguousarray(value, np.float32), dtype))


def _move(graph_def, index, mul, consumer, scale, activation, plan):
    """The rewrite of the module docstring for one (mul, consumer). False if the bias cannot
    take it (a shape that is not one value per output channel)."""
    channels = scale.reshape(-1)
    if consumer.op in _FUSED_BASE and consumer.attr["fused_ops"].list.s[:1] == [b"BiasAdd"]:
        bias_ref = consumer.input[2]
        bias = index.const_value(bias_ref)
        if bias.shape != channels.shape:
            return False
        unscaled = (_decoded(plan, input_name(bias_ref), bias).astype(np.float64) / channels).astype(np.float32)
        bias_node = make_const(f"{mul.name}/bias", unscaled)  # the name dequantization_vector_names reads
        graph_def.node.append(bias_node)
        consumer.input[2] = bias_node.name
    scale_node = index.by_name[mul.input[1]]
    scale_node.attr["value"].tensor.CopyFrom(make_const(scale_node.name, channels).attr["value"].tensor)
    weight = mul.input[0]
    readers = [r for r in index.consumers.get(consumer.name, []) if r != mul.name]
    consumer.input[WEIGHT_INPUT[consumer.op]] = weight
    del mul.input[:]
    mul.input.extend([consumer.name, scale_node.name])
    last = mul.name
    if activation:
        _drop_activation(consumer, activation)
        act = graph_def.node.add(name=unique_name(index, f"{consumer.name}/{activation}"), op=activation,
                                 input=[mul.name])
        act.attr["T"].type = 1  # DT_FLOAT
        last = act.name
    for name in readers:
        node = index.by_name[name]
        for i, ref in enumerate(node.input):
            if ref in (consumer.name, f"{consumer.name}:0"):
                node.input[i] = last
    index.consumers[consumer.name] = [mul.name]
    return True


def _drop_activation(consumer, activation):
    """Remove `activation` from a fused kernel's fused_ops (a kernel left with nothing fused
    becomes its plain op)."""
    ops = [op for op in consumer.attr["fused_ops"].list.s if op.decode() != activation]
    if ops:
        del consumer.attr["fused_ops"].list.s[:]
        consumer.attr["fused_ops"].list.s.extend(ops)
        return
    consumer.op = _FUSED_BASE[consumer.op]
    for key in _FUSED_ONLY_ATTRS:
        if key in consumer.attr:
            del consumer.attr[key]
    del consumer.input[2:]


def output_sizes(graph_def, names):
    """{name: values a sample (batch 1) of node `name`'s first output} for the `names` whose
    output shape TensorFlow's shape inference knows (all dimensions but the first); {} if the
    graph does not import. The weights are not copied: each large float Const becomes a
    one-value tensor of its shape (shape inference reads only the shape)."""
    import tensorflow as tf

    from tfjs_export.converter.graph import fused_ops
    light = tf.compat.v1.GraphDef()
    for node in graph_def.node:
        tensor = node.attr["value"].tensor if node.op == "Const" else None
        if tensor is not None and tensor.dtype == 1 and tensor.tensor_content:  # DT_FLOAT, packed
            copy = light.node.add(name=node.name, op="Const", input=node.input)
            copy.attr["dtype"].type = 1
            copy.attr["value"].tensor.dtype = 1
            copy.attr["value"].tensor.tensor_shape.CopyFrom(tensor.tensor_shape)
            copy.attr["value"].tensor.float_val.append(1.0)
        else:
            light.node.add().CopyFrom(node)
    light.library.CopyFrom(graph_def.library)
    fused_ops.unfuse_unsupported(light, always=("FusedDepthwiseConv2dNative",))  # TF has no such op
    try:
        with tf.Graph().as_default() as graph:
            tf.graph_util.import_graph_def(light, name="")
    except (ValueError, TypeError, tf.errors.OpError):
        return {}
    sizes = {}
    for name in names:
        try:
            dims = graph.get_operation_by_name(name).outputs[0].shape.as_list()
        except (KeyError, ValueError, IndexError):
            continue
        if dims and all(d is not None for d in dims[1:]):
            sizes[name] = int(np.prod(dims[1:]))
    return sizes
