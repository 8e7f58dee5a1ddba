"""A keras.ops operation node of a Keras 3 functional config -> one of our JS operation layers.

Keras records a call such as `keras.ops.where(x > 0, x, 0.0)` as a layer entry of the
operation's class (`module` "keras.src.ops.numpy"), whose inbound node holds the call's
arguments: tensors (`__keras_tensor__`) and plain values mixed, positionally or by name. TF.js
nodes carry tensors only, so the layer written (`tfjs-export-layers>ops.Where`, see
converter/layers_js/src/ops.js) gets the call's tensors as its inputs, in argument order, and its
config records every argument positionally in `arguments`, a tensor as {"tensor": i} (its index
among the inputs), a Python float as {"float": v} (Keras types Python ints and floats apart), an
array constant as {"array": [...], "dtype": d}, a slice as {"slice": [start, stop, step]}, an
Ellipsis as "...". The operation's own settings go to `options`. Which operations exist and what
they accept: ops_table.py.
"""

from tfjs_export.converter.errors import brief
from tfjs_export.converter.layers_config.ops_table import JS_CLASS_PREFIX, OPS
from tfjs_export.converter.layers_config import objects

OPS_MODULE = "keras.src.ops."  # the `module` Keras 3 records for its operation classes


def is_operation(spec):
    """Whether a layer entry of a config is a keras.ops operation (not a layer of the same name:
    `Add`, `Concatenate`, ... exist as both)."""
    return str(spec.get("module") or "").startswith(OPS_MODULE)


def js_class(spec):
    """Our JS class name for an operation entry (`ops.Relu`)."""
    return JS_CLASS_PREFIX + spec["class_name"]


def translate(spec, tensors_of):
    """(config, [inbound node tensor lists]) for the operation entry `spec`; `tensors_of(value)`
    gives the keras_history triples in a nested argument value. objects.ObjectError when the
    operation or one of its settings has no JS implementation."""
    class_name = spec["class_name"]
    rule = OPS.get(class_name)
    if rule is None:
        raise objects.ObjectError(
            f"keras.ops operation {brief(class_name)} has no TF.js implementation in tfjs-export-layers; "
            "use the Graph format (--output_format tfjs_graph_model) for this model")
    config = spec.get("config") or {}
    options = {}
    for key, value in config.items():
        if key in ("name", "trainable", "dtype") and key not in rule.options:
            continue
        if key in rule.options:
            options[key] = value
        elif key in rule.fixed:
            if value != rule.fixed[key]:
                raise objects.ObjectError(f"{key}={brief(value)} is not supported in TF.js (only {key}={rule.fixed[key]!r})")
        else:
            raise objects.ObjectError(f"setting {key}={brief(value)} is not translated yet")
    nodes, arguments = [], None
    for node in spec.get("inbound_nodes") or []:
        positional = _positional(node, rule.params, class_name)
        refs = []
        node_arguments = [_argument(value, refs, tensors_of) for value in positional]
        if not refs:
            raise objects.ObjectError("called without a tensor argument")
        if arguments is not None and node_arguments != arguments:
            raise objects.ObjectError("called twice with different arguments")
        arguments = node_arguments
        nodes.append([[t[0], t[1], t[2], {}] for t in refs])
    out = {"name": config.get("name", spec.get("name")), "trainable": True, "arguments": arguments or [],
           "options": options}
    return out, nodes


def _positional(node, params, class_name):
    """The call's arguments in parameter order (a variadic `*name` takes the rest)."""
    if not isinstance(node, dict) or not isinstance(node.get("args"), list):
        raise objects.ObjectError("malformed inbound node (not a Keras 3 call)")
    args, kwargs = list(node["args"]), dict(node.get("kwargs") or {})
    if params and params[0].startswith("*"):
        if kwargs:
            raise objects.ObjectError(f"keyword arguments {', '.join(sorted(kwargs))} are not translated yet")
        return args
    if len(args) > len(params):
        raise objects.ObjectError(f"called with {len(args)} arguments ({class_name} takes {', '.join(params)})")
    values = args + [kwargs.pop(name, None) for name in params[len(args):]]
    if kwargs:
        raise objects.ObjectError(f"keyword arguments {', '.join(sorted(kwargs))} are not translated yet")
    while values and values[-1] is None and len(values) > 1:
        values.pop()  # trailing defaults: the JS implementation applies Keras' own
    return values


def _argument(value, refs, tensors_of):
    """One argument value in the JSON form ops.js reads; tensors are appended to `refs`."""
    if isinstance(value, dict):
        kind = value.get("class_name")
        inner = value.get("config") or {}
        if kind == "__keras_tensor__":
            # each tensor is one input, however often the call uses it: tfjs' predict frees a
            # tensor after as many uses as the model's nodes list, and counts a repeat once
            (ref,) = tensors_of(value)
            if ref not in refs:
                refs.append(ref)
            return {"tensor": refs.index(ref)}
        if kind in ("__tensor__", "__numpy__"):
            return {"array": inner.get("value"), "dtype": inner.get("dtype", "float32")}
        if kind == "__slice__":
            return {"slice": [inner.get("start"), inner.get("stop"), inner.get("step")]}
        if kind == "__ellipsis__":
            return "..."
        raise objects.ObjectError(f"argument {brief(value)} is not translated yet")
    if isinstance(value, (list, tuple)):
        return [_argument(item, refs, tensors_of) for item in value]
    if isinstance(value, float):
        return {"float": value}
    if isinstance(value, str) and "_" in value:
        # tfjs camelCases strings with underscores when it reads a config
        raise objects.ObjectError(f"string argument {value!r} is not translated yet")
    return value
