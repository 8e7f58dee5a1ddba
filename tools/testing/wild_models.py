"""A corpus of graphs "from the wild" for the Graph path: models built the way their authors build
them, not tuned to our converter. Built in code with fixed seeds (tests and tools only):

- every `keras.applications` family, weights=None, small inputs, from Keras 3 and tf_keras;
- the architectures of the keras.io examples (transformer text classifier, seq2seq LSTM,
  time-series GRU/LSTM, U-Net, VAE decoder, Siamese network, CTC OCR head);
- tf.Module/tf.function SavedModels (asserts, tf.cond, nested tf.while_loop, tf.signal.stft,
  string ops, several signatures, a complex64 variable) and TF1 SavedModels (compat.v1 graph +
  SavedModelBuilder, with and without a hash table);
- mixed_float16 models (Keras 3 and tf_keras) and functional models calling keras.ops.

`MODELS` maps a model name to a WildModel: how to build it, which files it can be saved as
(`sources`) and how to make its sample inputs. `save_source` writes one source file;
wild_cells.py pairs each with a reference (TensorFlow's own outputs).
"""

import dataclasses
from typing import Callable

import numpy as np

from tools.testing import keras_zoo

# Sources a model can be saved as: Keras 3 (SavedModel via model.export, .keras, .h5), tf_keras
# (.h5, SavedModel via model.save), or a SavedModel written by TensorFlow code.
KERAS3_SOURCES = ("saved_model", "keras", "keras3_h5")
TF_KERAS_SOURCES = ("tf_keras_h5", "tf_keras_saved_model")
WORDS = ["the", "cat", "sat", "on", "a", "mat", "dog", "ran", "far", "away", "and", "back"]


@dataclasses.dataclass(frozen=True)
class WildModel:
    """One corpus model. `build()` returns a Keras model (flavour "keras3"/"tf_keras") or, for
    flavour "tf", `build(path)` writes a SavedModel. `int_high`: exclusive bound of int inputs;
    `seq_len`: the length given to unknown non-batch dimensions; `signatures`: the SavedModel
    signatures converted (one cell each); `sample`: optional (key, shape, dtype, rng) -> array."""

    name: str
    flavour: str
    build: Callable
    sources: tuple
    int_high: int = 10
    seq_len: int = 8
    signatures: tuple = ("serving_default",)
    sample: Callable = None
    application: bool = False  # a keras.applications family


def _keras():
    import keras
    return keras


def _tf_keras():
    import tf_keras
    return tf_keras


# --- keras.applications ------------------------------------------------------------------------

# (name, input side, keyword arguments, Keras 3 sources, tf_keras sources). Converting a deep
# Keras file costs 10-60 s here (load, trace, grappler), so each family is saved as one or two of
# its sources, chosen so that every source kind is covered by several families; the small
# MobileNets are saved as every source but Keras 3 .h5: Keras 3 loads a .h5 into the same model
# a .keras gives, so the converter traces the same graph (the .h5 reader itself is covered by
# DenseNet121, ResNet50 and every keras.io example model). The keras.io example models below are
# all saved as every source they can be.
_K3, _TFK = KERAS3_SOURCES[:2], TF_KERAS_SOURCES
_APPLICATIONS = [
    ("ConvNeXtTiny", 32, {}, ("saved_model",), ("tf_keras_saved_model",)),  # its .h5: LayerScale unregistered
    ("DenseNet121", 32, {}, ("keras3_h5",), ("tf_keras_saved_model",)),
    ("EfficientNetB0", 32, {}, ("keras",), ("tf_keras_h5",)),
    ("EfficientNetV2B0", 32, {}, ("saved_model",), ("tf_keras_saved_model",)),
    ("InceptionResNetV2", 75, {}, ("saved_model",), ("tf_keras_h5",)),
    ("InceptionV3", 75, {}, ("keras",), ("tf_keras_h5",)),
    ("MobileNet", 32, {"alpha": 0.25}, _K3, _TFK),
    ("MobileNetV2", 32, {"alpha": 0.35}, _K3, _TFK),
    ("MobileNetV3Small", 32, {"alpha": 0.75}, ("keras", "saved_model"), ("tf_keras_h5",)),
    ("NASNetMobile", 32, {}, ("saved_model",), ("tf_keras_h5",)),
    ("ResNet50", 32, {}, ("keras3_h5",), ("tf_keras_h5",)),
    ("ResNet50V2", 32, {}, ("saved_model",), ("tf_keras_saved_model",)),
    ("VGG16", 32, {"include_top": False, "pooling": "max"}, ("keras",), ("tf_keras_h5",)),
    ("VGG19", 32, {"include_top": False, "pooling": "avg"}, ("saved_model",), ("tf_keras_saved_model",)),
    ("Xception", 71, {}, ("saved_model",), ("tf_keras_h5",)),
]
# Families only tf_keras ships.
_TF_KERAS_ONLY_APPLICATIONS = [("RegNetX002", 32, {}, (), ("tf_keras_h5",)),
                               ("ResNetRS50", 32, {}, (), ("tf_keras_saved_model",))]


