"""Small Keras 3 models built in code (fixed seeds) for tests and parity runs.

Weights are random but *not* initialiser defaults: biases, BatchNormalization statistics and
scales are randomised too, so a misplaced or mis-decoded weight changes the outputs.
"""

import numpy as np


def _randomise(model, seed):
    rng = np.random.default_rng(seed)
    values = []
    for variable in model.weights:
        shape = tuple(variable.shape)
        value = rng.normal(0.0, 0.5, size=shape).astype("float32")
        if "variance" in variable.path:
            value = np.abs(value) + 0.5  # a variance must stay positive
        values.append(value)
    model.set_weights(values)
    return model


def mlp(seed=1):
    """Sequential: Input -> Dense(relu) -> Dropout -> Dense(softmax)."""
    import keras
    from keras import layers
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((8,)),
        layers.Dense(16, activation="relu"),
        layers.Dropout(0.25),
        layers.Dense(3, activation="softmax"),
    ], name="mlp")
    return _randomise(model, seed)


def cnn_sequential(seed=2):
    """Sequential CNN: Conv2D -> MaxPooling2D -> Conv2D -> AveragePooling2D -> Flatten -> Dense."""
    import keras
    from keras import layers
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input((10, 10, 3)),
        layers.Conv2D(6, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(4, 3, strides=1, padding="valid"),
        layers.AveragePooling2D(2, padding="same"),
        layers.Flatten(),
        layers.Dense(5),
    ], name="cnn_sequential")
    return _randomise(model, seed)


def cnn_functional(seed=3):
    """Functional CNN with BatchNormalization, ReLU, a residual Add, a Concatenate branch,
    Activation and GlobalAveragePooling2D."""
    import keras
    from keras import layers
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((12, 12, 3), name="image")
    x = layers.Conv2D(8, 3, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU(max_value=6.0)(x)
    y = layers.Conv2D(8, 1)(x)
    x = layers.Add()([x, y])
    z = layers.Conv2D(4, 3, padding="same", activation="tanh")(inputs)
    x = layers.Concatenate()([x, z])
    x = layers.MaxPooling2D()(x)
    x = layers.Activation("sigmoid")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.1)(x)
    outputs = layers.Dense(4, activation="softmax", name="probs")(x)
    return _randomise(keras.Model(inputs, outputs, name="cnn_functional"), seed)


def two_in_two_out(seed=4):
    """Functional model with two inputs and two outputs (order matters in TF.js)."""
    import keras
    from keras import layers
    keras.utils.set_random_seed(seed)
    a = keras.Input((6,), name="a")
    b = keras.Input((4,), name="b")
    h = layers.Concatenate()([layers.Dense(5, activation="relu")(a), layers.Dense(5)(b)])
    h = layers.BatchNormalization()(h)
    out_1 = layers.Dense(2, name="first")(h)
    out_2 = layers.Dense(3, activation="softmax", name="second")(h)
    return _randomise(keras.Model([a, b], [out_1, out_2], name="two_in_two_out"), seed)


ZOO = {"mlp": mlp, "cnn_sequential": cnn_sequential, "cnn_functional": cnn_functional,
       "two_in_two_out": two_in_two_out}


def sample_inputs(model, batch=3, seed=0):
    """Random float32 inputs for every model input, in model input order."""
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(batch,) + tuple(t.shape[1:])).astype("float32") for t in model.inputs]
