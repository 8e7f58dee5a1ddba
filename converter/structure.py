"""Model input/output structures: a single tensor, a list or tuple, a dict, or any nesting of
them (Keras 3 functional models take and return all of these), and their flat leaves.

A Keras config describes a structure with layer references (`["dense", 0, 0]`) as leaves:
`{"score": ["s", 0, 0], "cls": ["c", 0, 0]}`, `[["a", 0, 0], [["b", 0, 0], ["c", 0, 0]]]`.
TF.js models have flat inputs and outputs, so both formats carry one input/output per leaf:

- order: Keras' own flattening order (`keras.tree.flatten`, `model.inputs` / `model.outputs`):
  depth first, lists in order, dict keys sorted;
- name: the dict keys on the leaf's path joined by "/" (`score`, `task/score`); a leaf under no
  dict keeps its Keras name (the input's, or the output layer's).

The structure itself is recorded in model.json's `userDefinedMetadata.structure` as the same
tree with each leaf replaced by its name (`{"inputs": ..., "outputs": ...}`), so that a loader
can rebuild it. Pure Python: no TensorFlow, no Keras.
"""

METADATA_KEY = "structure"


class StructureError(ValueError):
    """A structure the TF.js formats cannot carry; the message says which and why."""


def is_ref(value):
    """A Keras layer reference `[layer name, node index, tensor index(, kwargs)]`."""
    return (isinstance(value, (list, tuple)) and len(value) in (3, 4) and isinstance(value[0], str)
            and all(isinstance(i, int) and not isinstance(i, bool) for i in value[1:3]))


def flatten(struct, what="outputs"):
    """[(path, leaf)] of `struct` in Keras' flattening order; path: the dict keys and list
    indices leading to the leaf. StructureError for a leaf that is not a layer reference."""
    leaves = []

    def walk(value, path):
        if is_ref(value):
            leaves.append((path, list(value)))
        elif isinstance(value, dict):
            for key in sorted(value):  # keras.tree.flatten sorts dict keys
                walk(value[key], path + (key,))
        elif isinstance(value, (list, tuple)) and value:
            for index, item in enumerate(value):
                walk(item, path + (index,))
        else:
            raise StructureError(f"{what}{_show_path(path)} is {_show(value)}, not a tensor: only tensors "
                                 "(in lists, tuples and dicts) can be model inputs and outputs")

    walk(struct, ())
    return leaves


def leaf_name(path, keras_name):
    """The TF.js name of a leaf: its dict keys joined by "/", else its Keras name."""
    keys = [key for key in path if isinstance(key, str)]
    return "/".join(keys) if keys else keras_name


def named_leaves(struct, what="outputs"):
    """[(name, ref, keyed)] of `struct` (a config's input_layers / output_layers) in flattening
    order; keyed: the name comes from dict keys. StructureError if two leaves share a name."""
    if struct is None or struct == []:
        return []
    leaves = [(leaf_name(path, ref[0]), ref, any(isinstance(k, str) for k in path))
              for path, ref in flatten(struct, what)]
    if any(keyed for _, _, keyed in leaves):  # names become the only way to tell leaves apart
        seen = set()
        for name, _, _ in leaves:
            if name in seen:
                raise StructureError(f"two {what} would both be named '{name}' (a dict key and a layer name, "
                                     "or the same keys at two places): make the names unique")
            seen.add(name)
    return leaves


def is_flat(struct):
    """A single leaf or a flat list of leaves: what TF.js models express without a record."""
    if struct is None or is_ref(struct):
        return True
    return isinstance(struct, (list, tuple)) and all(is_ref(item) for item in struct)


def describe(struct, names):
    """`struct` with its leaves replaced, in flattening order, by `names` (dict keys sorted,
    tuples as lists): the JSON a loader rebuilds the structure from."""
    names = iter(names)

    def walk(value):
        if is_ref(value):
            return next(names)
        if isinstance(value, dict):
            return {key: walk(value[key]) for key in sorted(value)}
        return [walk(item) for item in value]

    return walk(struct)


def metadata(inputs, outputs, input_names, output_names):
    """The `userDefinedMetadata` entry recording the structure, or None when both are flat."""
    if is_flat(inputs) and is_flat(outputs):
        return None
    return {METADATA_KEY: {"inputs": describe(inputs, input_names) if inputs is not None else [],
                           "outputs": describe(outputs, output_names) if outputs is not None else []}}


def _show_path(path):
    return "".join(f"[{key!r}]" for key in path)


def _show(value):
    if value is None:
        return "null"
    if isinstance(value, (list, tuple, dict)) and not value:
        return f"an empty {type(value).__name__}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def keras_model_names(model):
    """(input names, output names) of a loaded Keras model (Keras 3 or tf_keras), as the
    converter names the TF.js model's inputs and outputs, in `model.inputs` / `model.outputs`
    order. A functional model's config gives its structure; others keep their Keras names.
    StructureError for a structure the converter refuses (two leaves of the same name, ...)."""
    input_struct, output_struct = keras_model_structures(model)
    if input_struct is not None and output_struct is not None:
        inputs = [name for name, _, _ in named_leaves(input_struct, "inputs")]
        outputs = [name for name, _, _ in named_leaves(output_struct, "outputs")]
        if len(inputs) == len(model.inputs) and len(outputs) == len(model.outputs):
            return inputs, outputs
    return ([t.name.split(":")[0] for t in model.inputs],
            [getattr(t, "_keras_history")[0].name for t in model.outputs])


def keras_model_structures(model):
    """(input structure, output structure) of a functional Keras model's config, None for a
    model without one (Sequential, subclassed)."""
    try:
        config = model.get_config()
    except Exception:  # noqa: BLE001  (custom classes without a config: no structure to read)
        return None, None
    if not isinstance(config, dict):
        return None, None
    return config.get("input_layers"), config.get("output_layers")
