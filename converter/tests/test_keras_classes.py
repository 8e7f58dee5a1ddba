"""converter/writers/keras_classes.py: a Layers model using our JS classes, converted back to
Keras (`.keras` and `.h5`), loads in Keras with no custom objects and predicts what the source
model predicts; a class of ours with no Keras layer config is refused in one line naming the
layer, leaving nothing behind."""

import numpy as np
import pytest

from tfjs_export.converter import convert
from tfjs_export.converter.tests.helpers import assert_one_line_error, leftovers, run_cli
from tfjs_export.converter.writers.keras_classes import keras_class_of_ours, with_keras_classes
from tfjs_export.converter.writers.keras_model import keras3_classes

# js_layer_cases whose classes all have a Keras layer config: recurrent (masks, Bidirectional,
# RNN(cell)), EinsumDense, preprocessing, 1-D / 3-D layers, weightless ones.
ROUND_TRIPS = ("gru_bidirectional_masked", "zero_masked_steps", "rnn_of_cells", "einsum_dense", "resizing",
               "conv1d_family", "volumes", "weightless")


def _cases():
    from tools.testing import js_layer_cases
    return {c.name: c for c in js_layer_cases.all_cases()}


def _predict(model, inputs):
    outputs = model.predict(inputs, verbose=0)
    return [np.asarray(o) for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])]


@pytest.mark.parametrize("name", ROUND_TRIPS)
@pytest.mark.parametrize("suffix, output_format", [(".keras", "keras_keras"), (".h5", "keras")])
def test_our_classes_come_back_as_keras_classes(tmp_path, name, suffix, output_format):
    import keras
    case = _cases()[name]
    model = case.build()
    model.save(tmp_path / "source.keras")
    summary = convert(str(tmp_path / "source.keras"), str(tmp_path / "web"))
    assert summary.js_classes  # the TF.js model does use classes of ours
    convert(str(tmp_path / "web" / "model.json"), str(tmp_path / f"back{suffix}"), output_format=output_format)
    # No custom objects of ours; Keras' own classes for the .h5 (its legacy loader finds a layer
    # nested in Bidirectional among custom objects only: writers/keras_model.keras3_classes)
    back = keras.saving.load_model(tmp_path / f"back{suffix}", compile=False,
                                   custom_objects=keras3_classes(keras) if suffix == ".h5" else None)
    used = {type(layer).__name__ for layer in back._flatten_layers()}
    assert not any(">" in c for c in used)
    inputs = case.sample(model, 0)
    for theirs, ours in zip(_predict(model, inputs), _predict(back, inputs)):
        np.testing.assert_allclose(ours, theirs, atol=1e-6, rtol=1e-6)


def test_the_mapping_names_keras_classes():
    import keras
    mapping = keras_class_of_ours()
    assert mapping["tfjs-export-layers>GRU"] == "GRU" and mapping["tfjs-export-layers>Resizing"] == "Resizing"
    assert "tfjs-export-layers>MultiHeadAttention" not in mapping  # called with several tensors
    assert all(hasattr(keras.layers, name) for name in mapping.values())


def test_wrapped_and_nested_layers_are_renamed():
    gru = {"class_name": "tfjs-export-layers>GRU", "config": {"name": "g", "units": 2}}
    topology = {"class_name": "Model", "config": {"layers": [
        {"class_name": "Bidirectional", "config": {"name": "bi", "layer": gru}},
        {"class_name": "Sequential", "config": {"name": "inner", "layers": [dict(gru)]}}]}}
    renamed = with_keras_classes(topology)
    bi, inner = renamed["config"]["layers"]
    assert bi["config"]["layer"]["class_name"] == "GRU" and inner["config"]["layers"][0]["class_name"] == "GRU"
    assert topology["config"]["layers"][0]["config"]["layer"]["class_name"] == "tfjs-export-layers>GRU"  # a copy


@pytest.mark.parametrize("name, layer", [("ops_issue", "(tfjs-export-layers>ops."),
                                         ("mha_self", "(tfjs-export-layers>MultiHeadAttention)")])
def test_classes_without_a_keras_config_are_refused(tmp_path, name, layer):
    case = _cases()[name]
    case.build().save(tmp_path / "source.keras")
    convert(str(tmp_path / "source.keras"), str(tmp_path / "web"))
    before = leftovers(tmp_path)
    for output, output_format in (("back.keras", "keras_keras"), ("back.h5", "keras")):
        result = run_cli("convert", str(tmp_path / "web" / "model.json"), str(tmp_path / output),
                         "--output_format", output_format)
        assert_one_line_error(result, "model.json", layer, "no Keras layer config for this class of ours")
    assert leftovers(tmp_path) == before
