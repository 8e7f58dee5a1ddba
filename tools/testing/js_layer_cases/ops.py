"""Parity cases of the keras.ops operation layers (converter/layers_js/src/ops.js).

Each case is a small Keras 3 functional model calling keras.ops on symbolic tensors, built in
code with a fixed seed, and its inputs. Together they call every operation of ops_table.OPS
(converter/tests/test_ops_table.py checks that), most in several configurations.
"""

import numpy as np

from tools.testing.js_layer_cases import Case


def _keras(seed):
    import keras
    keras.utils.set_random_seed(seed)
    return keras, keras.ops, keras.layers


def _normal(shape, seed, scale=1.0):
    return (scale * np.random.default_rng(seed).normal(size=shape)).astype("float32")


def issue_model(seed=601):
    """The issue's functional model: keras.ops.concatenate, relu and mean between Dense layers."""
    keras, ops, L = _keras(seed)
    a = keras.Input((5, 4), name="a")
    b = keras.Input((5, 3), name="b")
    x = ops.concatenate([L.Dense(6)(a), L.Dense(6)(b)], axis=-1)
    x = ops.relu(x)
    x = ops.mean(x, axis=1)
    return keras.Model([a, b], L.Dense(3)(x), name="ops_issue")


def elementwise(seed=602):
    """Unary maths, binary maths with tensors and Python scalars on either side, comparisons,
    logical ops, where, clip, round, cast."""
    keras, ops, L = _keras(seed)
    x_in = keras.Input((4, 6), name="x")
    y_in = keras.Input((1, 6), name="y")
    x, y = L.Dense(6)(x_in), y_in
    pos = ops.abs(x) + 0.5
    # Discontinuous operations (floor, round, comparisons, casts...) take the inputs themselves,
    # identical in both runtimes: on a computed value, a float32 rounding difference at a step
    # would flip the result.
    d, pos_d = x_in, ops.abs(x_in) + 0.5
    unary = [ops.sqrt(pos), ops.rsqrt(pos), ops.exp(ops.tanh(x)), ops.exp2(ops.sin(x)), ops.expm1(ops.cos(x)),
             ops.log(pos), ops.log1p(pos), ops.log2(pos), ops.log10(pos), ops.tan(ops.tanh(x)), ops.sinh(x),
             ops.cosh(x), ops.arcsin(ops.tanh(x)), ops.arccos(ops.tanh(x)), ops.arctan(x), ops.arcsinh(x),
             ops.arccosh(pos + 1), ops.arctanh(ops.tanh(x) * 0.9), ops.floor(d), ops.ceil(d), ops.sign(d),
             ops.reciprocal(pos), ops.trunc(d * 3), ops.erf(x), ops.negative(x), ops.square(x), ops.absolute(x),
             ops.round(d * 4), ops.round(d, 1), ops.clip(x, -0.5, 0.7), ops.copy(x)]
    binary = [x + y, x - 1.5, 2.0 - x, x * y, x / (pos + y * y), 3.0 / pos, ops.true_divide(x, pos), ops.divide(x, pos),
              ops.divide_no_nan(x, ops.floor(y)), ops.floor_divide(d * 4, pos_d), ops.mod(d * 4, pos_d),
              ops.power(pos, y), pos ** 2, ops.maximum(x, y), ops.minimum(x, 0.1), ops.arctan2(x, y)]
    masks = [d > y, d >= 0.2, d < y, d <= -0.1, ops.equal(ops.round(d), 0), ops.not_equal(ops.round(d), 1)]
    logic = [ops.logical_and(masks[0], masks[1]), ops.logical_or(masks[2], masks[3]),
             ops.logical_xor(masks[0], masks[4]), ops.logical_not(masks[5]), ops.isnan(ops.log(d)),
             ops.isinf(1.0 / ops.floor(d)), ops.isfinite(ops.log(d))]
    floats = [ops.where(m, x, y) for m in masks[:3]] + [ops.where(masks[3], x, 0.0),
                                                        ops.cast(masks[4], "float32")]
    ints = [ops.cast(d * 3, "int32"), ops.cast(d * 3, "int32") + 1, ops.cast(d * 3, "int32") * 0.5]
    stacked = ops.stack(unary + binary + floats, axis=1)
    return keras.Model([x_in, y_in], [stacked] + logic + ints, name="ops_elementwise")


