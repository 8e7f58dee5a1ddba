"""The SavedModel reader that needs no `import tensorflow`: tensor_bundle.py (checkpoint),
tensors.py (TensorProto <-> numpy), saved_model.py (freezing), and grappler's set-aside constants.
TensorFlow's own reader, make_ndarray and freezing are the references."""

import os
import subprocess
import sys

import numpy as np
import pytest

from tfjs_export.converter.errors import ConversionError
from tfjs_export.converter.graph import grappler
from tfjs_export.converter.graph.freeze import TensorInfo, freeze
from tfjs_export.converter.graph.load import load_function
from tfjs_export.converter.graph.saved_model import NotFreezable, freeze_saved_model
from tfjs_export.converter.graph.tensor_bundle import TensorBundle
from tfjs_export.converter.graph.tensors import to_numpy, to_tensor_proto
from tfjs_export.converter.graph.tests.conftest import ops_of, run_graph

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
VALUES = {"f32": np.arange(12, dtype=np.float32).reshape(3, 4) / 7, "f16": np.array([1.5, -2.25], np.float16),
          "f64": np.array(np.pi), "i64": np.array([2 ** 40, -3]), "i32": np.array([[7]], np.int32),
          "u8": np.arange(5, dtype=np.uint8), "b": np.array([True, False, True]),
          "s": np.array([b"tf", b"", b"js\x00"], dtype=object), "empty": np.zeros((0, 3), np.float32),
          "c64": np.array([1 + 2j, -0.5j, 3], np.complex64)}


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    import tensorflow as tf
    variables = {k: tf.Variable(v if k != "s" else [x for x in v]) for k, v in VALUES.items()}
    prefix = tf.train.Checkpoint(**variables).write(str(tmp_path_factory.mktemp("ckpt") / "ckpt"))
    return prefix


def test_bundle_reads_what_tensorflow_reads(checkpoint):
    import tensorflow as tf
    reader = tf.train.load_checkpoint(checkpoint)
    bundle = TensorBundle(checkpoint)
    assert set(bundle.entries) == set(reader.get_variable_to_shape_map())
    for key in bundle.entries:
        ours, theirs = bundle.array(key), reader.get_tensor(key)
        if ours.dtype == object:
            assert list(ours.reshape(-1)) == list(np.asarray(theirs, dtype=object).reshape(-1))
        else:
            assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
            assert ours.tobytes() == theirs.tobytes()


@pytest.mark.parametrize("damage, message", [
    (lambda p: open(p + ".index", "r+b").truncate(20), "bad table magic"),
    (lambda p: open(p + ".data-00000-of-00001", "r+b").truncate(8), "outside its data file"),
    (lambda p: os.remove(p + ".index"), "cannot read the checkpoint index"),
])
def test_damaged_bundle_is_a_conversion_error(checkpoint, tmp_path, damage, message):
    import shutil
    folder = os.path.dirname(checkpoint)
    for name in os.listdir(folder):
        shutil.copy(os.path.join(folder, name), tmp_path / name)
    prefix = str(tmp_path / os.path.basename(checkpoint))
    damage(prefix)
    with pytest.raises(ConversionError, match=message):
        bundle = TensorBundle(prefix)
        for key in bundle.entries:
            bundle.array(key)


@pytest.mark.parametrize("name", sorted(VALUES))
def test_tensor_protos_round_trip_like_tensorflow(name):
    import tensorflow as tf
    value = VALUES[name]
    ours = to_numpy(tf.make_tensor_proto(value))  # TF's encoding, our decoding
    theirs = tf.make_ndarray(to_tensor_proto(value))  # and the other way round
    for array in (ours, theirs):
        assert array.shape == value.shape
        assert list(np.asarray(array).reshape(-1)) == list(value.reshape(-1))
    splat = tf.make_tensor_proto(7.0, shape=[2, 3])  # one float_val filling the shape
    assert to_numpy(splat).tolist() == [[7.0] * 3] * 2
    pairs = tf.make_tensor_proto(1 - 2j, dtype=tf.complex64, shape=[2])  # scomplex_val: (re, im) pairs
    assert not pairs.tensor_content and to_numpy(pairs).tolist() == [1 - 2j, 1 - 2j]


