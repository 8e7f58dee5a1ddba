"""The official converter's other format pairs, proven end to end (issue: everything the official
converter does):

- TF.js Layers -> Keras: models made and trained in tfjs-node and saved with `model.save`
  (tfjs_trained_models.js) come back as `.keras` (Keras 3) and `.h5` (Keras 3 and tf_keras) and
  predict what TF.js predicted; TF.js's hard_sigmoid, which Keras 3 computes differently, is
  refused for `.keras` and noted for `.h5` (tf_keras computes it as TF.js does);
- TF.js -> TF.js: re-quantised, re-sharded and split by layer, the weights are exactly the
  codec's rounding of the decoded ones, and the model runs in tfjs-node (verify);
- TF.js Layers -> Graph, and Graph -> Graph re-quantised, run in tfjs-node (verify);
- frozen GraphDefs (`tf_frozen_model` + `--output_node_names`), a Keras SavedModel directory
  (`keras_saved_model`) and local Hub module directories (`tf_hub`: TF2 SavedModel form and TF1
  Hub format) -> Graph, in tfjs-node against TensorFlow running the same graph.
"""

import json
import os

import numpy as np
import pytest

from runtime_tests import parity
from tfjs_export import codec
from tfjs_export.converter import ConversionError, convert
from tfjs_export.converter.model_dir import read_model_dir
from tfjs_export.converter.tests.helpers import assert_one_line_error, leftovers, run_cli
from tfjs_export.converter.verify import verify

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
TRAINED = ("cnn_lstm", "lstm_default", "nested")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """{name: (model dir, inputs, TF.js's outputs)} of the models tfjs-node trained and saved."""
    out = tmp_path_factory.mktemp("tfjs_trained")
    runtime = parity.find_runtime_dir()
    run = parity.run_js([str(parity.HERE / "tfjs_trained_models.js"), str(out)], cwd=runtime,
                        node_modules=runtime / "node_modules")
    assert run.returncode == 0, run.stderr
    models = {}
    for name in TRAINED:
        data = json.loads((out / f"{name}.json").read_text())
        arrays = lambda items: [np.array(t["data"], "float32").reshape(t["shape"]) for t in items]  # noqa: E731
        models[name] = (out / name, arrays(data["inputs"]), arrays(data["outputs"]))
    return models


def _predict(model, inputs):
    out = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    return out if isinstance(out, list) else [out]


def _assert_close(actual, expected):
    for a, e in zip(actual, expected, strict=True):
        assert a.shape == e.shape
        assert np.abs(a - e).max() <= 1e-5 + 1e-5 * np.abs(e).max(), np.abs(a - e).max()


@pytest.mark.parametrize("name", ["cnn_lstm", "nested"])
def test_tfjs_trained_model_comes_back_as_keras3_file(tmp_path, trained, name):
    import keras
    model_dir, inputs, expected = trained[name]
    summary = convert(model_dir / "model.json", tmp_path / "model.keras", output_format="keras_keras")
    assert summary.files == ["model.keras"] and summary.tensors > 0
    _assert_close(_predict(keras.saving.load_model(tmp_path / "model.keras"), inputs), expected)


@pytest.mark.parametrize("name", TRAINED)
def test_tfjs_trained_model_comes_back_as_h5_for_tf_keras(tmp_path, trained, name):
    import tf_keras
    model_dir, inputs, expected = trained[name]
    summary = convert(model_dir, tmp_path / "model.h5", output_format="keras")
    assert any("hard_sigmoid" in n for n in summary.notices) == (name == "lstm_default"), summary.notices
    _assert_close(_predict(tf_keras.models.load_model(tmp_path / "model.h5", compile=False), inputs), expected)


def test_h5_loads_in_keras3_too(tmp_path, trained):
    import keras
    model_dir, inputs, expected = trained["cnn_lstm"]
    convert(model_dir, tmp_path / "model.h5", output_format="keras")
    _assert_close(_predict(keras.saving.load_model(tmp_path / "model.h5", compile=False), inputs), expected)


def test_keras3_file_refuses_tfjs_hard_sigmoid(tmp_path, trained):
    result = run_cli("convert", str(trained["lstm_default"][0]), str(tmp_path / "m.keras"),
                     "--output_format", "keras_keras")
    assert_one_line_error(result, "recurrent_activation=hard_sigmoid", "0.2x + 0.5", "--output_format keras")
    assert leftovers(tmp_path) == []


