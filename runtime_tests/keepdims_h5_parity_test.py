"""GlobalAveragePooling2D(keepdims=True) from a tf_keras `.h5` in tfjs-node: keras.applications
MobileNet (v1), whose Keras 2 config records no layer shapes, converts to Layers (the pooling's
channel count inferred through the topology: ReLU <- BatchNormalization <- the last pointwise
Conv2D's filters) and predicts what tf_keras predicts."""

import os

import numpy as np
import pytest

from runtime_tests import parity

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    import tf_keras

    from tfjs_export.converter import convert
    from tools.testing.keras_zoo import _mild_randomise

    folder = tmp_path_factory.mktemp("keepdims_h5")
    tf_keras.utils.set_random_seed(31)
    model = tf_keras.applications.MobileNet(input_shape=(32, 32, 3), alpha=0.25, weights=None, classes=5,
                                            classifier_activation=None)
    _mild_randomise(model, 31)
    source = str(folder / "mobilenet.h5")
    model.save(source)
    model_dir = folder / "case" / "model"
    summary = convert(source, str(model_dir))
    inputs = [np.random.default_rng(31).normal(size=(2, 32, 32, 3)).astype("float32")]
    outputs = [np.asarray(model.predict(inputs[0], verbose=0))]
    parity.write_case(folder / "case", model_dir / "model.json", inputs, outputs, name="mobilenet_h5",
                      input_names=[t.name.split(":")[0] for t in model.inputs],
                      output_names=[model.layers[-1].name], atol=1e-5, rtol=1e-5,
                      why="float32 rounding only: same maths, different order")
    return folder / "case", summary


def test_mobilenet_h5_keepdims_pooling_matches_tf_keras(case):
    case_dir, summary = case
    assert any("keepdims=True) written as" in notice and "[1, 1, 256]" in notice for notice in summary.notices)
    run = parity.run_node_tests(case_dir)
    parity.assert_within_bounds(parity.read_result(case_dir), context=run.stdout[-3000:])