def test_complex64_variable_is_stored_as_a_complex64_weight(tmp_path):
    """A complex64 variable in a SavedModel's checkpoint becomes a complex64 weight (TF.js reads
    (re, im) float32 pairs) and the written graph computes what the SavedModel computes."""
    import json

    import tensorflow as tf

    from tfjs_export.converter import convert
    from tfjs_export.converter.graph.reference import run_written_graph_model
    from tools.testing import wild_models
    source, out = str(tmp_path / "complex"), str(tmp_path / "web")
    wild_models.save_complex_variable(source)
    convert(source, out, output_format="tfjs_graph_model")
    manifest = json.load(open(os.path.join(out, "model.json")))["weightsManifest"][0]["weights"]
    assert [w["dtype"] for w in manifest if w["shape"] == [9]] == ["complex64"]
    signal = np.random.default_rng(3).normal(size=(2, 16)).astype("float32")
    theirs = tf.saved_model.load(source).signatures["serving_default"](signal=tf.constant(signal))
    for ours, key in zip(run_written_graph_model(out, [signal]), sorted(theirs)):
        np.testing.assert_allclose(ours, theirs[key].numpy(), rtol=1e-5, atol=1e-5)


def _fetch_and_feeds(frozen, rng):
    feeds = {i.name: rng.normal(size=[d or 3 for d in i.shape]).astype("float32") for i in frozen.inputs}
    return [o.name for o in frozen.outputs], feeds


@pytest.mark.parametrize("model", ["two_in_two_out_saved_model", "while_loop"])
def test_freezing_matches_tensorflows(model_files, rng, model):
    ours, generated_by = freeze_saved_model(model_files[model])
    theirs = freeze(load_function(model_files[model], "tf_saved_model"))
    assert generated_by.startswith("TensorFlow 2.")
    assert [(i.key, i.dtype, i.shape) for i in ours.inputs] == [(i.key, i.dtype, i.shape) for i in theirs.inputs]
    # Output shapes may differ: ours come from the SignatureDef, TF's frozen loop output has none.
    assert [(o.key, o.dtype) for o in ours.outputs] == [(o.key, o.dtype) for o in theirs.outputs]
    assert not {"VarHandleOp", "ReadVariableOp", "ResourceGather"} & set(ops_of(ours.graph_def))
    assert sum(n.op == "Placeholder" for n in ours.graph_def.node) == len(ours.inputs)
    fetch, feeds = _fetch_and_feeds(ours, rng)
    theirs_feeds = {t.name: feeds[o.name] for o, t in zip(ours.inputs, theirs.inputs)}
    for a, b in zip(run_graph(ours.graph_def, feeds, fetch),
                    run_graph(theirs.graph_def, theirs_feeds, [o.name for o in theirs.outputs])):
        np.testing.assert_array_equal(a, b)
    if model == "while_loop":
        assert {"Enter", "Exit", "Merge", "Switch", "NextIteration"} <= set(ops_of(ours.graph_def))


def test_saved_model_without_object_graph_is_left_to_tensorflow(tmp_path):
    import tensorflow as tf
    path = str(tmp_path / "tf1")
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        x = tf.compat.v1.placeholder(tf.float32, [None, 2], name="x")
        w = tf.compat.v1.get_variable("w", initializer=[[1.0], [2.0]])
        y = tf.matmul(x, w, name="y")
        session.run(tf.compat.v1.global_variables_initializer())
        tf.compat.v1.saved_model.simple_save(session, path, {"x": x}, {"y": y})
    with pytest.raises(NotFreezable, match="no object graph"):
        freeze_saved_model(path)