def reductions(seed=603):
    """Reductions over one axis, several axes and all axes, with and without keepdims; arg
    reductions; moments; cumulative sums and products."""
    keras, ops, L = _keras(seed)
    x_in = keras.Input((3, 4, 5), name="x")
    x = L.Dense(5)(x_in)  # (arg reductions and comparisons take x_in: see elementwise())
    outs = [ops.sum(x, axis=1), ops.sum(x, axis=(1, 2), keepdims=True), ops.mean(x, axis=-1),
            ops.mean(x, axis=[1, 3], keepdims=True), ops.max(x, axis=2), ops.min(x, axis=1, keepdims=True),
            ops.amax(x, axis=(2, 3)), ops.amin(x, axis=-2), ops.prod(ops.tanh(x), axis=3), ops.var(x, axis=2),
            ops.std(x, axis=(1, 2)), ops.logsumexp(x, axis=-1, keepdims=True), ops.argmax(x_in, axis=-1),
            ops.argmin(x_in, axis=1, keepdims=True), ops.cast(ops.all(x_in > -1.0, axis=2), "float32"),
            ops.cast(ops.any(x_in > 1.0, axis=(1, 3)), "float32"), ops.cumsum(x, axis=2), ops.cumprod(ops.tanh(x), axis=-1)]
    mean, variance = ops.moments(x, axes=[1, 2])
    kmean, kvar = ops.moments(x, axes=[-1], keepdims=True)
    return keras.Model(x_in, outs + [mean, variance, kmean, kvar], name="ops_reductions")


def shapes(seed=604):
    """reshape, transpose, expand_dims, squeeze, ravel-free reshapes, concatenate, stack,
    unstack, split (sections and indices), slicing (steps, negative indices, None, Ellipsis),
    take, tile, repeat, flip, moveaxis, swapaxes, pad, one_hot, ravel."""
    keras, ops, L = _keras(seed)
    x_in = keras.Input((4, 6), name="x")
    t_in = keras.Input((5,), dtype="int32", name="tokens")
    x = L.Dense(6)(x_in)
    parts = ops.split(x, 3, axis=-1)
    uneven = ops.split(x, [1, 4], axis=-1)
    rows = ops.unstack(x, axis=1)
    outs = [ops.reshape(x, (-1, 24)), ops.reshape(x, (-1, 2, 12)), ops.transpose(x, (0, 2, 1)),
            ops.expand_dims(x, 1), ops.expand_dims(x, -1), ops.squeeze(ops.expand_dims(x, 2), axis=2),
            ops.concatenate(parts[::-1], axis=-1), ops.concatenate([x, x], axis=1), ops.stack(rows, axis=-1),
            parts[1], uneven[0], uneven[1], uneven[2], rows[3],
            x[:, 1:3], x[:, ::2, 1::2], x[:, -1], x[..., 0], x[:, None, 2], x[:, ::-1, :-1], x[:, 1, 2:5],
            ops.take(x, [0, 2, -1], axis=2), ops.take(x, 1, axis=1), ops.tile(x, (1, 2, 1)), ops.repeat(x, 2, axis=1),
            ops.flip(x, axis=1), ops.flip(x, axis=(1, 2)), ops.moveaxis(x, 1, 2), ops.swapaxes(x, 1, 2),
            ops.pad(x, ((0, 0), (1, 2), (0, 1))), ops.pad(x, ((0, 0), (1, 1), (2, 0)), mode="reflect"),
            ops.pad(x, ((0, 0), (0, 0), (1, 1)), constant_values=0.5),
            ops.ravel(x)]
    hot = [ops.one_hot(t_in, 7), ops.one_hot(t_in, 4, axis=1), ops.take(L.Dense(3)(ops.one_hot(t_in, 7)), t_in % 3, axis=2)]
    return keras.Model([x_in, t_in], outs + hot, name="ops_shapes")


