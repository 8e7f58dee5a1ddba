"""Models that broke the Graph format "in the wild", built in code with fixed seeds (tests only).

Each builder saves one model the way its author would (a `.keras`, a `.h5`, a SavedModel) under
`folder` and returns a `Source`: the file to convert, inputs keyed by signature name and
TensorFlow's own outputs keyed by signature name. `SOURCES` maps case names to builders; the
symptom each one reproduces is in its docstring.
"""

import dataclasses
import os

import numpy as np


@dataclasses.dataclass
class Source:
    path: str
    inputs: dict  # signature key -> array
    outputs: dict  # signature key -> TensorFlow's output


def _keras_source(model, path, inputs, save=None):
    """Save a Keras 3 model, load it back as a user has it, and run it."""
    import keras

    from tfjs_export.converter.graph.load import keras_output_keys
    (save or model.save)(path)
    loaded = keras.saving.load_model(path, safe_mode=False)
    return _run_keras(loaded, path, inputs, keras_output_keys(loaded))


def _run_keras(model, path, inputs, output_keys):
    names = [t.name.split(":")[0] for t in model.inputs]
    feed = [inputs[n] for n in names]
    outputs = model(feed if len(feed) > 1 else feed[0], training=False)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return Source(path, inputs, {k: np.asarray(o) for k, o in zip(output_keys, outputs)})


def _saved_model_source(path, inputs):
    """TensorFlow's own output of a SavedModel's serving signature."""
    import tensorflow as tf
    function = tf.saved_model.load(path).signatures["serving_default"]
    outputs = function(**{k: tf.constant(v) for k, v in inputs.items()})
    return Source(path, inputs, {k: v.numpy() for k, v in outputs.items()})


def _tokens(batch=2, steps=20, vocab=200, seed=0, zeros=0):
    tokens = np.random.default_rng(seed).integers(1, vocab, (batch, steps)).astype("int32")
    if zeros:
        tokens[:, -zeros:] = 0  # padding, for masking
    return tokens


def _sequence(batch=2, steps=7, features=3, seed=1):
    return np.random.default_rng(seed).normal(size=(batch, steps, features)).astype("float32")


# --- recurrent layers -------------------------------------------------------------------------

def _lstm_text():
    """Keras 3 Sequential([Input((20,), int32), Embedding(200, 16), LSTM(16), Dense(3)]): TF.js
    failed with `Cannot compute the outputs [Identity] ... TensorArrayV2Stack/TensorListStack`
    (the kernel read through an Identity in the loop body, computed in iteration 0 only)."""
    import keras
    keras.utils.set_random_seed(3)
    return keras.Sequential([keras.Input((20,), dtype="int32", name="tokens"), keras.layers.Embedding(200, 16),
                             keras.layers.LSTM(16), keras.layers.Dense(3)], name="lstm_text")


def lstm_text_keras(folder):
    return _keras_source(_lstm_text(), os.path.join(folder, "lstm_text.keras"), {"tokens": _tokens()})


def lstm_text_h5(folder):
    return _keras_source(_lstm_text(), os.path.join(folder, "lstm_text.h5"), {"tokens": _tokens()})


def lstm_text_saved_model(folder):
    path = os.path.join(folder, "lstm_text_saved_model")
    _lstm_text().export(path, verbose=False)
    return _saved_model_source(path, {"tokens": _tokens()})


def _recurrent_model(name, body, steps=7, features=3, seed=4):
    import keras
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((steps, features), name="sequence")
    return keras.Model(inputs, body(keras.layers, inputs), name=name)


def gru_keras(folder):
    """Keras 3 GRU (reset_after=True) -> Dense."""
    model = _recurrent_model("gru", lambda L, x: L.Dense(2)(L.GRU(5)(x)))
    return _keras_source(model, os.path.join(folder, "gru.keras"), {"sequence": _sequence()})


def simple_rnn_keras(folder):
    """Keras 3 SimpleRNN -> Dense."""
    model = _recurrent_model("simple_rnn", lambda L, x: L.Dense(2)(L.SimpleRNN(5)(x)))
    return _keras_source(model, os.path.join(folder, "simple_rnn.keras"), {"sequence": _sequence()})