def _application(module, cls, side, kwargs, seed):
    def build():
        keras = module()
        keras.utils.set_random_seed(seed)
        options = {"weights": None, "input_shape": (side, side, 3)}
        if kwargs.get("include_top", True):
            options.update(classes=10, classifier_activation=None)
        if cls == "MobileNetV3Small":
            options["include_preprocessing"] = False
        # statistics away from 0/1: a fresh EfficientNet's logits are ~1e-13, proving nothing
        return keras_zoo._mild_randomise(getattr(keras.applications, cls)(**options, **kwargs), seed)
    return build


def _application_models():
    models = []
    for i, (cls, side, kwargs, k3_sources, _) in enumerate(_APPLICATIONS):
        models.append(WildModel(f"k3_{cls.lower()}", "keras3", _application(_keras, cls, side, kwargs, 100 + i),
                                k3_sources, application=True))
    for i, (cls, side, kwargs, _, tfk_sources) in enumerate(_APPLICATIONS + _TF_KERAS_ONLY_APPLICATIONS):
        models.append(WildModel(f"tfk_{cls.lower()}", "tf_keras", _application(_tf_keras, cls, side, kwargs, 200 + i),
                                tfk_sources, application=True))
    return models


# --- keras.io example architectures (Keras 3) ------------------------------------------------------

_custom = {}


def custom_classes():
    """The registered custom layers of the keras.io examples (registered once per process, before
    any saved file holding them is loaded)."""
    if _custom:
        return _custom
    keras = _keras()
    ops, layers = keras.ops, keras.layers

    @keras.saving.register_keras_serializable(package="wild")
    class TokenAndPositionEmbedding(layers.Layer):
        """keras.io text_classification_with_transformer: token + learned position embeddings."""

        def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
            super().__init__(**kwargs)
            self.maxlen, self.vocab_size, self.embed_dim = maxlen, vocab_size, embed_dim
            self.token_emb = layers.Embedding(vocab_size, embed_dim)
            self.pos_emb = layers.Embedding(maxlen, embed_dim)

        def call(self, x):
            positions = ops.arange(0, ops.shape(x)[-1], 1)
            return self.token_emb(x) + self.pos_emb(positions)

        def get_config(self):
            return {**super().get_config(), "maxlen": self.maxlen, "vocab_size": self.vocab_size,
                    "embed_dim": self.embed_dim}

    @keras.saving.register_keras_serializable(package="wild")
    class TransformerBlock(layers.Layer):
        """keras.io text_classification_with_transformer: attention + feed-forward, post-norm."""

        def __init__(self, embed_dim, num_heads, ff_dim, **kwargs):
            super().__init__(**kwargs)
            self.embed_dim, self.num_heads, self.ff_dim = embed_dim, num_heads, ff_dim
            self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
            self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
            self.norm1 = layers.LayerNormalization(epsilon=1e-6)
            self.norm2 = layers.LayerNormalization(epsilon=1e-6)
            self.drop1, self.drop2 = layers.Dropout(0.1), layers.Dropout(0.1)

        def call(self, inputs, training=False):
            attn = self.drop1(self.att(inputs, inputs), training=training)
            out1 = self.norm1(inputs + attn)
            return self.norm2(out1 + self.drop2(self.ffn(out1), training=training))

        def get_config(self):
            return {**super().get_config(), "embed_dim": self.embed_dim, "num_heads": self.num_heads,
                    "ff_dim": self.ff_dim}

    _custom.update(TokenAndPositionEmbedding=TokenAndPositionEmbedding, TransformerBlock=TransformerBlock)
    return _custom


def _randomised(model, seed):
    """Every weight drawn from N(0, 0.3) (variances |.|+0.5): outputs far from zero, trained-like."""
    rng = np.random.default_rng(seed)
    values = []
    for w in model.weights:
        dtype = np.dtype(getattr(w.dtype, "as_numpy_dtype", w.dtype))  # tf_keras: a tf.DType
        value = rng.normal(0, 0.3, tuple(w.shape)).astype(dtype if dtype.kind == "f" else np.float32)
        if "variance" in w.name:
            value = np.abs(value) + 0.5
        values.append(value)
    model.set_weights(values)
    return model


