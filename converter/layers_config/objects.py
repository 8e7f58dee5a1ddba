"""Keras 3 serialized objects (dtype policies, activations, initializers, regularizers,
constraints) mapped by name to what tfjs-layers 4.22 registers. Unknown names are errors:
tfjs would fail at load time with `Unknown initializer: ...`, far from the cause.
"""

# Keras activation name -> tfjs name (tfjs camel-cases snake_case names itself).
ACTIVATIONS = {
    "linear": "linear", "relu": "relu", "relu6": "relu6", "sigmoid": "sigmoid", "tanh": "tanh",
    "softmax": "softmax", "softplus": "softplus", "softsign": "softsign", "selu": "selu",
    "elu": "elu", "hard_sigmoid": "hard_sigmoid", "swish": "swish", "silu": "swish",
    "gelu": "gelu", "mish": "mish",
}

# Keras 3 initializer class -> (tfjs class, config keys tfjs reads).
INITIALIZERS = {
    "Zeros": ("Zeros", ()),
    "Ones": ("Ones", ()),
    "Constant": ("Constant", ("value",)),
    "RandomUniform": ("RandomUniform", ("minval", "maxval", "seed")),
    "RandomNormal": ("RandomNormal", ("mean", "stddev", "seed")),
    "TruncatedNormal": ("TruncatedNormal", ("mean", "stddev", "seed")),
    "Identity": ("Identity", ("gain",)),
    "IdentityInitializer": ("Identity", ("gain",)),
    "VarianceScaling": ("VarianceScaling", ("scale", "mode", "distribution", "seed")),
    "GlorotUniform": ("GlorotUniform", ("seed",)),
    "GlorotNormal": ("GlorotNormal", ("seed",)),
    "HeNormal": ("HeNormal", ("seed",)),
    "HeUniform": ("HeUniform", ("seed",)),
    "LecunNormal": ("LeCunNormal", ("seed",)),
    "LecunUniform": ("LeCunUniform", ("seed",)),
    "Orthogonal": ("Orthogonal", ("gain", "seed")),
    "OrthogonalInitializer": ("Orthogonal", ("gain", "seed")),
}

# tfjs has one regularizer class, L1L2; Keras 3's L1 and L2 are special cases of it.
REGULARIZERS = {
    "L1L2": lambda c: {"l1": c.get("l1", 0.0), "l2": c.get("l2", 0.0)},
    "L1": lambda c: {"l1": c.get("l1", 0.0), "l2": 0.0},
    "L2": lambda c: {"l1": 0.0, "l2": c.get("l2", 0.0)},
}

CONSTRAINTS = {
    "MaxNorm": ("MaxNorm", ("max_value", "axis")),
    "NonNeg": ("NonNeg", ()),
    "UnitNorm": ("UnitNorm", ("axis",)),
    "MinMaxNorm": ("MinMaxNorm", ("min_value", "max_value", "rate", "axis")),
}

from tfjs_export.converter.errors import brief


class ObjectError(ValueError):
    """An object the tfjs Layers format has no equivalent for (caller adds the layer name)."""


def dtype_name(value, notices=None):
    """Return the plain dtype name of a Keras 3 dtype policy (dict or string)."""
    if value is None:
        return "float32"
    if isinstance(value, dict):
        value = value.get("config", {}).get("name", "float32")
    if value in ("mixed_float16", "mixed_bfloat16"):
        _notice(notices, f"dtype policy {value} runs as float32 in TF.js (it has no float16 or bfloat16 "
                         "arithmetic)")
        return "float32"
    if value in ("float32", "int32", "bool", "string"):
        return value
    if value in ("float16", "float64", "bfloat16"):
        _notice(notices, f"dtype {value} runs as float32 in TF.js" + (
            "" if value == "float64" else " (it has no float16 or bfloat16 arithmetic)"))
        return "float32"
    raise ObjectError(f"dtype {brief(value)} has no TF.js equivalent")


def _notice(notices, text):
    """Add `text` to `notices` once (every layer of a mixed-precision model has the policy)."""
    if notices is not None and text not in notices:
        notices.append(text)


def activation(value, keras2=False):
    """Translate a Keras activation (a name, or a serialized function dict)."""
    if isinstance(value, dict):  # {"module": "keras.activations", "class_name": "function", "config": "relu"}
        value = value.get("config") if isinstance(value.get("config"), str) else value.get("class_name")
    if value is None:
        return "linear"
    if value == "hard_sigmoid" and not keras2:
        # Keras 3: relu6(x + 3) / 6; Keras 2 and tfjs: clip(0.2 x + 0.5, 0, 1).
        raise ObjectError("activation 'hard_sigmoid' is x/6 + 1/2 in Keras 3 but 0.2x + 1/2 in TF.js")
    if value not in ACTIVATIONS:
        raise ObjectError(f"activation {brief(value)} is not available in TF.js")
    return ACTIVATIONS[value]


def _class_and_config(value, kind):
    if not isinstance(value, dict) or "class_name" not in value:
        raise ObjectError(f"{kind} {brief(value)} is not a serialized Keras object")
    return value["class_name"], value.get("config") or {}


def _known(value, kind, table):
    """(table entry, config) of a serialized object whose class `table` knows; ObjectError if not."""
    name, config = _class_and_config(value, kind)
    if name not in table:
        raise ObjectError(f"{kind} {brief(name)} is not available in TF.js")
    return table[name], config


def _renamed(value, kind, table):
    """The tfjs object for a Keras one: its tfjs class and the config keys tfjs reads (or None)."""
    if value is None:
        return None
    (tfjs_name, keys), config = _known(value, kind, table)
    return {"class_name": tfjs_name, "config": {k: config[k] for k in keys if k in config}}


def initializer(value):
    """Translate a serialized Keras 3 initializer (or None)."""
    return _renamed(value, "initializer", INITIALIZERS)


def regularizer(value):
    """Translate a serialized Keras 3 regularizer (or None)."""
    if value is None:
        return None
    l1_l2, config = _known(value, "regularizer", REGULARIZERS)
    return {"class_name": "L1L2", "config": l1_l2(config)}


def constraint(value):
    """Translate a serialized Keras 3 constraint (or None)."""
    return _renamed(value, "constraint", CONSTRAINTS)