def test_keras3_model_round_trips_through_tfjs(tmp_path):
    """.keras -> TF.js Layers -> .keras: the same predictions as the original."""
    import keras
    from tools.testing import keras_models
    for name in ("cnn_functional", "two_in_two_out"):
        model = keras_models.ZOO[name]()
        model.save(tmp_path / f"{name}.keras")
        convert(tmp_path / f"{name}.keras", tmp_path / f"{name}_web")
        convert(tmp_path / f"{name}_web", tmp_path / f"{name}_back.keras", output_format="keras_keras")
        inputs = keras_models.sample_inputs(model)
        back = keras.saving.load_model(tmp_path / f"{name}_back.keras")
        _assert_close(_predict(back, inputs), _predict(model, inputs))


def test_tfjs_to_tfjs_requantises_reshards_and_splits_by_layer(tmp_path, trained):
    model_dir, _, _ = trained["cnn_lstm"]
    original = read_model_dir(model_dir)
    decoded = original.read_weights()
    summary = convert(model_dir / "model.json", tmp_path / "q", quantize_uint8=None, weight_shard_size_bytes=256,
                      split_weights_by_layer=True)
    kept = {name for name, _ in summary.kept_float32}  # tiny biases: quantization_plan.py's rule
    written = read_model_dir(tmp_path / "q")
    assert written.topology == original.topology and written.format == "layers-model"
    # one group per layer with weights, each with its own shards
    owners = [{w["name"].split("/")[0] for w in group["weights"]} for group in written.manifest]
    assert all(len(o) == 1 for o in owners) and len(owners) == 5
    assert len({p for g in written.manifest for p in g["paths"]}) == len(written.shards) > len(owners)
    assert kept
    for name, array in written.read_weights().items():  # exactly the codec's rounding of TF.js's values
        if name in kept:
            assert np.array_equal(array, decoded[name]), name
            continue
        encoded, quantization = codec.quantize(decoded[name], "uint8")
        assert np.array_equal(array, codec.dequantize(encoded, quantization)), name
    convert(model_dir, tmp_path / "back.h5", output_format="keras")
    report = verify(tmp_path / "back.h5", tmp_path / "q")
    assert report.ok and report.backend == "tensorflow" and report.quantized, report.table()


def test_tfjs_layers_to_graph_and_graph_requantised_not_layers(tmp_path, trained):
    model_dir, _, _ = trained["cnn_lstm"]
    convert(model_dir, tmp_path / "back.h5", output_format="keras")
    convert(model_dir, tmp_path / "graph", output_format="tfjs_graph_model")
    convert(tmp_path / "graph" / "model.json", tmp_path / "graph16", output_format="tfjs_graph_model",
            quantize_float16=None)
    assert read_model_dir(tmp_path / "graph16").quantized
    for out in ("graph", "graph16"):
        report = verify(tmp_path / "back.h5", tmp_path / out)
        assert report.ok and report.backend == "tensorflow", report.table()
    # a graph holds no layers: refused for the Layers and Keras formats, nothing written
    for fmt, out in (("tfjs_layers_model", "layers"), ("keras_keras", "m.keras")):
        result = run_cli("convert", str(tmp_path / "graph"), str(tmp_path / out), "--output_format", fmt)
        assert_one_line_error(result, "holds a TensorFlow graph, not Keras layers")
        assert not (tmp_path / out).exists()


def _frozen_graph(path):
    """A TF1 graph (placeholders, variables, matmul, relu, a second output) frozen the TF1 way.
    Returns TensorFlow's outputs for fixed inputs."""
    import tensorflow as tf
    graph = tf.Graph()
    rng = np.random.default_rng(5)
    x_value = rng.normal(size=(3, 4)).astype("float32")
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        w = tf.compat.v1.get_variable("w", initializer=rng.normal(size=(4, 5)).astype("float32"))
        b = tf.compat.v1.get_variable("b", initializer=rng.normal(size=(5,)).astype("float32"))
        hidden = tf.nn.relu(tf.matmul(x, w) + b, name="hidden")
        tf.reduce_sum(hidden, axis=1, name="total")
        with tf.compat.v1.Session(graph=graph) as session:
            session.run(tf.compat.v1.global_variables_initializer())
            frozen = tf.compat.v1.graph_util.convert_variables_to_constants(
                session, graph.as_graph_def(), ["hidden", "total"])
            expected = session.run(["hidden:0", "total:0"], {"x:0": x_value})
    path.write_bytes(frozen.SerializeToString())
    return x_value, expected