def lstm_states_keras(folder):
    """Keras 3 LSTM(return_sequences, return_state, go_backwards): three outputs."""
    def body(L, x):
        seq, h, c = L.LSTM(4, return_sequences=True, return_state=True, go_backwards=True, name="lstm")(x)
        return [L.Identity(name="seq")(seq), L.Identity(name="h")(h), L.Identity(name="c")(c)]
    model = _recurrent_model("lstm_states", body)
    return _keras_source(model, os.path.join(folder, "lstm_states.keras"), {"sequence": _sequence()})


def stacked_keras(folder):
    """Keras 3 LSTM(return_sequences) -> GRU(go_backwards) -> SimpleRNN -> Dense, stacked."""
    def body(L, x):
        x = L.LSTM(6, return_sequences=True)(x)
        x = L.GRU(5, return_sequences=True, go_backwards=True)(x)
        return L.Dense(2)(L.SimpleRNN(4)(x))
    model = _recurrent_model("stacked", body)
    return _keras_source(model, os.path.join(folder, "stacked.keras"), {"sequence": _sequence()})


def masked_keras(folder):
    """Keras 3 Embedding(mask_zero=True) -> LSTM, and Masking -> GRU: masked steps keep state."""
    import keras
    keras.utils.set_random_seed(5)
    tokens = keras.Input((12,), dtype="int32", name="tokens")
    a = keras.layers.LSTM(6)(keras.layers.Embedding(50, 8, mask_zero=True)(tokens))
    seq = keras.Input((12, 3), name="sequence")
    b = keras.layers.GRU(4)(keras.layers.Masking(0.0)(seq))
    model = keras.Model([tokens, seq], keras.layers.Dense(2, name="out")(keras.layers.Concatenate()([a, b])),
                        name="masked")
    values = _sequence(steps=12, seed=6)
    values[:, -4:, :] = 0.0
    inputs = {"tokens": _tokens(steps=12, vocab=50, zeros=3), "sequence": values}
    return _keras_source(model, os.path.join(folder, "masked.keras"), inputs)


def bidirectional_lstm_keras(folder):
    """Keras 3 Bidirectional(LSTM) -> Dense."""
    model = _recurrent_model("bidirectional_lstm", lambda L, x: L.Dense(2)(L.Bidirectional(L.LSTM(4))(x)))
    return _keras_source(model, os.path.join(folder, "bidirectional_lstm.keras"), {"sequence": _sequence()})


def variable_length_keras(folder):
    """Keras 3 GRU over a sequence of any length (Input((None, 3))), and an unrolled LSTM."""
    import keras
    keras.utils.set_random_seed(8)
    sequence = keras.Input((None, 3), name="sequence")
    fixed = keras.Input((4, 3), name="fixed")
    a = keras.layers.GRU(5)(sequence)
    b = keras.layers.LSTM(4, unroll=True)(fixed)
    model = keras.Model([sequence, fixed], keras.layers.Dense(2, name="out")(keras.layers.Concatenate()([a, b])))
    inputs = {"sequence": _sequence(steps=9, seed=9), "fixed": _sequence(steps=4, seed=10)}
    return _keras_source(model, os.path.join(folder, "variable_length.keras"), inputs)


def conv_lstm_keras(folder):
    """Keras 3 ConvLSTM2D over a short sequence of small images."""
    import keras
    keras.utils.set_random_seed(9)
    frames = keras.Input((3, 6, 6, 2), name="frames")
    x = keras.layers.ConvLSTM2D(4, 3, padding="same")(frames)
    model = keras.Model(frames, keras.layers.Dense(2, name="out")(keras.layers.GlobalAveragePooling2D()(x)))
    clip = np.random.default_rng(11).normal(size=(2, 3, 6, 6, 2)).astype("float32")
    return _keras_source(model, os.path.join(folder, "conv_lstm.keras"), {"frames": clip})


