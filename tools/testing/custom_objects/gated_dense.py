"""A custom Keras layer registered for `--custom_objects` (the file a user would pass):
`tfjs-export convert model.keras web/ --output_format tfjs_graph_model --custom_objects gated_dense.py`.
Standalone on purpose: it imports nothing of this project."""

import keras


@keras.saving.register_keras_serializable(package="tfjs_export_custom_objects")
class GatedDense(keras.layers.Layer):
    """y = (x @ kernel + bias) * sigmoid(x @ gate): a Dense with a learned gate."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(name="kernel", shape=(input_shape[-1], self.units))
        self.gate = self.add_weight(name="gate", shape=(input_shape[-1], self.units))
        self.bias = self.add_weight(name="bias", shape=(self.units,), initializer="zeros")

    def call(self, x):
        return (keras.ops.matmul(x, self.kernel) + self.bias) * keras.ops.sigmoid(keras.ops.matmul(x, self.gate))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        return {**super().get_config(), "units": self.units}