def test_saved_model_conversion_never_imports_tensorflow(model_files, tmp_path):
    """The point of this reader: TF's Python API (5 s, 550 MB) stays out of the process, and a
    real `import tensorflow` afterwards (verify does one) still works."""
    script = ("import sys; from tfjs_export.converter import convert; "
              "convert(sys.argv[1], sys.argv[2], output_format='tfjs_graph_model'); "
              "print('tensorflow' in sys.modules, 'keras' in sys.modules); "
              "import tensorflow as tf; print(float(tf.reduce_sum(tf.ones([3]))))")
    out = subprocess.run([sys.executable, "-c", script, model_files["two_in_two_out_saved_model"],
                          str(tmp_path / "web")], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False", "3.0"]


def test_grappler_sets_big_constants_aside_and_restores_them_exactly(rng):
    import tensorflow as tf
    weights = rng.normal(size=(64, 32)).astype("float32")  # 8 KB > LARGE_CONSTANT_BYTES
    with tf.Graph().as_default() as graph:
        x = tf.compat.v1.placeholder(tf.float32, [None, 64], name="x")
        w = tf.constant(weights, name="w")
        tf.identity(tf.nn.relu(tf.matmul(x, w) * tf.constant(1.0)), name="y")
    graph_def = graph.as_graph_def()
    inputs, outputs = [TensorInfo("x", "x:0", 1, [None, 64])], [TensorInfo("y", "y:0", 1, [None, 32])]
    optimized = grappler.optimize(graph_def, inputs, outputs)
    restored = {n.name: n for n in optimized.node}["w"]
    assert restored.op == "Const"
    assert restored.attr["value"].tensor.tensor_content == weights.tobytes()
    assert "Mul" not in ops_of(optimized)  # grappler still simplified around the set-aside weight
    feeds = {"x:0": rng.normal(size=(2, 64)).astype("float32")}
    np.testing.assert_allclose(run_graph(optimized, feeds, ["y:0"])[0], run_graph(graph_def, feeds, ["y:0"])[0],
                               rtol=1e-6)


def test_second_signature_gathers_int_variables_and_captured_constants(tmp_path, rng):
    """Two signatures of one tf.Module: an embedding lookup straight on a variable
    (ResourceGather), an int variable, and a tensor captured by value (a `constant` object)."""
    import tensorflow as tf

    class Module(tf.Module):
        def __init__(self):
            super().__init__()
            self.table = tf.Variable(rng.normal(size=(10, 4)).astype("float32"))
            self.w = tf.Variable(rng.normal(size=(4, 3)).astype("float32"))
            self.scale = tf.constant(rng.normal(size=(3,)).astype("float32"))
            self.steps = tf.Variable(2)

        @tf.function(input_signature=[tf.TensorSpec([None, 5], tf.int32, name="ids")])
        def embed(self, ids):
            pooled = tf.reduce_mean(tf.nn.embedding_lookup(self.table, ids), axis=1)
            return {"pooled": pooled @ self.w * tf.cast(self.steps, tf.float32)}

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def project(self, x):
            return {"y": tf.matmul(x, self.w) * self.scale}

    module, path = Module(), str(tmp_path / "two_signatures")
    tf.saved_model.save(module, path, signatures={"serving_default": module.embed, "project": module.project})
    feeds = {"serving_default": {"ids": rng.integers(0, 10, size=(3, 5)).astype("int32")},
             "project": {"x": rng.normal(size=(3, 4)).astype("float32")}}
    for name, function in (("serving_default", module.embed), ("project", module.project)):
        frozen, _ = freeze_saved_model(path, name)
        assert "ResourceGather" not in ops_of(frozen.graph_def)
        expected = {k: v.numpy() for k, v in function(**feeds[name]).items()}
        got = run_graph(frozen.graph_def, {i.name: feeds[name][i.key] for i in frozen.inputs},
                        [o.name for o in frozen.outputs])
        for output, value in zip(frozen.outputs, got):
            np.testing.assert_allclose(value, expected[output.key], rtol=1e-6)