def tf_keras_recurrent_h5(folder):
    """tf_keras LSTM(return_sequences) -> GRU -> Dense and a SimpleRNN branch, as a Keras 2 .h5."""
    import tf_keras
    tf_keras.utils.set_random_seed(7)
    inputs = tf_keras.Input((7, 3), name="sequence")
    a = tf_keras.layers.GRU(5)(tf_keras.layers.LSTM(6, return_sequences=True)(inputs))
    b = tf_keras.layers.SimpleRNN(3, go_backwards=True)(inputs)
    model = tf_keras.Model(inputs, tf_keras.layers.Dense(2, name="out")(tf_keras.layers.Concatenate()([a, b])))
    path = os.path.join(folder, "tf_keras_recurrent.h5")
    model.save(path)
    return _run_keras(tf_keras.models.load_model(path), path, {"sequence": _sequence()}, ["out"])


def nested_while_saved_model(folder):
    """A tf.Module with three int32 scalar inputs, two nested tf.while_loops and a tf.cond: TF.js
    failed with `Cannot compute the outputs [output_0] from the provided inputs [x:0,y:0,z:0]`
    (the inner loop's counter entered from a constant, fired once outside the outer loop)."""
    import tensorflow as tf

    class Nested(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.int32, name=n) for n in "xyz"])
        def __call__(self, x, y, z):
            def outer(i, acc):
                def inner(j, acc):
                    acc = tf.cond(tf.equal((i + j) % 2, 0), lambda: acc + i * j, lambda: acc - z)
                    return j + 1, acc
                _, acc = tf.while_loop(lambda j, a: j < y, inner, [0, acc])
                return i + 1, acc
            return tf.while_loop(lambda i, a: i < x, outer, [0, tf.constant(0)])[1]

    path = os.path.join(folder, "nested_while")
    module = Nested()
    tf.saved_model.save(module, path, signatures={"serving_default": module.__call__})
    inputs = {"x": np.array(3, np.int32), "y": np.array(4, np.int32), "z": np.array(2, np.int32)}
    return _saved_model_source(path, inputs)


SOURCES = {
    "lstm_text_keras": lstm_text_keras,
    "lstm_text_h5": lstm_text_h5,
    "lstm_text_saved_model": lstm_text_saved_model,
    "gru_keras": gru_keras,
    "simple_rnn_keras": simple_rnn_keras,
    "lstm_states_keras": lstm_states_keras,
    "stacked_keras": stacked_keras,
    "masked_keras": masked_keras,
    "bidirectional_lstm_keras": bidirectional_lstm_keras,
    "tf_keras_recurrent_h5": tf_keras_recurrent_h5,
    "variable_length_keras": variable_length_keras,
    "conv_lstm_keras": conv_lstm_keras,
    "nested_while_saved_model": nested_while_saved_model,
}


# --- debugging ops ----------------------------------------------------------------------------

def keras2_assert_saved_model(folder):
    """A Keras 2 (tf_keras) functional model with batch norms and a custom layer calling
    tf.debugging.assert_equal, saved as a SavedModel: refused with `ops not supported by TF.js
    4.22: Assert` (and `_FusedBatchNormEx` from our own grappler run)."""
    import tensorflow as tf
    import tf_keras

    class CheckedScale(tf_keras.layers.Layer):
        def call(self, x):
            tf.debugging.assert_equal(tf.shape(x)[-1], 6, message="six channels")
            tf.debugging.assert_all_finite(x, "finite")
            return x * 0.5

    tf_keras.utils.set_random_seed(8)
    inputs = tf_keras.Input((8, 8, 3), name="image")
    x = tf_keras.layers.Conv2D(6, 3)(inputs)
    x = tf_keras.layers.BatchNormalization()(x)
    x = tf_keras.layers.Activation("relu")(x)
    x = CheckedScale()(x)
    x = tf_keras.layers.Add()([x, tf_keras.layers.Conv2D(6, 1)(x)])
    x = tf_keras.layers.BatchNormalization()(x)
    x = tf_keras.layers.Activation("relu")(x)
    outputs = tf_keras.layers.Dense(3, name="scores")(tf_keras.layers.GlobalAveragePooling2D()(x))
    model = tf_keras.Model(inputs, outputs)
    _randomise_batch_norms(model)
    path = os.path.join(folder, "keras2_assert_saved_model")
    model.save(path, save_format="tf")
    image = np.random.default_rng(9).normal(size=(2, 8, 8, 3)).astype("float32")
    return _saved_model_source(path, {"image": image})


