"""The layer-family zoo: one small Keras 3 model per family of the translation table, plus
keras.applications MobileNet v1/v2 at small sizes, and a few tf_keras (Keras 2) twins.

Built in code with fixed seeds. Weights are randomised (biases, statistics, PReLU alphas...), so
a misplaced or mis-decoded weight changes the outputs. Deep application models get milder
randomisation (initialiser kernels, randomised BatchNormalization) so activations stay finite.
"""

import numpy as np

from tools.testing.keras_models import _randomise


def _seeded(seed):
    import keras
    keras.utils.set_random_seed(seed)
    return keras, keras.layers


def core(seed=11):
    """Dense, Reshape, Permute, Flatten, RepeatVector, activation layers, noise layers."""
    keras, L = _seeded(seed)
    x_in = keras.Input((12,), name="x")
    x = L.Dense(12)(x_in)
    x = L.LeakyReLU(negative_slope=0.2)(x)
    x = L.Reshape((3, 4))(x)
    x = L.Permute((2, 1))(x)
    x = L.SpatialDropout1D(0.2)(x)
    x = L.Flatten()(x)
    x = L.PReLU()(x)
    x = L.GaussianNoise(0.3)(x)
    x = L.GaussianDropout(0.2)(x)
    x = L.AlphaDropout(0.1)(x)
    x = L.ELU()(x)
    x = L.RepeatVector(2)(x)
    x = L.Flatten()(x)
    x = L.Dense(5, activation="selu")(x)
    x = L.Softmax()(x)
    return _randomise(keras.Model(x_in, x, name="core"), seed)


def conv2d(seed=12):
    """ZeroPadding2D, Conv2D, Cropping2D, DepthwiseConv2D, SeparableConv2D, Conv2DTranspose,
    UpSampling2D, pooling, LayerNormalization, GlobalMaxPooling2D(keepdims=True)."""
    keras, L = _seeded(seed)
    x_in = keras.Input((12, 12, 3))
    x = L.ZeroPadding2D(((1, 2), (0, 1)))(x_in)
    x = L.Conv2D(6, 3, strides=2, activation="relu6")(x)
    x = L.Cropping2D(((1, 0), (0, 1)))(x)
    x = L.DepthwiseConv2D(3, padding="same", depth_multiplier=2)(x)
    x = L.SeparableConv2D(5, 3, padding="same", activation="swish")(x)
    x = L.Conv2DTranspose(4, 3, strides=2, padding="same")(x)
    x = L.UpSampling2D(2)(x)
    x = L.MaxPooling2D(2)(x)
    x = L.AveragePooling2D(2, strides=1)(x)
    x = L.LayerNormalization()(x)
    x = L.Conv2D(3, 1, dilation_rate=1, activation="sigmoid")(x)
    x = L.GlobalMaxPooling2D(keepdims=True)(x)
    x = L.Flatten()(x)
    return _randomise(keras.Model(x_in, L.Dense(4)(x), name="conv2d"), seed)


def conv1d_3d(seed=13):
    """Conv1D + 1D pooling + GlobalAveragePooling1D(keepdims=True); Conv3D, Conv3DTranspose and
    3D pooling on a second input; two outputs."""
    keras, L = _seeded(seed)
    a = keras.Input((20, 4), name="signal")
    x = L.Conv1D(6, 3, padding="same", activation="tanh")(a)
    x = L.MaxPooling1D(2)(x)
    x = L.AveragePooling1D(2, padding="same")(x)
    x = L.GlobalAveragePooling1D(keepdims=True)(x)
    x = L.Flatten()(x)
    out_1 = L.Dense(3, name="signal_out")(L.Concatenate()([x, L.GlobalMaxPooling1D()(a)]))
    b = keras.Input((6, 6, 6, 2), name="volume")
    y = L.Conv3D(4, 3, padding="same", activation="relu")(b)
    y = L.MaxPooling3D(2)(y)
    y = L.Conv3DTranspose(3, 2, strides=2)(y)
    y = L.AveragePooling3D(2)(y)
    out_2 = L.Dense(2, name="volume_out")(L.Flatten()(y))
    return _randomise(keras.Model([a, b], [out_1, out_2], name="conv1d_3d"), seed)


def rnn_text(seed=14, reset_after=False):
    """Embedding -> LSTM -> Bidirectional GRU (reset_after=False: tfjs-layers' own GRU; True, Keras'
    default: our JS class) -> SimpleRNN -> Dense; int input."""
    keras, L = _seeded(seed)
    tokens = keras.Input((9,), dtype="int32", name="tokens")
    x = L.Embedding(30, 6)(tokens)
    x = L.LSTM(5, return_sequences=True)(x)
    x = L.Bidirectional(L.GRU(4, return_sequences=True, reset_after=reset_after), merge_mode="concat")(x)
    x = L.SimpleRNN(4, go_backwards=True)(x)
    return _randomise(keras.Model(tokens, L.Dense(3, activation="sigmoid")(x), name="rnn_text"), seed)


