"""The layer table (converter/layers_config/layer_table.py) against Keras itself, on the zoo the
parity tests prove in tfjs-node (tools/testing/keras_zoo.py, and tools/testing/js_layer_cases for
the classes of our JS library): every rule is exercised by a zoo
model, and what a rule says about a layer (its variables and their order, the weight sizes its
config fixes, how its output's channel count follows) is what Keras builds."""

import pytest

from tfjs_export.converter.layers_config.layer_table import KINDS, MODEL_CLASSES, RULES


def _walk(layer, layer_class, found):
    found.append(layer)
    for inner in getattr(layer, "layers", None) or []:
        _walk(inner, layer_class, found)
    for attr in ("layer", "forward_layer", "backward_layer"):
        inner = getattr(layer, attr, None)
        if isinstance(inner, layer_class):
            _walk(inner, layer_class, found)


@pytest.fixture(scope="module")
def zoo_layers():
    """{"keras": [Keras 3 layers], "tf_keras": [tf_keras layers]} of every zoo model."""
    import keras
    import tf_keras
    from tools.testing import keras_zoo
    found = {"keras": [], "tf_keras": []}
    from tools.testing import js_layer_cases
    # (the classes of our JS library are proven by the js_layer_cases models)
    for build in list(keras_zoo.ZOO.values()) + [case.build for case in js_layer_cases.all_cases()]:
        _walk(build(), keras.layers.Layer, found["keras"])
    for build in keras_zoo.TF_KERAS_ZOO.values():
        _walk(build(), tf_keras.layers.Layer, found["tf_keras"])
    return found


def _class(layer):
    return type(layer).__name__


def test_every_rule_is_exercised_by_the_zoo(zoo_layers):
    """A rule no zoo model uses is never proven in tfjs-node: add a layer of that class to
    tools/testing/keras_zoo.py (or drop the rule)."""
    used = {_class(layer) for layers in zoo_layers.values() for layer in layers}
    assert set(RULES) - used == set()
    unknown = used - set(RULES) - set(MODEL_CLASSES)
    assert unknown == set(), f"zoo layers the table does not know: {unknown}"


def test_every_kind_is_described():
    assert {rule.kind for rule in RULES.values()} <= set(KINDS)


def _variables(layer):
    # A dropout's seed generator state is Keras' RNG, stored apart from the layer's own variables
    # in a .keras file, and meaningless at inference.
    return [(variable.path.rsplit("/", 1)[-1], variable.trainable) for variable in layer.variables
            if "seed_generator" not in variable.path]


def test_weights_are_the_variables_keras_creates_in_order(zoo_layers):
    """rule.weights(config): one TF.js name per variable the Keras layer creates, with its
    trainability, in the order Keras creates them (the order a .keras file stores them in).
    Names are TF.js' (a Keras 3 DepthwiseConv2D's `kernel` is tfjs' `depthwise_kernel`), so they
    are compared where Keras uses the same one."""
    checked = set()
    for layer in zoo_layers["keras"]:
        rule = RULES.get(_class(layer))
        if rule is None or rule.kind not in ("", "rnn"):  # wrappers and rewrites name weights themselves
            continue
        ours, theirs = rule.weights(layer.get_config()), _variables(layer)
        assert [trainable for _, trainable in ours] == [trainable for _, trainable in theirs], layer.name
        # (a sub-layer's variables are `<sub-layer>/<name>`: MultiHeadAttention's `query/kernel`)
        same = [(a, b) for (a, _), (b, _) in zip(ours, theirs) if a.rsplit("/", 1)[-1] == b]
        assert len(same) >= len(ours) - 1, (layer.name, ours, theirs)  # at most the one tfjs renames
        checked.add(_class(layer))
    with_weights = {name for name, rule in RULES.items() if rule.weights({}) and rule.kind in ("", "rnn")}
    assert with_weights - checked == set()


def test_sized_weights_follow_the_config(zoo_layers):
    """rule.sized: those weights' last axis is factor x config[key] (what readers/weights.py
    checks a file's arrays against)."""
    checked = set()
    for layer in zoo_layers["keras"] + zoo_layers["tf_keras"]:
        rule = RULES.get(_class(layer))
        if rule is None or not rule.sized:
            continue
        key, factor, names = rule.sized
        config = layer.get_config()
        shapes = {variable.name.rsplit("/", 1)[-1].split(":")[0]: tuple(variable.shape)
                  for variable in layer.weights}
        for name in names:
            if name in shapes:
                assert shapes[name][-1] == factor * config[key], (layer.name, name)
        checked.add(_class(layer))
    assert {name for name, rule in RULES.items() if rule.sized} - checked == set()


def test_channels_follow_the_rule(zoo_layers):
    """rule.channels: the output's channel count (channels_last) is the input's ("same"), a
    config value ("filters", "units") or the input's times depth_multiplier."""
    checked = set()
    for layer in zoo_layers["keras"]:
        rule = RULES.get(_class(layer))
        if rule is None or not rule.channels or layer.get_config().get("data_format") == "channels_first":
            continue
        try:
            inputs, output = layer.input, layer.output
        except (AttributeError, ValueError):  # a shared layer has no single input
            continue
        if isinstance(inputs, (list, tuple)) or isinstance(output, (list, tuple)):
            continue
        config = layer.get_config()
        wanted = {"same": inputs.shape[-1],
                  "depth_multiplier": inputs.shape[-1] * config.get("depth_multiplier", 1)}.get(
            rule.channels, config.get(rule.channels))
        assert output.shape[-1] == wanted, layer.name
        checked.add(_class(layer))
    assert {name for name, rule in RULES.items() if rule.channels} - checked == set()
