"""A tiny custom Keras layer (a Dense scaled by a constant) and a model using it: the example
for `convert --allow_custom_layers` (its JS twin: runtime_tests/custom_layers/scaled_dense.js)."""

import numpy as np


def scaled_dense_class():
    """The ScaledDense layer class, registered with Keras' serialisation (defined on demand so
    importing this module does not import Keras)."""
    import keras

    @keras.saving.register_keras_serializable(package="tfjs_export_example")
    class ScaledDense(keras.layers.Layer):
        """y = scale * (x @ kernel + bias)."""

        def __init__(self, units, scale=1.0, **kwargs):
            super().__init__(**kwargs)
            self.units, self.scale = units, scale

        def build(self, input_shape):
            self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units))
            self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

        def call(self, x):
            return self.scale * (keras.ops.matmul(x, self.kernel) + self.bias)

        def compute_output_shape(self, input_shape):
            return tuple(input_shape[:-1]) + (self.units,)

        def get_config(self):
            return {**super().get_config(), "units": self.units, "scale": self.scale}

    return ScaledDense


def scaled_dense_model(seed=31):
    """Dense -> ScaledDense(scale=-1.5) -> Dense, with random weights (biases non-zero)."""
    import keras
    keras.utils.set_random_seed(seed)
    ScaledDense = scaled_dense_class()
    x_in = keras.Input((6,), name="x")
    x = keras.layers.Dense(5, activation="tanh")(x_in)
    x = ScaledDense(4, scale=-1.5, name="scaled_dense")(x)
    model = keras.Model(x_in, keras.layers.Dense(3)(x), name="with_custom_layer")
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0, 0.5, size=w.shape).astype("float32") for w in model.get_weights()])
    return model