def test_frozen_graph_runs_in_tfjs_node(tmp_path):
    x_value, expected = _frozen_graph(tmp_path / "frozen.pb")
    convert(tmp_path / "frozen.pb", tmp_path / "web", output_format="tfjs_graph_model",
            output_node_names="hidden,total")
    signature = read_model_dir(tmp_path / "web").model_json["signature"]
    assert list(signature["inputs"]) == ["x"] and list(signature["outputs"]) == ["hidden", "total"]
    case = parity.write_case(tmp_path / "case", tmp_path / "web" / "model.json", [x_value], expected,
                             name="frozen", input_names=["x"], output_names=["hidden", "total"],
                             fmt="graph-model", atol=1e-5, rtol=1e-5, why="float32")
    run = parity.run_node_tests(case)
    assert run.returncode == 0, run.stdout + run.stderr
    parity.assert_within_bounds(parity.read_result(case))
    # its outputs must be named, and exist
    for names, fragment in ((None, "--output_node_names NAME"), ("nope", "no node 'nope'"),
                            ("total:3", "out of range")):
        with pytest.raises(ConversionError, match=fragment):
            convert(tmp_path / "frozen.pb", tmp_path / "web2", output_format="tfjs_graph_model",
                    output_node_names=names)
        assert not (tmp_path / "web2").exists()


def test_keras_saved_model_and_hub_directories_to_graph(tmp_path):
    """tf_keras' `model.save(dir)` (--input_format keras_saved_model), then the same directory as a
    local Hub module (--input_format tf_hub); and a Keras SavedModel written from a TF.js model."""
    import tf_keras
    tf_keras.utils.set_random_seed(3)
    model = tf_keras.Sequential([tf_keras.Input((6,)), tf_keras.layers.Dense(4, activation="tanh"),
                                 tf_keras.layers.Dense(2)])
    model.save(tmp_path / "sm", save_format="tf")
    for fmt in ("keras_saved_model", "tf_hub"):
        convert(tmp_path / "sm", tmp_path / fmt, input_format=fmt, output_format="tfjs_graph_model",
                use_structured_outputs_names=fmt == "tf_hub")
        report = verify(tmp_path / "sm", tmp_path / fmt)
        assert report.ok and report.backend == "tensorflow", report.table()
    # --use_structured_outputs_names: TF.js's predict() returns {output key: tensor}
    keys = read_model_dir(tmp_path / "tf_hub").model_json["userDefinedMetadata"]["structuredOutputKeys"]
    script = ("const tf = require('@tensorflow/tfjs-node');"
              f"tf.loadGraphModel('file://{tmp_path / 'tf_hub' / 'model.json'}').then((m) => {{"
              "const y = m.predict(tf.ones([2, 6])); console.log(JSON.stringify(Object.keys(y)));});")
    run = parity.run_js(["-e", script], cwd=tmp_path)
    assert run.returncode == 0 and json.loads(run.stdout.strip().splitlines()[-1]) == keys, run.stdout + run.stderr
    # The Layers format, through tf_keras (the official keras_saved_model -> tfjs_layers_model)
    refused = run_cli("convert", str(tmp_path / "sm"), str(tmp_path / "layers"))
    assert_one_line_error(refused, "--input_format keras_saved_model")
    convert(tmp_path / "sm", tmp_path / "layers", input_format="keras_saved_model")
    x = np.random.default_rng(1).normal(size=(3, 6)).astype("float32")
    case = parity.write_case(tmp_path / "case", tmp_path / "layers" / "model.json", [x], [model.predict(x, verbose=0)],
                             name="keras_saved_model", input_names=["input"], output_names=["output"],
                             atol=1e-5, rtol=1e-5, why="float32")
    run = parity.run_node_tests(case)
    assert run.returncode == 0, run.stdout + run.stderr
    parity.assert_within_bounds(parity.read_result(case))


