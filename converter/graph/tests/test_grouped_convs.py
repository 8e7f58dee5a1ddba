"""grouped_convs: Keras 3 (.keras and an exported SavedModel) and tf_keras (.h5) grouped Conv2D,
computed in jit_compile function calls, are inlined and become a depthwise conv (one channel per
group) or Split -> a Conv2D per group -> ConcatV2; the written graph holds no function call and
predicts what Keras predicts (run in TensorFlow; ConvNeXt and RegNetX in
runtime_tests/wild_graph_parity_test.py run them in tfjs-node)."""

import json

import numpy as np
import pytest

from tfjs_export.converter import convert
from tfjs_export.converter.graph.reference import run_written_graph_model


def _grouped(keras):
    keras.utils.set_random_seed(6)
    inputs = keras.Input((7, 7, 6))
    x = keras.layers.Conv2D(6, 3, groups=6, padding="same", strides=2)(inputs)  # depthwise, as ConvNeXt's
    x = keras.layers.Conv2D(4, 3, groups=2, dilation_rate=1, activation="relu")(x)  # two groups, as RegNet's
    return keras.Model(inputs, keras.layers.Conv2D(3, 1, groups=1)(x))


@pytest.mark.parametrize("source", ["keras", "saved_model", "tf_keras_h5"])
def test_grouped_convs_run_without_function_calls(source, tmp_path, rng):
    if source == "tf_keras_h5":
        import tf_keras as keras
    else:
        import keras
    model = _grouped(keras)
    path = str(tmp_path / {"keras": "m.keras", "saved_model": "m_saved", "tf_keras_h5": "m.h5"}[source])
    model.export(path, verbose=False) if source == "saved_model" else model.save(path)
    out = str(tmp_path / "out")
    convert(path, out, output_format="tfjs_graph_model")
    with open(f"{out}/model.json", encoding="utf-8") as f:
        ops = {n["op"] for n in json.load(f)["modelTopology"]["node"]}
    assert not {"PartitionedCall", "StatefulPartitionedCall"} & ops
    assert {"Split", "ConcatV2"} <= ops and ops & {"DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"}
    x = rng.normal(size=(2, 7, 7, 6)).astype("float32")
    np.testing.assert_allclose(run_written_graph_model(out, [x])[0], np.asarray(model(x)), rtol=1e-5, atol=1e-5)