def _randomise_batch_norms(model):
    rng = np.random.default_rng(10)
    for layer in model.layers:
        if "BatchNormalization" in type(layer).__name__:
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([rng.normal(1, 0.2, gamma.shape), rng.normal(0, 0.2, beta.shape),
                               rng.normal(0, 0.2, mean.shape), rng.uniform(0.5, 1.5, var.shape)])


def tf_keras_center_crop_h5(folder):
    """tf_keras CenterCrop (Assert nodes inside cond branches) -> Conv2D, as a Keras 2 .h5."""
    import tf_keras
    tf_keras.utils.set_random_seed(11)
    inputs = tf_keras.Input((10, 10, 3), name="image")
    x = tf_keras.layers.CenterCrop(6, 6)(inputs)
    outputs = tf_keras.layers.GlobalAveragePooling2D(name="pooled")(tf_keras.layers.Conv2D(4, 3)(x))
    model = tf_keras.Model(inputs, outputs)
    path = os.path.join(folder, "tf_keras_center_crop.h5")
    model.save(path)
    image = np.random.default_rng(12).normal(size=(2, 10, 10, 3)).astype("float32")
    return _run_keras(tf_keras.models.load_model(path), path, {"image": image}, ["pooled"])


def debug_ops_saved_model(folder):
    """A tf.Module with asserts, tf.print, check_numerics and assert-guarded control edges at top
    level, inside a tf.cond branch and inside a tf.while_loop body."""
    import tensorflow as tf

    class Debugged(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def __call__(self, x):
            tf.debugging.assert_rank(x, 2)
            x = tf.debugging.check_numerics(x, "x")
            tf.print("x:", tf.reduce_sum(x))

            def positive():
                tf.debugging.assert_greater_equal(tf.reduce_sum(tf.abs(x)), 0.0)
                with tf.control_dependencies([tf.debugging.assert_all_finite(x, "x")]):
                    return x * 2.0

            y = tf.cond(tf.reduce_sum(x) > 0, positive, lambda: x - 1.0)

            def body(i, acc):
                tf.debugging.assert_less(i, 10)
                tf.print("step", i)
                return i + 1, acc + tf.math.tanh(acc)

            _, y = tf.while_loop(lambda i, a: i < 3, body, [0, y])
            return {"y": tf.debugging.check_numerics(y, "y")}

    path = os.path.join(folder, "debug_ops")
    module = Debugged()
    tf.saved_model.save(module, path, signatures={"serving_default": module.__call__})
    x = np.random.default_rng(13).normal(size=(3, 4)).astype("float32")
    return _saved_model_source(path, {"x": x})


SOURCES.update({
    "keras2_assert_saved_model": keras2_assert_saved_model,
    "tf_keras_center_crop_h5": tf_keras_center_crop_h5,
    "debug_ops_saved_model": debug_ops_saved_model,
})


# --- normalisation ----------------------------------------------------------------------------

def tf_keras_layer_norm_h5(folder):
    """tf_keras MultiHeadAttention -> Add -> LayerNormalization -> Dense, as a Keras 2 .h5: TF.js
    failed at predict with `scale must have the same number of elements as the channels of x, got
    12 and 1` (tf_keras lowers layer norm onto a training-mode, NCHW FusedBatchNormV3)."""
    import tf_keras
    tf_keras.utils.set_random_seed(14)
    inputs = tf_keras.Input((5, 12), name="tokens")
    x = tf_keras.layers.MultiHeadAttention(2, 6)(inputs, inputs)
    x = tf_keras.layers.LayerNormalization(epsilon=1e-5)(tf_keras.layers.Add()([inputs, x]))
    x = tf_keras.layers.LayerNormalization(axis=[1, 2])(x)  # over two axes: the fused path too
    outputs = tf_keras.layers.Dense(3, name="out")(x)
    model = tf_keras.Model(inputs, outputs)
    _randomise_norm_weights(model)
    path = os.path.join(folder, "tf_keras_layer_norm.h5")
    model.save(path)
    return _run_keras(tf_keras.models.load_model(path), path, {"tokens": _sequence(steps=5, features=12, seed=15)},
                      ["out"])


def _randomise_norm_weights(model, seed=16):
    """Non-trivial gammas/betas (Keras initialises them to 1 and 0, which hides a swapped axis)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if "Normalization" in type(layer).__name__:
            values = layer.get_weights()
            fresh = [rng.normal(1 if i == 0 else 0, 0.3, v.shape).astype(v.dtype) for i, v in enumerate(values)]
            if "BatchNormalization" in type(layer).__name__:
                fresh[3] = rng.uniform(0.5, 1.5, values[3].shape).astype(values[3].dtype)  # variance
            layer.set_weights(fresh)


def _norms(L, x, rms=True):
    x = L.Conv2D(8, 3)(x)
    x = L.BatchNormalization()(L.Activation("relu")(x))  # not after a conv: not folded
    x = L.GroupNormalization(groups=4)(x)
    x = L.LayerNormalization(axis=-1)(x)
    x = L.UnitNormalization(axis=-1)(x)
    if rms:
        x = L.RMSNormalization()(x)
    return L.Dense(3, name="out")(L.GlobalAveragePooling2D()(x))


def keras3_norms_keras(folder):
    """Keras 3 BatchNormalization (inference), GroupNormalization, LayerNormalization,
    UnitNormalization and RMSNormalization in one model."""
    import keras
    keras.utils.set_random_seed(17)
    inputs = keras.Input((6, 6, 3), name="image")
    model = keras.Model(inputs, _norms(keras.layers, inputs), name="norms")
    _randomise_norm_weights(model)
    image = np.random.default_rng(18).normal(size=(2, 6, 6, 3)).astype("float32")
    return _keras_source(model, os.path.join(folder, "norms.keras"), {"image": image})


def tf_keras_norms_h5(folder):
    """The same normalisation layers from tf_keras (no RMSNormalization there), as a Keras 2 .h5."""
    import tf_keras
    tf_keras.utils.set_random_seed(19)
    inputs = tf_keras.Input((6, 6, 3), name="image")
    model = tf_keras.Model(inputs, _norms(tf_keras.layers, inputs, rms=False))
    _randomise_norm_weights(model)
    path = os.path.join(folder, "tf_keras_norms.h5")
    model.save(path)
    image = np.random.default_rng(20).normal(size=(2, 6, 6, 3)).astype("float32")
    return _run_keras(tf_keras.models.load_model(path), path, {"image": image}, ["out"])


SOURCES.update({
    "tf_keras_layer_norm_h5": tf_keras_layer_norm_h5,
    "keras3_norms_keras": keras3_norms_keras,
    "tf_keras_norms_h5": tf_keras_norms_h5,
})


# --- subclassed models ------------------------------------------------------------------------

def pnet_class():
    """The PNet class of tools/testing/custom_objects/pnet.py (the --custom_objects file), run
    once per process as the CLI runs it."""
    import runpy
    import keras
    registered = keras.saving.get_registered_object("tfjs_export_custom_objects>PNet")
    if registered is None:
        here = os.path.dirname(os.path.abspath(__file__))
        registered = runpy.run_path(os.path.join(here, "custom_objects", "pnet.py"))["PNet"]
    return registered


def _pnet(built):
    import keras
    keras.utils.set_random_seed(21)
    model = pnet_class()()
    if built:
        model(np.zeros((1, 12, 12, 3), np.float32))  # records build_config input_shape (1, 12, 12, 3)
    return model


def subclassed_pnet_keras(folder):
    """A Keras 3 `class PNet(keras.Model)` saved as .keras: Graph conversion died with
    `AttributeError: 'PNet' object has no attribute 'inputs'`; now traced with the shape Keras
    recorded in build_config."""
    import keras
    path = os.path.join(folder, "pnet.keras")
    _pnet(built=True).save(path)
    loaded = keras.saving.load_model(path)
    image = np.random.default_rng(22).normal(size=(1, 12, 12, 3)).astype("float32")
    outputs = loaded(image)
    return Source(path, {"inputs": image}, {k: np.asarray(v) for k, v in outputs.items()})


def unbuilt_pnet_keras(folder):
    """PNet saved before it was called on data: its file records no input shape."""
    path = os.path.join(folder, "pnet_unbuilt.keras")
    _pnet(built=False).save(path)
    return path


SOURCES["subclassed_pnet_keras"] = subclassed_pnet_keras