def rnn_wrappers(seed=15):
    """TimeDistributed(Dense), Bidirectional(LSTM, merge_mode="ave"), ConvLSTM2D."""
    keras, L = _seeded(seed)
    seq = keras.Input((5, 6), name="seq")
    x = L.TimeDistributed(L.Dense(4, activation="relu"))(seq)
    x = L.Bidirectional(L.LSTM(3), merge_mode="ave")(x)
    frames = keras.Input((3, 6, 6, 2), name="frames")
    y = L.ConvLSTM2D(2, 3, padding="same")(frames)
    y = L.Flatten()(y)
    out = L.Dense(2)(L.Concatenate()([x, y]))
    return _randomise(keras.Model([seq, frames], out, name="rnn_wrappers"), seed)


def merge(seed=16):
    """Add, Subtract (rewritten), Multiply, Average, Maximum, Minimum, Concatenate, Dot."""
    keras, L = _seeded(seed)
    a = keras.Input((6,), name="a")
    b = keras.Input((6,), name="b")
    pa, pb = L.Dense(6)(a), L.Dense(6)(b)
    parts = [L.Add()([pa, pb]), L.Subtract()([pa, pb]), L.Multiply()([pa, pb]), L.Average()([pa, pb]),
             L.Maximum()([pa, pb]), L.Minimum()([pa, pb])]
    x = L.Concatenate()(parts)
    d = L.Dot(axes=1, normalize=True)([pa, pb])
    return _randomise(keras.Model([a, b], [L.Dense(3)(x), d], name="merge"), seed)


def nested_shared(seed=17):
    """A Sequential and a functional model used as layers, and a layer shared by two calls."""
    keras, L = _seeded(seed)
    inner_seq = keras.Sequential([keras.Input((8,)), L.Dense(8, activation="tanh", name="inner_dense"),
                                  L.BatchNormalization(name="inner_bn")], name="inner_seq")
    i = keras.Input((8,))
    inner_fn = keras.Model(i, L.Dense(8, name="fn_dense")(i), name="inner_fn")
    x_in = keras.Input((8,), name="x")
    shared = L.Dense(8, activation="relu", name="shared")
    x = shared(x_in)
    x = inner_seq(x)
    x = shared(x)
    x = inner_fn(x)
    return _randomise(keras.Model(x_in, L.Dense(3)(x), name="nested_shared"), seed)


def preprocessing(seed=18):
    """Rescaling and Normalization (adapted statistics) before a small CNN."""
    keras, L = _seeded(seed)
    norm = L.Normalization()
    norm.adapt(np.random.default_rng(seed).normal(3.0, 2.0, size=(64, 6, 6, 3)).astype("float32"))
    x_in = keras.Input((6, 6, 3))
    x = L.Rescaling(1 / 4.0, offset=0.5)(x_in)
    x = norm(x)
    x = L.Conv2D(4, 3)(x)
    x = L.GlobalAveragePooling2D()(x)
    model = keras.Model(x_in, L.Dense(3)(x), name="preprocessing")
    stats = [np.asarray(v) for v in norm.weights]
    _randomise(model, seed)
    for variable, value in zip(norm.weights, stats):  # keep the adapted statistics
        variable.assign(value)
    return model


def sequential_keepdims(seed=24):
    """A Sequential CNN whose keepdims pooling has no recorded input shape (the channel count
    is found by walking back to the Conv2D), then a 1x1 Conv2D head as in MobileNet."""
    keras, L = _seeded(seed)
    model = keras.Sequential([
        keras.Input((10, 10, 3)),
        L.Conv2D(5, 3, activation="relu"),
        L.BatchNormalization(),
        L.MaxPooling2D(),
        L.GlobalAveragePooling2D(keepdims=True),
        L.Conv2D(3, 1),
        L.Flatten(),
    ], name="sequential_keepdims")
    return _randomise(model, seed)


def _mild_randomise(model, seed):
    """Biases, normalisation offsets and statistics away from their 0/1 initial values (Keras 3 or
    tf_keras model); kernels keep Keras' own initialisation, which keeps deep nets finite."""
    rng = np.random.default_rng(seed)
    for variable in model.weights:
        shape = tuple(variable.shape)
        path = getattr(variable, "path", variable.name)  # tf_keras variables have no .path
        if "gamma" in path:
            variable.assign(1 + 0.2 * rng.normal(size=shape).astype("float32"))
        elif "beta" in path or "moving_mean" in path or "bias" in path:
            variable.assign(0.2 * rng.normal(size=shape).astype("float32"))
        elif "variance" in path:
            variable.assign(1 + 0.5 * np.abs(rng.normal(size=shape)).astype("float32"))
    return model


def mobilenet(seed=19):
    """keras.applications.MobileNet (v1) at 96x96, alpha=0.25: keepdims pooling, ReLU6, DW convs."""
    keras, _ = _seeded(seed)
    model = keras.applications.MobileNet(input_shape=(96, 96, 3), alpha=0.25, weights=None, classes=10,
                                         classifier_activation=None)
    return _mild_randomise(model, seed)