def transformer_text(seed=301):
    """keras.io text classification with a transformer block (maxlen 16, vocab 50)."""
    keras, classes = _keras(), custom_classes()
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((16,), dtype="int32", name="tokens")
    x = classes["TokenAndPositionEmbedding"](16, 50, 8)(inputs)
    x = classes["TransformerBlock"](8, 2, 16)(x)
    x = keras.layers.GlobalAveragePooling1D()(x)
    outputs = keras.layers.Dense(2, name="logits")(keras.layers.Dense(12, activation="relu")(x))
    return _randomised(keras.Model(inputs, outputs, name="transformer_text"), seed)


def seq2seq_lstm(seed=302):
    """keras.io lstm_seq2seq (training model): encoder LSTM states start the decoder LSTM."""
    keras = _keras()
    keras.utils.set_random_seed(seed)
    encoder_inputs = keras.Input((None, 7), name="encoder_inputs")
    _, h, c = keras.layers.LSTM(12, return_state=True)(encoder_inputs)
    decoder_inputs = keras.Input((None, 9), name="decoder_inputs")
    x = keras.layers.LSTM(12, return_sequences=True)(decoder_inputs, initial_state=[h, c])
    outputs = keras.layers.Dense(9, activation="softmax", name="next_char")(x)
    return _randomised(keras.Model([encoder_inputs, decoder_inputs], outputs, name="seq2seq_lstm"), seed)


def _time_series(rnn, seed):
    keras = _keras()
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((12, 3), name="window")
    x = getattr(keras.layers, rnn)(16, return_sequences=True)(inputs)
    x = getattr(keras.layers, rnn)(8)(x)
    return _randomised(keras.Model(inputs, keras.layers.Dense(1, name="forecast")(x),
                                   name=f"time_series_{rnn.lower()}"), seed)


def time_series_gru(seed=303):
    """keras.io timeseries weather forecasting, with stacked GRUs."""
    return _time_series("GRU", seed)


def time_series_lstm(seed=304):
    """keras.io timeseries weather forecasting: stacked LSTMs."""
    return _time_series("LSTM", seed)


def unet(seed=305):
    """keras.io oxford_pets_image_segmentation: Xception-style U-Net (separable convs, residual
    1x1 projections, Conv2DTranspose + UpSampling2D), 32x32 input, 3 classes."""
    keras = _keras()
    layers = keras.layers
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((32, 32, 3), name="image")
    x = layers.Activation("relu")(layers.BatchNormalization()(layers.Conv2D(8, 3, strides=2, padding="same")(inputs)))
    previous = x
    for filters in (16, 32):
        x = layers.Activation("relu")(x)
        x = layers.BatchNormalization()(layers.SeparableConv2D(filters, 3, padding="same")(x))
        x = layers.MaxPooling2D(3, strides=2, padding="same")(x)
        residual = layers.Conv2D(filters, 1, strides=2, padding="same")(previous)
        x = previous = layers.add([x, residual])
    for filters in (32, 16, 8):
        x = layers.Activation("relu")(x)
        x = layers.BatchNormalization()(layers.Conv2DTranspose(filters, 3, padding="same")(x))
        x = layers.UpSampling2D(2)(x)
        residual = layers.Conv2D(filters, 1, padding="same")(layers.UpSampling2D(2)(previous))
        x = previous = layers.add([x, residual])
    outputs = layers.Conv2D(3, 3, activation="softmax", padding="same", name="mask")(x)
    return _randomised(keras.Model(inputs, outputs, name="unet"), seed)


def vae_decoder(seed=306):
    """keras.io variational autoencoder: the decoder (latent 2 -> 28x28x1)."""
    keras = _keras()
    layers = keras.layers
    keras.utils.set_random_seed(seed)
    latent = keras.Input((2,), name="z")
    x = layers.Reshape((7, 7, 16))(layers.Dense(7 * 7 * 16, activation="relu")(latent))
    x = layers.Conv2DTranspose(16, 3, activation="relu", strides=2, padding="same")(x)
    x = layers.Conv2DTranspose(8, 3, activation="relu", strides=2, padding="same")(x)
    outputs = layers.Conv2DTranspose(1, 3, activation="sigmoid", padding="same", name="image")(x)
    return _randomised(keras.Model(latent, outputs, name="vae_decoder"), seed)


