"""Keras 3 functional models with dict and nested inputs/outputs, built in code (fixed seeds),
for the structure tests (converter/structure.py). Each builder returns a small model; NAMES
gives the TF.js input and output names the converter must give it, in the documented order
(Keras' flattening order: dict keys sorted, lists in order)."""


def _keras():
    import keras
    keras.utils.set_random_seed(17)
    return keras, keras.layers


def dict_inputs():
    """Two named inputs in a dict -> one tensor."""
    keras, L = _keras()
    age, feat = keras.Input((3,), name="age"), keras.Input((4,), name="feat")
    out = L.Dense(2, name="head")(L.Concatenate(name="cat")([age, feat]))
    return keras.Model({"age": age, "feat": feat}, out)


def dict_outputs():
    """One input -> a dict of two heads whose keys are not their layers' names."""
    keras, L = _keras()
    x = keras.Input((5,), name="x")
    h = L.Dense(6, activation="tanh", name="trunk")(x)
    return keras.Model(x, {"score": L.Dense(1, name="s")(h), "cls": L.Dense(3, activation="softmax", name="c")(h)})


def dict_both():
    """Dict in, dict out; a key of the outputs equals its layer's name (no renaming needed)."""
    keras, L = _keras()
    age, feat = keras.Input((3,), name="age"), keras.Input((4,), name="feat")
    h = L.Dense(5, activation="relu", name="h")(L.Concatenate(name="cat")([age, feat]))
    return keras.Model({"feat": feat, "age": age},
                       {"score": L.Dense(1, name="score")(h), "cls": L.Dense(2, name="c")(h)})


def nested_outputs():
    """A list output holding a list and a dict: [a, [b, c], {"d": d}]."""
    keras, L = _keras()
    x = keras.Input((4,), name="x")
    return keras.Model(x, [L.Dense(1, name="a")(x), [L.Dense(2, name="b")(x), L.Dense(3, name="c")(x)],
                           {"extra": L.Dense(2, name="d")(x)}])


def key_order():
    """Dict keys whose sorted order is the reverse of the layer order (inputs and outputs): only
    feeding and matching by name gets them right."""
    keras, L = _keras()
    first, second = keras.Input((2,), name="zeta"), keras.Input((3,), name="alpha")
    h = L.Concatenate(name="cat")([first, L.Dense(2, name="pre")(second)])
    z_head = L.Dense(1, name="dense_first")(h)
    a_head = L.Dense(4, name="dense_second")(h)
    return keras.Model({"zeta": first, "alpha": second}, {"z_out": z_head, "a_out": a_head})


def model_in_model():
    """A functional model with dict inputs and dict outputs used as a layer of another one, whose
    own inputs and outputs are dicts too (one output straight from the inner model)."""
    keras, L = _keras()
    age, feat = keras.Input((3,), name="age"), keras.Input((4,), name="feat")
    h = L.Dense(5, activation="relu", name="h")(L.Concatenate(name="cat")([age, feat]))
    inner = keras.Model({"feat": feat, "age": age}, {"score": L.Dense(1, name="s")(h), "cls": L.Dense(2, name="c")(h)},
                        name="inner")
    x, y = keras.Input((3,), name="x"), keras.Input((4,), name="y")
    o = inner({"age": x, "feat": y})
    total = L.Add(name="add")([o["score"], L.Dense(1, name="d")(o["cls"])])
    return keras.Model({"y": y, "x": x}, {"total": total, "cls": o["cls"]})


def outputs_from_models():
    """Dict outputs taken straight from a nested functional model and a nested Sequential (Keras 3
    counts their nodes differently in output_layers: translate.py)."""
    keras, L = _keras()
    a = keras.Input((3,), name="a")
    inner = keras.Model(a, [L.Dense(1, name="s")(a), L.Dense(2, name="c")(a)], name="inner")
    seq = keras.Sequential([keras.Input((3,)), L.Dense(2, name="sd")], name="seq")
    x = keras.Input((3,), name="x")
    pair = inner(x)
    return keras.Model(x, {"from_inner": pair[1], "from_seq": seq(x), "head": L.Dense(1, name="head")(pair[0])})


BUILDERS = {f.__name__: f for f in (dict_inputs, dict_outputs, dict_both, nested_outputs, key_order, model_in_model,
                                    outputs_from_models)}

# (input names, output names) of the TF.js models, in the documented order.
NAMES = {
    "dict_inputs": (["age", "feat"], ["head"]),
    "dict_outputs": (["x"], ["cls", "score"]),
    "dict_both": (["age", "feat"], ["cls", "score"]),
    "nested_outputs": (["x"], ["a", "b", "c", "extra"]),
    "key_order": (["alpha", "zeta"], ["a_out", "z_out"]),
    "model_in_model": (["x", "y"], ["cls", "total"]),
    "outputs_from_models": (["x"], ["from_inner", "from_seq", "head"]),
}

# model.json userDefinedMetadata.structure: each leaf replaced by its name (a single tensor: a name).
STRUCTURES = {
    "dict_inputs": {"inputs": {"age": "age", "feat": "feat"}, "outputs": "head"},
    "dict_outputs": {"inputs": "x", "outputs": {"cls": "cls", "score": "score"}},
    "dict_both": {"inputs": {"age": "age", "feat": "feat"}, "outputs": {"cls": "cls", "score": "score"}},
    "nested_outputs": {"inputs": "x", "outputs": ["a", ["b", "c"], {"extra": "extra"}]},
    "key_order": {"inputs": {"alpha": "alpha", "zeta": "zeta"}, "outputs": {"a_out": "a_out", "z_out": "z_out"}},
    "model_in_model": {"inputs": {"x": "x", "y": "y"}, "outputs": {"cls": "cls", "total": "total"}},
    "outputs_from_models": {"inputs": "x", "outputs": {"from_inner": "from_inner", "from_seq": "from_seq",
                                                       "head": "head"}},
}