def mobilenet_v2(seed=20):
    """keras.applications.MobileNetV2 at 96x96, alpha=0.35."""
    keras, _ = _seeded(seed)
    model = keras.applications.MobileNetV2(input_shape=(96, 96, 3), alpha=0.35, weights=None, classes=10,
                                           classifier_activation=None)
    return _mild_randomise(model, seed)


def resnet50(seed=25):
    """keras.applications.ResNet50 at 32x32: ZeroPadding2D, strided convs, BatchNormalization,
    residual Add, MaxPooling2D, GlobalAveragePooling2D (23.5M parameters, ~94 MB float32)."""
    keras, _ = _seeded(seed)
    model = keras.applications.ResNet50(input_shape=(32, 32, 3), weights=None, classes=10,
                                        classifier_activation=None)
    return _mild_randomise(model, seed)


def efficientnet_b0(seed=26):
    """keras.applications.EfficientNetB0 at 32x32: Rescaling + Normalization, swish, depthwise
    convs, squeeze-excitation (keepdims pooling, Reshape, Multiply), dropout."""
    keras, _ = _seeded(seed)
    model = keras.applications.EfficientNetB0(input_shape=(32, 32, 3), weights=None, classes=10,
                                              classifier_activation=None)
    return _mild_randomise(model, seed)


ZOO = {"core": core, "conv2d": conv2d, "conv1d_3d": conv1d_3d, "rnn_text": rnn_text,
       "rnn_wrappers": rnn_wrappers, "merge": merge, "nested_shared": nested_shared,
       "preprocessing": preprocessing, "sequential_keepdims": sequential_keepdims, "mobilenet": mobilenet, "mobilenet_v2": mobilenet_v2,
       "resnet50": resnet50, "efficientnet_b0": efficientnet_b0}


# -- tf_keras (Keras 2) twins: what `.h5` files from TF 2.x code look like ---------------------

def tf_keras_cnn(seed=21):
    """tf_keras functional CNN with BatchNormalization, a residual Add, SeparableConv2D."""
    import tf_keras as keras
    from tf_keras import layers as L
    keras.utils.set_random_seed(seed)
    x_in = keras.Input((10, 10, 3))
    x = L.Conv2D(6, 3, padding="same", use_bias=False)(x_in)
    x = L.BatchNormalization()(x)
    x = L.ReLU(6.0)(x)
    x = L.Add()([x, L.Conv2D(6, 1)(x_in)])
    x = L.SeparableConv2D(4, 3)(x)
    x = L.GlobalAveragePooling2D()(x)
    return _randomise_tf_keras(keras.Model(x_in, L.Dense(3, activation="softmax")(x), name="tfk_cnn"), seed)


def tf_keras_rnn(seed=22):
    """tf_keras Sequential text model: Embedding -> Bidirectional GRU (reset_after=False) -> LSTM."""
    import tf_keras as keras
    from tf_keras import layers as L
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((7,), dtype="int32"),
        L.Embedding(20, 5),
        L.Bidirectional(L.GRU(4, return_sequences=True, reset_after=False)),
        L.LSTM(3),
        L.Dense(2),
    ], name="tfk_rnn")
    return _randomise_tf_keras(model, seed)


def tf_keras_nested(seed=23):
    """tf_keras: a nested Sequential, a shared layer, LeakyReLU(alpha), TimeDistributed,
    ThresholdedReLU (gone from Keras 3: only Keras 2 files hold it)."""
    import tf_keras as keras
    from tf_keras import layers as L
    keras.utils.set_random_seed(seed)
    inner = keras.Sequential([keras.Input((4,)), L.Dense(4, name="in_dense"), L.LeakyReLU(0.1)], name="inner")
    x_in = keras.Input((3, 4))
    x = L.TimeDistributed(L.Dense(4))(x_in)
    x = L.ThresholdedReLU(0.1)(L.Flatten()(x))
    shared = L.Dense(4, name="shared")
    x = inner(shared(L.Dense(4)(x)))
    x = shared(x)
    return _randomise_tf_keras(keras.Model(x_in, x, name="tfk_nested"), seed)


def _randomise_tf_keras(model, seed):
    rng = np.random.default_rng(seed)
    values = []
    for variable in model.weights:
        value = rng.normal(0.0, 0.5, size=tuple(variable.shape)).astype("float32")
        if "variance" in variable.name:
            value = np.abs(value) + 0.5
        values.append(value)
    model.set_weights(values)
    return model


TF_KERAS_ZOO = {"tfk_cnn": tf_keras_cnn, "tfk_rnn": tf_keras_rnn, "tfk_nested": tf_keras_nested}


def sample_inputs(model, batch=3, seed=0):
    """Random inputs for every model input, in model input order (token ids for int inputs)."""
    rng = np.random.default_rng(seed)
    out = []
    for t in model.inputs:
        shape = (batch,) + tuple(t.shape[1:])
        if "int" in str(t.dtype):
            out.append(rng.integers(0, 20, size=shape).astype("int32"))
        else:
            out.append(rng.normal(size=shape).astype("float32"))
    return out