def siamese(seed=307):
    """keras.io siamese_network (contrastive): one shared tower, the euclidean distance of the two
    embeddings (keras.ops on KerasTensors), a BatchNormalization and a sigmoid."""
    keras = _keras()
    layers, ops = keras.layers, keras.ops
    keras.utils.set_random_seed(seed)
    tower_in = keras.Input((16, 16, 1))
    t = layers.AveragePooling2D(2)(layers.Conv2D(4, 3, activation="tanh")(layers.BatchNormalization()(tower_in)))
    t = layers.Dense(6, activation="tanh")(layers.Flatten()(t))
    tower = keras.Model(tower_in, t, name="tower")
    a, b = keras.Input((16, 16, 1), name="left"), keras.Input((16, 16, 1), name="right")
    ea, eb = tower(a), tower(b)
    distance = ops.sqrt(ops.maximum(ops.sum(ops.square(ea - eb), axis=1, keepdims=True), 1e-7))
    outputs = layers.Dense(1, activation="sigmoid", name="same")(layers.BatchNormalization()(distance))
    return _randomised(keras.Model([a, b], outputs, name="siamese"), seed)


def ctc_ocr(seed=308):
    """keras.io handwriting/captcha OCR: convs, reshape to a sequence, bidirectional LSTMs and a
    per-step softmax (the inference model; the CTC loss layer is training-only)."""
    keras = _keras()
    layers = keras.layers
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((32, 8, 1), name="image")  # width 32 is the time axis
    x = layers.MaxPooling2D(2)(layers.Conv2D(8, 3, activation="relu", padding="same")(inputs))
    x = layers.Reshape((16, 4 * 8))(x)
    x = layers.Dropout(0.2)(layers.Dense(16, activation="relu")(x))
    x = layers.Bidirectional(layers.LSTM(8, return_sequences=True, dropout=0.25))(x)
    outputs = layers.Dense(11, activation="softmax", name="chars")(x)
    return _randomised(keras.Model(inputs, outputs, name="ctc_ocr"), seed)


# --- keras.ops in functional graphs, mixed precision ------------------------------------------------

def keras_ops_features(seed=311):
    """A functional model whose middle is keras.ops calls on KerasTensors (no layers): sin, cumsum,
    where, softmax, matmul, concatenate, top-k style reductions."""
    keras = _keras()
    ops = keras.ops
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((10,), name="features")
    x = keras.layers.Dense(8)(inputs)
    gated = ops.where(x > 0, ops.sin(x), ops.exp(x) - 1.0)
    mixed = ops.concatenate([gated, ops.cumsum(x, axis=-1), ops.softmax(x)], axis=-1)
    attention = ops.matmul(ops.expand_dims(mixed, 2), ops.expand_dims(ops.tanh(mixed), 1))
    pooled = ops.max(attention, axis=-1) + ops.mean(attention, axis=1)
    outputs = keras.layers.Dense(3, name="scores")(ops.clip(pooled, -2.0, 2.0))
    return _randomised(keras.Model(inputs, outputs, name="keras_ops_features"), seed)


def keras_ops_image(seed=312):
    """Image keras.ops in a functional graph: image.resize, transpose, normalisation by moments."""
    keras = _keras()
    ops = keras.ops
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((12, 12, 3), name="pixels")
    x = ops.image.resize(inputs, (6, 6), interpolation="bilinear")
    mean, variance = ops.moments(x, axes=[1, 2], keepdims=True)
    x = (x - mean) * ops.rsqrt(variance + 1e-3)
    x = keras.layers.Conv2D(4, 3)(ops.transpose(x, (0, 2, 1, 3)))
    outputs = keras.layers.Dense(2, name="out")(ops.reshape(x, (-1, 4 * 4 * 4)))
    return _randomised(keras.Model(inputs, outputs, name="keras_ops_image"), seed)


def _mixed_precision_cnn(keras, seed, name):
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        keras.utils.set_random_seed(seed)
        layers = keras.layers
        inputs = keras.Input((12, 12, 3), name="image")
        x = layers.Conv2D(8, 3, activation="relu")(inputs)
        x = layers.BatchNormalization()(x)
        x = layers.Dense(6, activation="relu")(layers.GlobalAveragePooling2D()(x))
        # keras' mixed-precision guide: the last layer in float32 for numeric stability
        outputs = layers.Activation("linear", dtype="float32", name="logits")(layers.Dense(4)(x))
        model = keras.Model(inputs, outputs, name=name)
    finally:
        keras.mixed_precision.set_global_policy(previous)
    return model


def mixed_precision_k3(seed=313):
    """Keras 3 CNN under the mixed_float16 policy (float16 compute, float32 variables: Casts)."""
    return _mixed_precision_cnn(_keras(), seed, "mixed_precision_k3")


