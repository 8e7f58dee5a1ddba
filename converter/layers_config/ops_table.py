"""The one table of keras.ops operations the Layers format carries (as our JS operation layers).

When a Keras 3 functional model calls a `keras.ops` function (or an operator: `x + 1`, `x[:, 0]`)
on symbolic tensors, its config holds a node of the operation's class (`Relu`, `Mean`, `GetItem`,
... with `module` "keras.src.ops.<family>"). Each rule here lists, for one such class:
  params     the parameters of the operation's `call`, in order (`*name`: variadic): Keras
             records the call's arguments positionally or by these names,
  options    the operation's own settings (its config keys besides `name`), passed to JS as is,
  fixed      settings with the only value implemented (anything else is an error),
  functions  the keras.ops functions that create this operation (the coverage listing),
  note       where TF.js' computation differs in kind (dtype families, ...).
The JS side is converter/layers_js/src/ops.js (its OPS table has exactly these keys; a test
checks both ways), the translation converter/layers_config/operations.py, the generated doc
docs/keras_ops.md.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class OpRule:
    params: tuple = ("x",)
    options: tuple = ()
    fixed: dict = dataclasses.field(default_factory=dict)
    functions: tuple = ()
    note: str = ""
    family: str = ""  # the section of the doc table


def _rules(family, names, **common):
    """{class: OpRule} for operations sharing params/options; `names` maps class -> functions."""
    return {cls: OpRule(functions=tuple(functions.split()), family=family, **common) for cls, functions in names.items()}


_REDUCE = ("axis", "keepdims")
_DTYPES = "TF.js computes in float32 / int32 / bool: wider and narrower dtypes compute in their family"

OPS = {}
OPS.update(_rules("elementwise", {
    "Absolute": "absolute abs", "Negative": "negative", "Square": "square", "Sqrt": "sqrt",
    "Rsqrt": "rsqrt", "Exp": "exp", "Exp2": "exp2", "Expm1": "expm1", "Log": "log", "Log1p": "log1p",
    "Log2": "log2", "Log10": "log10", "Sin": "sin", "Cos": "cos", "Tan": "tan", "Sinh": "sinh",
    "Cosh": "cosh", "Tanh": "tanh", "Arcsin": "arcsin", "Arccos": "arccos", "Arctan": "arctan",
    "Arcsinh": "arcsinh", "Arccosh": "arccosh", "Arctanh": "arctanh", "Floor": "floor", "Ceil": "ceil",
    "Sign": "sign", "Reciprocal": "reciprocal", "Trunc": "trunc", "Erf": "erf", "Isnan": "isnan",
    "Isinf": "isinf", "Isfinite": "isfinite", "LogicalNot": "logical_not", "Copy": "copy",
}))
OPS.update({
    "Round": OpRule(options=("decimals",), functions=("round",), family="elementwise"),
    "Clip": OpRule(options=("x_min", "x_max"), functions=("clip",), family="elementwise"),
    "Cast": OpRule(options=("dtype",), functions=("cast",), family="elementwise", note=_DTYPES),
})
OPS.update(_rules("elementwise", {
    "Add": "add", "Subtract": "subtract", "Multiply": "multiply", "Divide": "divide",
    "TrueDivide": "true_divide", "DivideNoNan": "divide_no_nan", "FloorDivide": "floor_divide",
    "Mod": "mod", "Power": "power", "Maximum": "maximum", "Minimum": "minimum", "Arctan2": "arctan2",
    "Equal": "equal", "NotEqual": "not_equal", "Greater": "greater", "GreaterEqual": "greater_equal",
    "Less": "less", "LessEqual": "less_equal", "LogicalAnd": "logical_and", "LogicalOr": "logical_or",
    "LogicalXor": "logical_xor",
}, params=("x1", "x2")))
OPS["Where"] = OpRule(params=("condition", "x1", "x2"), functions=("where",), family="elementwise")
OPS.update(_rules("reduction", {
    "Sum": "sum", "Mean": "mean", "Amax": "amax", "Amin": "amin", "All": "all", "Any": "any",
    "Var": "var", "Std": "std", "Logsumexp": "logsumexp", "Argmax": "argmax", "Argmin": "argmin",
}, options=_REDUCE))
OPS.update({
    "Prod": OpRule(options=_REDUCE, fixed={"dtype": None}, functions=("prod",), family="reduction"),
    "Max": OpRule(options=_REDUCE, fixed={"initial": None}, functions=("max",), family="reduction"),
    "Min": OpRule(options=_REDUCE, fixed={"initial": None}, functions=("min",), family="reduction"),
    "Moments": OpRule(options=("axes", "keepdims"), fixed={"synchronized": False}, functions=("moments",),
                      family="reduction", note="two outputs: mean, variance"),
    "Cumsum": OpRule(options=("axis",), fixed={"dtype": None}, functions=("cumsum",), family="reduction"),
    "Cumprod": OpRule(options=("axis",), fixed={"dtype": None}, functions=("cumprod",), family="reduction"),
})
OPS.update({
    "Reshape": OpRule(options=("newshape",), functions=("reshape",)),
    "Transpose": OpRule(options=("axes",), functions=("transpose",)),
    "ExpandDims": OpRule(options=("axis",), functions=("expand_dims",)),
    "Squeeze": OpRule(options=("axis",), functions=("squeeze",)),
    "Ravel": OpRule(functions=("ravel",)),
    "Concatenate": OpRule(params=("xs",), options=("axis",), functions=("concatenate",)),
    "Stack": OpRule(options=("axis",), functions=("stack",)),
    "Unstack": OpRule(options=("num", "axis"), functions=("unstack",), note="one output per slice"),
    "Split": OpRule(options=("indices_or_sections", "axis"), functions=("split",), note="one output per part"),
    "GetItem": OpRule(params=("x", "key"), functions=("slicing: x[...]",),
                      note="integers, slices (any step), None (new axis) and Ellipsis"),
    "Take": OpRule(params=("x", "indices"), options=("axis",), functions=("take",)),
    "Tile": OpRule(options=("repeats",), functions=("tile",)),
    "Repeat": OpRule(options=("repeats", "axis"), functions=("repeat",), note="an integer `repeats`"),
    "Flip": OpRule(options=("axis",), functions=("flip",)),
    "Moveaxis": OpRule(options=("source", "destination"), functions=("moveaxis",)),
    "Swapaxes": OpRule(options=("axis1", "axis2"), functions=("swapaxes",)),
    "Pad": OpRule(params=("x", "constant_values"), options=("pad_width", "mode"), functions=("pad",),
                  note="modes constant, reflect, symmetric"),
    "OneHot": OpRule(options=("num_classes", "axis", "dtype"), fixed={"sparse": False}, functions=("one_hot",)),
})
for _name in ("Reshape", "Transpose", "ExpandDims", "Squeeze", "Ravel", "Concatenate", "Stack", "Unstack", "Split",
              "GetItem", "Take", "Tile", "Repeat", "Flip", "Moveaxis", "Swapaxes", "Pad", "OneHot"):
    OPS[_name] = dataclasses.replace(OPS[_name], family="shape")
OPS.update({
    "Matmul": OpRule(params=("x1", "x2"), functions=("matmul", "operator @"), family="product"),
    "Dot": OpRule(params=("x1", "x2"), functions=("dot",), family="product",
                  note="a second operand of rank <= 2 (TF.js has no general tensordot)"),
    "Einsum": OpRule(params=("*operands",), options=("subscripts",), functions=("einsum",), family="product",
                     note="no index repeated within an operand (no traces or diagonals)"),
})
OPS.update(_rules("activation", {
    "Relu": "relu", "Relu6": "relu6", "Sigmoid": "sigmoid", "Softplus": "softplus", "Softsign": "softsign",
    "Silu": "silu swish", "LogSigmoid": "log_sigmoid", "HardSigmoid": "hard_sigmoid",
    "HardSilu": "hard_silu hard_swish", "Selu": "selu", "HardTanh": "hard_tanh", "TanhShrink": "tanh_shrink",
}))
OPS.update({
    "LeakyRelu": OpRule(options=("negative_slope",), functions=("leaky_relu",), family="activation"),
    "Elu": OpRule(options=("alpha",), functions=("elu",), family="activation"),
    "Celu": OpRule(options=("alpha",), functions=("celu",), family="activation"),
    "Gelu": OpRule(options=("approximate",), functions=("gelu",), family="activation"),
    "Glu": OpRule(options=("axis",), functions=("glu",), family="activation"),
    "Squareplus": OpRule(options=("b",), functions=("squareplus",), family="activation"),
    "Softmax": OpRule(options=("axis",), functions=("softmax",), family="activation"),
    "LogSoftmax": OpRule(options=("axis",), functions=("log_softmax",), family="activation"),
})

# The doc table's sections, in order.
FAMILIES = {"elementwise": "Elementwise (NumPy broadcasting; Python scalars typed as Keras does)",
            "reduction": "Reductions", "shape": "Shapes, slicing, joining", "product": "Products",
            "activation": "Activations (keras.ops.nn)"}

# The JS layer class of an operation: `tfjs-export-layers>ops.<Keras class>`.
JS_CLASS_PREFIX = "ops."
