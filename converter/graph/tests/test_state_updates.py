"""state_updates: a variable write no output of the call can see is dropped before freezing
(Keras 3 RNN dropout's SeedGenerator step); a write an output reads after is kept. Outputs are
checked in TensorFlow; the Keras 3 CTC OCR cells of runtime_tests/wild_graph_parity_test.py run
such a model in tfjs-node."""

import numpy as np

from tfjs_export.converter.graph import state_updates
from tfjs_export.converter.graph.grappler import inline_functions
from tfjs_export.converter.graph.tests.conftest import ops_of

_WRITES = set(state_updates.WRITES)


def _inlined(module):
    """(inlined GraphDef of module.__call__, capture placeholder names, output names)."""
    function = module.__call__.get_concrete_function()
    graph = function.graph
    captures = [internal.op.name for _, internal in graph.captures]
    outputs = [t.name for t in function.outputs]
    graph_def = inline_functions(graph.as_graph_def(), captures + [t.name for t in function.inputs], outputs)
    return graph_def, captures, outputs


def _module(kind):
    import tensorflow as tf

    class Counter(tf.Module):
        def __init__(self):
            self.w = tf.Variable(np.arange(3, dtype="float32"))
            self.seed = tf.Variable(np.array([7, 0], dtype="int64"))
            self.v = tf.Variable(np.ones(3, dtype="float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def __call__(self, x):
            if kind == "unused_seed":  # Keras 3 RNN dropout at inference: a mask made, never used
                tf.random.stateless_uniform([3], seed=self.seed.read_value())
                self.seed.assign_add(np.array([1, 0], dtype="int64"))
                return x * self.w
            if kind == "read_after_write":  # the output sees the write: it must stay
                self.v.assign_add(tf.ones(3))
                return x * self.v.read_value()
            y = x * self.v  # a stateful layer storing its state after computing the output
            self.v.assign(y[0])
            return y

    return Counter()


def test_a_write_no_output_sees_goes_with_its_control_edges():
    for kind in ("unused_seed", "write_after_output"):
        graph_def, captures, outputs = _inlined(_module(kind))
        assert _WRITES & set(ops_of(graph_def)), kind
        assert state_updates.drop_unobserved_updates(graph_def, captures, outputs) == 1, kind
        assert not _WRITES & set(ops_of(graph_def)), kind
        names = {n.name for n in graph_def.node}
        assert all(r.lstrip("^").split(":")[0] in names for n in graph_def.node for r in n.input), kind


def test_a_write_an_output_reads_after_stays():
    graph_def, captures, outputs = _inlined(_module("read_after_write"))
    assert state_updates.drop_unobserved_updates(graph_def, captures, outputs) == 0
    assert "AssignAddVariableOp" in ops_of(graph_def)


def test_keras3_lstm_with_dropout_freezes_and_predicts_like_keras(tmp_path, rng):
    import keras

    from tfjs_export.converter.graph.freeze import freeze
    from tfjs_export.converter.graph.load import load_function
    from tfjs_export.converter.graph.tests.conftest import run_graph
    keras.utils.set_random_seed(4)
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4, dropout=0.3, recurrent_dropout=0.2),
                              keras.layers.Dense(2)])
    path = str(tmp_path / "lstm_dropout.keras")
    model.save(path)
    frozen = freeze(load_function(path, "keras"))
    assert not _WRITES & set(ops_of(frozen.graph_def))
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    ours = run_graph(frozen.graph_def, {frozen.inputs[0].name: x}, [frozen.outputs[0].name])[0]
    np.testing.assert_allclose(ours, model(x, training=False), rtol=1e-5, atol=1e-6)