def mixed_precision_tfk(seed=314):
    """The same under tf_keras's mixed_float16 policy."""
    return _mixed_precision_cnn(_tf_keras(), seed, "mixed_precision_tfk")


def text_lstm_tfk(seed=315):
    """tf_keras text classifier: Embedding(mask_zero) -> Bidirectional LSTM -> Dense."""
    tf_keras = _tf_keras()
    tf_keras.utils.set_random_seed(seed)
    layers = tf_keras.layers
    inputs = tf_keras.Input((10,), dtype="int32", name="tokens")
    x = layers.Bidirectional(layers.LSTM(8))(layers.Embedding(40, 8, mask_zero=True)(inputs))
    return _randomised(tf_keras.Model(inputs, layers.Dense(3, name="label")(x), name="text_lstm_tfk"), seed)


# --- recurrent layers and normalisations of both Keras versions, beyond the keras.io examples ------

def _recurrent_mix(keras, name, seed):
    """Every recurrent feature in one small model: Embedding(mask_zero) -> Bidirectional(GRU,
    return_sequences) -> LSTM(return_state, go_backwards); Masking -> SimpleRNN over a sequence of
    any length; an unrolled LSTM over a fixed one; ConvLSTM2D over frames."""
    layers = keras.layers
    keras.utils.set_random_seed(seed)
    tokens = keras.Input((10,), dtype="int32", name="tokens")
    x = layers.Bidirectional(layers.GRU(5, return_sequences=True))(layers.Embedding(30, 6, mask_zero=True)(tokens))
    last, h, c = layers.LSTM(4, return_state=True, go_backwards=True)(x)
    series = keras.Input((None, 3), name="series")
    y = layers.SimpleRNN(4)(layers.Masking(0.0)(series))
    fixed = keras.Input((4, 3), name="fixed")
    z = layers.LSTM(3, unroll=True)(fixed)
    frames = keras.Input((3, 5, 5, 2), name="frames")
    w = layers.GlobalAveragePooling2D()(layers.ConvLSTM2D(3, 3, padding="same")(frames))
    outputs = layers.Dense(2, name="out")(layers.Concatenate()([last, h, c, y, z, w]))
    return _randomised(keras.Model([tokens, series, fixed, frames], outputs, name=name), seed)


def recurrent_k3(seed=316):
    """Keras 3 recurrent features (see _recurrent_mix)."""
    return _recurrent_mix(_keras(), "recurrent_k3", seed)


def recurrent_tfk(seed=317):
    """The same from tf_keras."""
    return _recurrent_mix(_tf_keras(), "recurrent_tfk", seed)


def _masked_steps(key, shape, dtype, rng):
    """Trailing padding for the masked inputs: zero tokens, all-zero steps of the variable-length
    series (its steps are the model's seq_len); None (the default sample) for the other inputs."""
    if np.issubdtype(dtype, np.integer):
        tokens = rng.integers(1, 30, size=shape).astype(dtype)
        tokens[:, -3:] = 0
        return tokens
    if len(shape) == 3 and shape[1] == 8 and shape[2] == 3:
        series = rng.normal(size=shape).astype(np.float32)
        series[:, -3:] = 0.0
        return series
    return None


def _norms(keras, name, seed, rms):
    """BatchNormalization (inference, after an activation: not folded), GroupNormalization,
    LayerNormalization (last axis and two axes: tf_keras lowers both onto FusedBatchNormV3),
    UnitNormalization and (Keras 3) RMSNormalization."""
    layers = keras.layers
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6, 6, 3), name="image")
    x = layers.BatchNormalization()(layers.Activation("relu")(layers.Conv2D(8, 3)(inputs)))
    x = layers.LayerNormalization(axis=-1)(layers.GroupNormalization(groups=4)(x))
    x = layers.LayerNormalization(axis=[1, 2], epsilon=1e-5)(layers.UnitNormalization(axis=-1)(x))
    if rms:
        x = layers.RMSNormalization()(x)
    outputs = layers.Dense(3, name="out")(layers.GlobalAveragePooling2D()(x))
    return _randomised(keras.Model(inputs, outputs, name=name), seed)


def norms_k3(seed=318):
    """Keras 3 normalisation layers (see _norms)."""
    return _norms(_keras(), "norms_k3", seed, rms=True)


def norms_tfk(seed=319):
    """The same from tf_keras (which has no RMSNormalization)."""
    return _norms(_tf_keras(), "norms_tfk", seed, rms=False)


# --- SavedModels written by TensorFlow code ---------------------------------------------------------

def _save_module(module, path, signatures=None):
    import tensorflow as tf
    tf.saved_model.save(module, path, signatures=signatures or module.__call__)


