"""Models only the Graph format can carry, built in code with fixed seeds (tests only):
a Lambda layer, a custom layer, MultiHeadAttention + LayerNormalization (Keras 3), and a
tf.function with a tf.while_loop (a TF SavedModel)."""

import numpy as np

from tools.testing.keras_models import _randomise


def _keras():
    import keras
    return keras


def _register():
    keras = _keras()

    @keras.saving.register_keras_serializable(package="tfjs_export_tests")
    class ScaledSoftsign(keras.layers.Layer):
        """A custom layer: y = alpha * x / (1 + |x|) + beta, with per-channel alpha/beta."""

        def build(self, input_shape):
            self.alpha = self.add_weight(shape=(input_shape[-1],), name="alpha")
            self.beta = self.add_weight(shape=(input_shape[-1],), name="beta")

        def call(self, x):
            return self.alpha * x / (1.0 + keras.ops.abs(x)) + self.beta

    return ScaledSoftsign


ScaledSoftsign = None


def custom_layer_class():
    """The registered custom layer class (registered once per process)."""
    global ScaledSoftsign
    if ScaledSoftsign is None:
        ScaledSoftsign = _register()
    return ScaledSoftsign


def lambda_layer(seed=11):
    """Dense -> Lambda(|x| * x - x / 2) -> Dense."""
    keras = _keras()
    from keras import layers
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((6,), name="features")
    x = layers.Dense(8)(inputs)
    # Only builtins inside: a deserialised Lambda does not see this module's globals.
    x = layers.Lambda(lambda t: abs(t) * t - 0.5 * t, output_shape=(8,))(x)
    outputs = layers.Dense(3, name="out")(x)
    return _randomise(keras.Model(inputs, outputs, name="lambda_layer"), seed)


def custom_layer(seed=12):
    """Conv2D -> ScaledSoftsign (custom) -> GlobalAveragePooling2D -> Dense."""
    keras = _keras()
    from keras import layers
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8, 8, 2), name="pixels")
    x = layers.Conv2D(4, 3, padding="same")(inputs)
    x = custom_layer_class()(name="scaled_softsign")(x)
    x = layers.GlobalAveragePooling2D()(x)
    outputs = layers.Dense(3, name="scores")(x)
    return _randomise(keras.Model(inputs, outputs, name="custom_layer"), seed)


def attention(seed=13):
    """A transformer block: MultiHeadAttention + residual + LayerNormalization + Dense."""
    keras = _keras()
    from keras import layers
    keras.utils.set_random_seed(seed)
    tokens = keras.Input((5, 8), name="tokens")
    attended = layers.MultiHeadAttention(num_heads=2, key_dim=4)(tokens, tokens)
    x = layers.LayerNormalization()(layers.Add()([tokens, attended]))
    x = layers.Dense(6, activation="relu")(x)
    outputs = layers.Dense(2, name="logits")(layers.GlobalAveragePooling1D()(x))
    model = _randomise(keras.Model(tokens, outputs, name="attention"), seed)
    for variable in model.weights:  # keep LayerNormalization's gamma away from 0
        if "gamma" in variable.path:
            variable.assign(np.abs(variable.numpy()) + 0.5)
    return model


def depthwise_bn(seed=14):
    """DepthwiseConv2D -> BatchNormalization -> ReLU -> Dense -> BatchNormalization: exercises the
    batch-norm folding and depthwise fusion rewrites."""
    keras = _keras()
    from keras import layers
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((9, 9, 4)),
        layers.DepthwiseConv2D(3, depth_multiplier=2, use_bias=True),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Flatten(),
        layers.Dense(5, use_bias=False),
        layers.BatchNormalization(),
    ], name="depthwise_bn")
    return _randomise(model, seed)


def save_tf1_saved_model(path, seed=16):
    """A TF1-style SavedModel (graph + Session, `simple_save`): no object graph, so the converter
    reads it with TensorFlow's loader instead of its own. y = relu(x @ w1 + b1) @ w2."""
    import tensorflow as tf
    rng = np.random.default_rng(seed)
    with tf.Graph().as_default(), tf.compat.v1.Session() as session:
        x = tf.compat.v1.placeholder(tf.float32, [None, 4], name="x")
        w1, b1, w2 = (tf.compat.v1.get_variable(name, initializer=rng.normal(0, 0.7, shape).astype("float32"))
                      for name, shape in (("w1", (4, 6)), ("b1", (6,)), ("w2", (6, 3))))
        y = tf.matmul(tf.nn.relu(tf.matmul(x, w1) + b1), w2, name="y")
        session.run(tf.compat.v1.global_variables_initializer())
        tf.compat.v1.saved_model.simple_save(session, path, {"x": x}, {"y": y})


def save_while_loop_saved_model(path, seed=15):
    """A tf.Module whose tf.function runs a tf.while_loop (x <- tanh(x @ w + b), n times,
    n a function of the input); saved as a SavedModel. Returns the module."""
    import tensorflow as tf
    rng = np.random.default_rng(seed)

    class Loop(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(rng.normal(0, 0.6, (4, 4)).astype("float32"))
            self.b = tf.Variable(rng.normal(0, 0.3, (4,)).astype("float32"))

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32, name="state")])
        def __call__(self, state):
            steps = 3 + tf.cast(tf.reduce_sum(tf.abs(state)) > 100.0, tf.int32)

            def body(i, x):
                return i + 1, tf.tanh(tf.matmul(x, self.w) + self.b)

            _, out = tf.while_loop(lambda i, x: i < steps, body, [tf.constant(0), state])
            return {"final": out, "total": tf.reduce_sum(out, axis=1)}

    module = Loop()
    tf.saved_model.save(module, path, signatures={"serving_default": module.__call__})
    return module


def save_unsupported_op_saved_model(path):
    """A SavedModel using an op TF.js lacks (tf.linalg.det -> MatrixDeterminant)."""
    import tensorflow as tf

    class Det(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 3, 3], tf.float32, name="m")])
        def __call__(self, m):
            return {"det": tf.linalg.det(m)}

    module = Det()
    tf.saved_model.save(module, path, signatures={"serving_default": module.__call__})
    return module




def recurrent(seed=16):
    """GRU (reset_after=True, the Keras default TF.js Layers rejects) -> LSTM -> Dense: lowered to
    a while loop in the graph."""
    keras = _keras()
    from keras import layers
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((5, 3), name="sequence")
    x = layers.GRU(6, return_sequences=True)(inputs)
    x = layers.LSTM(4)(x)
    outputs = layers.Dense(2, name="value")(x)
    return _randomise(keras.Model(inputs, outputs, name="recurrent"), seed)


def conv_bn_stack(seed=17):
    """Two 3x3 convolutions with folded batch norms on a small feature map (outputs smaller than
    the kernels: per_channel's Mul runs after the conv), the first + ReLU (fused, commutes with
    the scale), the second + ReLU6 (split off after the Mul), then a 1x1 conv and a Dense head."""
    keras = _keras()
    from keras import layers
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((4, 4, 16)),
        layers.Conv2D(32, 3, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.ReLU(),
        layers.Conv2D(32, 3, padding="same"),
        layers.BatchNormalization(),
        layers.Activation("relu6"),
        layers.Conv2D(16, 1),
        layers.GlobalAveragePooling2D(),
        layers.Dense(4),
    ], name="conv_bn_stack")
    return _randomise(model, seed)


KERAS_GRAPH_ONLY = {"lambda_layer": lambda_layer, "custom_layer": custom_layer, "attention": attention,
                    "depthwise_bn": depthwise_bn, "recurrent": recurrent, "conv_bn_stack": conv_bn_stack}
