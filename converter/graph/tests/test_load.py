"""load.py: signature keys, SavedModel errors, Keras flavours, custom objects."""

import pytest

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.graph.load import load_function


def test_saved_model_signature_keys(model_files):
    loaded = load_function(model_files["two_in_two_out_saved_model"], "tf_saved_model")
    assert loaded.input_keys == ["a", "b"]
    assert loaded.output_keys == ["output_0", "output_1"]
    assert loaded.generated_by.startswith("TensorFlow 2.")


def test_missing_signature_lists_available(model_files):
    with pytest.raises(ConversionError) as err:
        load_function(model_files["two_in_two_out_saved_model"], "tf_saved_model", signature_name="predict")
    assert "no signature 'predict'" in str(err.value) and "serving_default" in str(err.value)
    assert "\n" not in str(err.value)


def test_wrong_tags_list_available(model_files):
    with pytest.raises(ConversionError, match=r"no MetaGraph with tags gpu,serve \(available: serve\)"):
        load_function(model_files["two_in_two_out_saved_model"], "tf_saved_model", tags=("serve", "gpu"))


def test_not_a_saved_model(tmp_path):
    (tmp_path / "saved_model.pb").write_bytes(b"this is not a protobuf")
    with pytest.raises(ConversionError, match="not a readable SavedModel"):
        load_function(str(tmp_path), "tf_saved_model")


def test_keras_model_keys_are_keras_names(model_files):
    loaded = load_function(model_files["two_in_two_out"], "keras")
    assert loaded.input_keys == ["a", "b"] and loaded.output_keys == ["first", "second"]
    assert loaded.generated_by.startswith("Keras 3.")


def test_tf_keras_h5_is_loaded_with_tf_keras(tmp_path):
    import tf_keras
    model = tf_keras.Sequential([tf_keras.Input((3,), name="x"), tf_keras.layers.Dense(2, name="y")])
    path = str(tmp_path / "m.h5")
    model.save(path)
    loaded = load_function(path, "keras_h5")
    assert loaded.generated_by.startswith("tf_keras 2.") and loaded.output_keys == ["y"]


def test_unknown_custom_object_is_named(tmp_path):
    from tools.testing import graph_models
    graph_models.custom_layer_class()
    path = str(tmp_path / "custom.keras")
    graph_models.custom_layer().save(path)
    import keras
    registered = keras.saving.get_custom_objects()
    saved = {k: registered.pop(k) for k in list(registered) if "ScaledSoftsign" in k}
    try:
        with pytest.raises(ConversionError) as err:
            load_function(path, "keras")
    finally:
        registered.update(saved)
    assert "ScaledSoftsign" in str(err.value) and "\n" not in str(err.value)


def test_lambda_needs_unsafe_deserialization(tmp_path):
    from tools.testing import graph_models
    path = str(tmp_path / "lambda.keras")
    graph_models.lambda_layer().save(path)
    with pytest.raises(ConversionError, match="--unsafe_deserialization"):
        load_function(path, "keras")
    assert load_function(path, "keras", unsafe_deserialization=True).output_keys == ["out"]


# --- subclassed Keras 3 models ----------------------------------------------------------------

def test_subclassed_model_is_traced_with_its_build_config_shape(tmp_path):
    import numpy as np
    from tools.testing import graph_symptom_models
    source = graph_symptom_models.subclassed_pnet_keras(str(tmp_path))
    loaded = load_function(source.path, "keras")
    assert loaded.input_keys == ["inputs"] and loaded.output_keys == ["boxes", "score"]
    assert loaded.function.inputs[0].shape.as_list() == [None, 12, 12, 3]  # batch left open
    outputs = loaded.function(source.inputs["inputs"])
    for key, value in zip(loaded.output_keys, outputs):
        np.testing.assert_allclose(value.numpy(), source.outputs[key], rtol=1e-6, atol=1e-6)


def test_unbuilt_subclassed_model_needs_input_shapes(tmp_path):
    from tools.testing import graph_symptom_models
    path = graph_symptom_models.unbuilt_pnet_keras(str(tmp_path))
    with pytest.raises(ConversionError) as err:
        load_function(path, "keras")
    message = str(err.value)
    assert "'PNet' is a subclassed model" in message and "--input_shapes NAME:1x12x12x3" in message
    assert path in message and "\n" not in message
    loaded = load_function(path, "keras", input_shapes={"image": [None, 12, 12, 3]})
    assert loaded.input_keys == ["image"] and loaded.function.inputs[0].shape.as_list() == [None, 12, 12, 3]


def test_input_shapes_must_name_a_functional_models_inputs(model_files):
    with pytest.raises(ConversionError, match=r"--input_shapes names c, but the model's inputs are a, b"):
        load_function(model_files["two_in_two_out"], "keras", input_shapes={"c": [1, 3]})