def save_asserts(path, seed=401):
    """tf.debugging asserts, check_numerics and tf.print around a dense layer (tf.Module)."""
    import tensorflow as tf
    rng = np.random.default_rng(seed)

    class Checked(tf.Module):
        def __init__(self):
            self.w = tf.Variable(rng.normal(size=(4, 3)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def __call__(self, x):
            tf.debugging.assert_equal(tf.shape(x)[1], 4, message="four features")
            tf.debugging.assert_all_finite(x, "finite inputs")
            y = tf.matmul(x, self.w)
            tf.debugging.assert_rank(y, 2)
            y = tf.debugging.check_numerics(tf.nn.relu(y) + 0.1, "relu output")
            tf.print("batch", tf.shape(y)[0])
            return {"y": y}

    _save_module(Checked(), path)


def save_cond(path, seed=402):
    """tf.cond on a data-dependent predicate, two different branches with variables."""
    import tensorflow as tf
    rng = np.random.default_rng(seed)

    class Branchy(tf.Module):
        def __init__(self):
            self.a = tf.Variable(rng.normal(size=(4, 4)).astype("float32"))
            self.b = tf.Variable(rng.normal(size=(4,)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="x")])
        def __call__(self, x):
            y = tf.cond(tf.reduce_sum(x) > 0.0, lambda: tf.matmul(x, self.a), lambda: tf.tanh(x) * self.b - 1.0)
            return {"y": y}

    _save_module(Branchy(), path)


def save_nested_while(path):
    """TensorFlow's tutorial style: three int32 scalars, two nested tf.while_loops, a tf.cond."""
    import tensorflow as tf

    class Loops(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([], tf.int32, name="x"), tf.TensorSpec([], tf.int32, name="y"),
                                      tf.TensorSpec([], tf.int32, name="z")])
        def __call__(self, x, y, z):
            total = tf.constant(0)
            i = tf.constant(0)
            while i < x:  # autograph: tf.while_loop
                j = tf.constant(0)
                while j < y:
                    total += tf.cond(tf.equal((i + j) % 2, 0), lambda: i * j + z, lambda: z - j)
                    j += 1
                i += 1
            return {"total": total}

    _save_module(Loops(), path)


def save_stft(path, seed=404):
    """Audio front end: tf.signal.stft magnitude -> mel weights (a variable) -> log."""
    import tensorflow as tf
    rng = np.random.default_rng(seed)

    class Spectrogram(tf.Module):
        def __init__(self):
            self.mel = tf.Variable(np.abs(rng.normal(size=(33, 8))).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 256], tf.float32, name="audio")])
        def __call__(self, audio):
            spectrum = tf.abs(tf.signal.stft(audio, frame_length=64, frame_step=32, fft_length=64))
            return {"log_mel": tf.math.log(tf.matmul(spectrum, self.mel) + 1e-3)}

    _save_module(Spectrogram(), path)