def test_tf1_hub_module_directory_to_graph(tmp_path):
    """A TF1 Hub-format module (tfhub_module.pb; an untagged MetaGraph with a "default" signature,
    what hub.load picks): detected, and converted with those defaults."""
    import tensorflow as tf
    graph = tf.Graph()
    module = tmp_path / "module"
    with graph.as_default():
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        w = tf.compat.v1.get_variable("w", initializer=np.arange(12, dtype="float32").reshape(4, 3) / 10)
        y = tf.nn.relu(tf.matmul(x, w) - 0.5, name="y")
        with tf.compat.v1.Session() as session:
            session.run(tf.compat.v1.global_variables_initializer())
            builder = tf.compat.v1.saved_model.Builder(str(module))
            signature = tf.compat.v1.saved_model.predict_signature_def({"default": x}, {"default": y})
            builder.add_meta_graph_and_variables(session, [], signature_def_map={"default": signature})
            builder.save()
    (module / "tfhub_module.pb").write_bytes(b"\x08\x03")  # ModuleDef{format: 3}, as Hub writes it
    summary = convert(module, tmp_path / "web", output_format="tfjs_graph_model")
    assert summary.input_format == "tf_hub"
    report = verify(module, tmp_path / "web", signature_name="default", saved_model_tags=())
    assert report.ok and report.backend == "tensorflow", report.table()


def test_tfjs_model_and_keras_file_to_keras_saved_model(tmp_path, trained):
    model_dir, inputs, expected = trained["lstm_default"]
    convert(model_dir, tmp_path / "sm", output_format="keras_saved_model")
    import tf_keras
    _assert_close(_predict(tf_keras.models.load_model(tmp_path / "sm", compile=False), inputs), expected)
    # the official's keras -> keras_saved_model: a tf_keras .h5
    tf_keras.utils.set_random_seed(4)
    model = tf_keras.Sequential([tf_keras.Input((5,)), tf_keras.layers.Dense(3, activation="relu"),
                                 tf_keras.layers.BatchNormalization(), tf_keras.layers.Dense(2)])
    model.save(tmp_path / "m.h5")
    convert(tmp_path / "m.h5", tmp_path / "sm2", input_format="keras", output_format="keras_saved_model")
    x = np.random.default_rng(2).normal(size=(4, 5)).astype("float32")
    _assert_close(_predict(tf_keras.models.load_model(tmp_path / "sm2", compile=False), [x]), [model.predict(x)])


def test_keras_output_file_is_never_clobbered(tmp_path, trained):
    model_dir, _, _ = trained["cnn_lstm"]
    mine = tmp_path / "notes.keras"
    mine.write_text("my notes")
    assert_one_line_error(run_cli("convert", str(model_dir), str(mine), "--output_format", "keras_keras"),
                          "output file exists", "--overwrite")
    assert_one_line_error(run_cli("convert", str(model_dir), str(mine), "--output_format", "keras_keras",
                                  "--overwrite"), "not a Keras model file")
    assert mine.read_text() == "my notes"
    with pytest.raises(ConversionError, match="applies to TF.js outputs"):
        convert(model_dir, tmp_path / "q.h5", output_format="keras", quantize_uint8=None)
    assert not (tmp_path / "q.h5").exists()


def test_official_options_accepted(tmp_path, trained):
    """--version, --quantization_bytes, --strip_debug_ops, --control_flow_v2, --metadata KEY:FILE, --json."""
    version = run_cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("tfjs-export ")
    model_dir, _, _ = trained["cnn_lstm"]
    (tmp_path / "extra.json").write_text('{"author": "me"}')
    result = run_cli("convert", str(model_dir), str(tmp_path / "web"), "--quantization_bytes", "2",
                     "--metadata=about:" + str(tmp_path / "extra.json"), "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    # every weight uint16 but the tiny ones quantization_plan.py keeps float32 (listed in the report)
    kept = report["kept_float32"]
    assert report["quantized"] == {"uint16": report["tensors"] - len(kept)} and report["output_format"] == "tfjs_layers_model"
    assert kept and all(reason.startswith("tiny") for _, reason in kept)
    assert read_model_dir(tmp_path / "web").model_json["userDefinedMetadata"] == {"about": {"author": "me"}}
    assert_one_line_error(run_cli("convert", str(model_dir), str(tmp_path / "g"), "--output_format",
                                  "tfjs_graph_model", "--control_flow_v2", "True"), "--control_flow_v2 True")
    kept = run_cli("convert", str(model_dir), str(tmp_path / "g2"), "--strip_debug_ops", "False")
    assert kept.returncode == 0 and "removed anyway" in kept.stderr