def products_activations(seed=605):
    """matmul (batched, @, 1-D), einsum, dot, and every activation of keras.ops.nn."""
    keras, ops, L = _keras(seed)
    x_in = keras.Input((4, 6), name="x")
    x = L.Dense(6)(x_in)
    w = _normal((6, 3), seed)
    outs = [ops.matmul(x, ops.transpose(x, (0, 2, 1))), x @ w, ops.matmul(x, w[:, 0]),
            ops.einsum("bij,bkj->bik", x, x), ops.einsum("bij,jk->bik", x, w), ops.dot(x, w),
            ops.relu(x), ops.relu6(x * 4), ops.sigmoid(x), ops.softplus(x), ops.softsign(x), ops.silu(x),
            ops.swish(x), ops.log_sigmoid(x), ops.leaky_relu(x), ops.leaky_relu(x, negative_slope=0.05),
            ops.hard_sigmoid(x * 3), ops.hard_silu(x * 3), ops.hard_swish(x), ops.elu(x), ops.elu(x, alpha=0.5),
            ops.selu(x), ops.celu(x, alpha=2.0), ops.gelu(x), ops.gelu(x, approximate=False), ops.glu(x),
            ops.hard_tanh(x * 2), ops.tanh_shrink(x), ops.squareplus(x), ops.squareplus(x, b=1.0),
            ops.softmax(x), ops.softmax(x, axis=1), ops.log_softmax(x), ops.log_softmax(x, axis=-2)]
    return keras.Model(x_in, outs, name="ops_products_activations")


def _classes(*names):
    return tuple(f"ops.{name}" for name in names)


# Each case lists every class of ours its converted model uses (js_layers_parity_test checks it,
# converter/tests/test_layers_js.py that every class of the library has a case).


CASES = [
    Case("ops_issue", issue_model, classes=_classes("Concatenate", "Relu", "Mean")),
    Case("ops_elementwise", elementwise, classes=_classes(
        "Absolute", "Add", "Arccos", "Arccosh", "Arcsin", "Arcsinh", "Arctan", "Arctan2", "Arctanh", "Cast",
        "Ceil", "Clip", "Copy", "Cos", "Cosh", "Divide", "DivideNoNan", "Equal", "Erf", "Exp", "Exp2", "Expm1",
        "Floor", "FloorDivide", "Greater", "GreaterEqual", "Isfinite", "Isinf", "Isnan", "Less", "LessEqual",
        "Log", "Log10", "Log1p", "Log2", "LogicalAnd", "LogicalNot", "LogicalOr", "LogicalXor", "Maximum",
        "Minimum", "Mod", "Multiply", "Negative", "NotEqual", "Power", "Reciprocal", "Round", "Rsqrt", "Sign",
        "Sin", "Sinh", "Sqrt", "Square", "Stack", "Subtract", "Tan", "Tanh", "TrueDivide", "Trunc", "Where")),
    Case("ops_reductions", reductions, classes=_classes(
        "All", "Amax", "Amin", "Any", "Argmax", "Argmin", "Cast", "Cumprod", "Cumsum", "Greater", "Logsumexp",
        "Max", "Mean", "Min", "Moments", "Prod", "Std", "Sum", "Tanh", "Var")),
    Case("ops_shapes", shapes, classes=_classes(
        "Concatenate", "ExpandDims", "Flip", "GetItem", "Mod", "Moveaxis", "OneHot", "Pad", "Ravel", "Repeat",
        "Reshape", "Split", "Squeeze", "Stack", "Swapaxes", "Take", "Tile", "Transpose", "Unstack")),
    Case("ops_products_activations", products_activations, classes=_classes(
        "Celu", "Dot", "Einsum", "Elu", "Gelu", "Glu", "HardSigmoid", "HardSilu", "HardTanh", "LeakyRelu",
        "LogSigmoid", "LogSoftmax", "Matmul", "Multiply", "Relu", "Relu6", "Selu", "Sigmoid", "Silu",
        "Softmax", "Softplus", "Softsign", "Squareplus", "TanhShrink", "Transpose")),
]