def save_string_ops(path, seed=405):
    """String ops that tfjs-node has kernels for: StaticRegexReplace, then a StaticHashTable lookup
    (TF.js's own hash-table ops) and an embedding gather from a variable."""
    import tensorflow as tf
    rng = np.random.default_rng(seed)

    class Words(tf.Module):
        def __init__(self):
            keys = [w.replace("a", "_") for w in WORDS]
            self.vocabulary = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(keys, np.arange(len(keys), dtype=np.int64)), len(keys))
            self.table = tf.Variable(rng.normal(size=(len(keys) + 1, 4)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def __call__(self, text):
            ids = self.vocabulary.lookup(tf.strings.regex_replace(text, "a", "_"))
            return {"embedding": tf.gather(self.table, ids) * 2.0}

    _save_module(Words(), path)


def save_string_hash(path, seed=408):
    """tf.strings.to_hash_bucket_fast (StringToHashBucketFast: TF.js's CPU backend has the kernel,
    tfjs-node's TensorFlow backend does not) and an embedding gather."""
    import tensorflow as tf
    rng = np.random.default_rng(seed)

    class Hashing(tf.Module):
        def __init__(self):
            self.table = tf.Variable(rng.normal(size=(32, 4)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def __call__(self, text):
            return {"embedding": tf.gather(self.table, tf.strings.to_hash_bucket_fast(text, 32)) * 2.0}

    _save_module(Hashing(), path)


def save_string_lower(path):
    """tf.strings.lower (StringLower): no TF.js backend has the kernel, so no rewrite can help."""
    import tensorflow as tf

    class Lower(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def __call__(self, text):
            return {"length": tf.strings.length(tf.strings.lower(text))}

    _save_module(Lower(), path)


def save_svd(path, seed=409):
    """Singular values of a learned projection of the input (Svd: not in TF.js)."""
    import tensorflow as tf
    rng = np.random.default_rng(seed)

    class Spectrum(tf.Module):
        def __init__(self):
            self.w = tf.Variable(rng.normal(size=(4, 4)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 4, 4], tf.float32, name="m")])
        def __call__(self, m):
            return {"singular_values": tf.linalg.svd(tf.matmul(m, self.w), compute_uv=False)}

    _save_module(Spectrum(), path)


def save_signatures(path, seed=406):
    """One tf.Module, three signatures sharing one variable (serving_default, scale, stats)."""
    import tensorflow as tf
    rng = np.random.default_rng(seed)

    class Multi(tf.Module):
        def __init__(self):
            self.w = tf.Variable(rng.normal(size=(3, 3)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def project(self, x):
            return {"projected": tf.matmul(x, self.w)}

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x"),
                                      tf.TensorSpec([], tf.float32, name="factor")])
        def scale(self, x, factor):
            return {"scaled": x * factor + tf.reduce_sum(self.w)}

        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
        def stats(self, x):
            y = tf.matmul(x, self.w)
            return {"mean": tf.reduce_mean(y, axis=0), "max": tf.reduce_max(y, axis=1)}

    module = Multi()
    _save_module(module, path, {"serving_default": module.project, "scale": module.scale, "stats": module.stats})


def save_complex_variable(path, seed=407):
    """A complex64 variable (e.g. a learned filter in the frequency domain) times an RFFT."""
    import tensorflow as tf
    rng = np.random.default_rng(seed)

    class Filter(tf.Module):
        def __init__(self):
            self.v1 = tf.Variable(tf.complex(rng.normal(size=(9,)).astype("float32"),
                                             rng.normal(size=(9,)).astype("float32")))

        @tf.function(input_signature=[tf.TensorSpec([None, 16], tf.float32, name="signal")])
        def __call__(self, signal):
            spectrum = tf.signal.rfft(signal) * self.v1
            return {"magnitude": tf.abs(spectrum), "real": tf.math.real(spectrum)}

    _save_module(Filter(), path)


def _save_tf1(path, build, seed):
    """A TF1 graph built by `build(tf) -> ({key: placeholder}, {key: output}, main_op or None)`,
    its variables initialised, written with SavedModelBuilder under the serve tag."""
    import tensorflow as tf
    v1 = tf.compat.v1
    with tf.Graph().as_default():
        v1.set_random_seed(seed)
        inputs, outputs, main_op = build(tf)
        with v1.Session() as session:
            session.run([v1.global_variables_initializer(), v1.tables_initializer()])
            builder = v1.saved_model.builder.SavedModelBuilder(path)
            signature = v1.saved_model.predict_signature_def(inputs, outputs)
            builder.add_meta_graph_and_variables(session, ["serve"], signature_def_map={"serving_default": signature},
                                                 main_op=main_op)
            builder.save()


def save_tf1_mlp(path, seed=411):
    """TF1 style: placeholders, get_variable, matmul/bias/relu, a softmax; no init op."""
    def build(tf):
        v1 = tf.compat.v1
        x = v1.placeholder(tf.float32, [None, 5], name="x")
        h = tf.nn.relu(tf.matmul(x, v1.get_variable("w1", [5, 8])) + v1.get_variable("b1", [8]))
        y = tf.nn.softmax(tf.matmul(h, v1.get_variable("w2", [8, 3])) * 3.0, name="probs")
        return {"x": x}, {"probs": y}, None
    _save_tf1(path, build, seed)


def _tf1_table_graph(tf, main_op):
    v1 = tf.compat.v1
    words = v1.placeholder(tf.string, [None], name="words")
    table = v1.lookup.StaticHashTable(
        v1.lookup.KeyValueTensorInitializer(WORDS[:8], np.arange(8, dtype=np.int64) * 3 + 1), -1)
    ids = table.lookup(words)
    scores = tf.gather(v1.get_variable("scores", [9]), tf.maximum(ids, -1) % 9)
    return {"words": words}, {"score": scores * 2.0}, (v1.tables_initializer() if main_op else None)


def save_tf1_table_collection(path, seed=412):
    """TF1 HashTableV2 filled through the `table_initializer` collection only (the builder's default:
    TensorFlow's loader runs the collection's ops)."""
    _save_tf1(path, lambda tf: _tf1_table_graph(tf, main_op=False), seed)


def save_tf1_table_main_op(path, seed=413):
    """TF1 HashTableV2 filled by an explicit main_op (tables_initializer)."""
    _save_tf1(path, lambda tf: _tf1_table_graph(tf, main_op=True), seed)


def _word_sample(key, shape, dtype, rng):
    """Strings: words of the tables (and one unknown word), else the default sample."""
    if dtype == np.object_:
        return np.array([w.encode() for w in rng.choice(WORDS + ["zebra"], size=shape)], dtype=object).reshape(shape)
    return None


def _loop_sample(key, shape, dtype, rng):
    return np.array({"x": 4, "y": 3, "z": 5}[key], np.int32)


def _tf_models():
    return [
        WildModel("tf_asserts", "tf", save_asserts, ("saved_model",)),
        WildModel("tf_cond", "tf", save_cond, ("saved_model",)),
        WildModel("tf_nested_while", "tf", save_nested_while, ("saved_model",), sample=_loop_sample),
        WildModel("tf_stft", "tf", save_stft, ("saved_model",)),
        WildModel("tf_string_ops", "tf", save_string_ops, ("saved_model",), sample=_word_sample),
        WildModel("tf_string_hash", "tf", save_string_hash, ("saved_model",), sample=_word_sample),
        WildModel("tf_string_lower", "tf", save_string_lower, ("saved_model",), sample=_word_sample),
        WildModel("tf_svd", "tf", save_svd, ("saved_model",)),
        WildModel("tf_signatures", "tf", save_signatures, ("saved_model",),
                  signatures=("serving_default", "scale", "stats")),
        WildModel("tf_complex_variable", "tf", save_complex_variable, ("saved_model",)),
        WildModel("tf1_mlp", "tf", save_tf1_mlp, ("saved_model",)),
        WildModel("tf1_table_collection", "tf", save_tf1_table_collection, ("saved_model",), sample=_word_sample),
        WildModel("tf1_table_main_op", "tf", save_tf1_table_main_op, ("saved_model",), sample=_word_sample),
    ]


def _keras_models():
    k3 = [transformer_text, seq2seq_lstm, time_series_gru, time_series_lstm, unet, vae_decoder, siamese,
          ctc_ocr, keras_ops_features, keras_ops_image, mixed_precision_k3]
    # Keras 3 cannot load back a legacy .h5 whose functional graph calls keras.ops on KerasTensors
    # (`Unknown layer: 'Square'`): those models have no .h5 source.
    ops_graphs = (siamese, keras_ops_features, keras_ops_image)
    models = [WildModel(f.__name__, "keras3", f, KERAS3_SOURCES[:2] if f in ops_graphs else KERAS3_SOURCES,
                        int_high=50 if f is transformer_text else 10, seq_len=5) for f in k3]
    models += [WildModel("mixed_precision_tfk", "tf_keras", mixed_precision_tfk, TF_KERAS_SOURCES),
               WildModel("text_lstm_tfk", "tf_keras", text_lstm_tfk, TF_KERAS_SOURCES, int_high=40)]
    # runtime_tests/graph_wild_parity_test.py has these features one by one (.keras, tf_keras .h5);
    # here all at once, from the other sources too. Keras 3 cannot load back their legacy .h5
    # (`cannot load custom object(s) NotEqual`, a LayerNormalization gamma of the wrong shape).
    models += [WildModel("recurrent_k3", "keras3", recurrent_k3, KERAS3_SOURCES[:2], sample=_masked_steps),
               WildModel("recurrent_tfk", "tf_keras", recurrent_tfk, TF_KERAS_SOURCES, sample=_masked_steps),
               WildModel("norms_k3", "keras3", norms_k3, KERAS3_SOURCES[:2]),
               WildModel("norms_tfk", "tf_keras", norms_tfk, ("tf_keras_saved_model",))]
    return models


MODELS = {m.name: m for m in _application_models() + _keras_models() + _tf_models()}


def save_source(model, source, folder, built=None):
    """Write `model` (a WildModel) as `source` under folder; return (path, the built Keras model
    or None). `built`: a Keras model built before (saved again, not rebuilt)."""
    import os
    ext = {"keras": ".keras", "keras3_h5": ".h5", "tf_keras_h5": ".h5"}.get(source, "")
    path = os.path.join(folder, f"{model.name}_{source}{ext}")
    if model.flavour == "tf":
        if not os.path.exists(path):
            model.build(path)
        return path, None
    keras_model = built if built is not None else model.build()
    if not os.path.exists(path):
        if source == "saved_model":
            keras_model.export(path, verbose=False)
        elif source == "tf_keras_saved_model":
            keras_model.save(path, save_format="tf")
        else:
            keras_model.save(path)
    return path, keras_model
