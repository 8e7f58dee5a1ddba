"""The consumer's own Keras layer: registered with Keras when this file runs.

Keras stores a custom layer in a .keras file by its registered name only, so whoever loads the
model (make_model.py here; the converter and the parity test through `custom_objects`) must run
this file first.
"""

import keras


@keras.saving.register_keras_serializable(package="consumer")
class Scale(keras.layers.Layer):
    """Multiplies each feature by a learned factor."""

    def build(self, input_shape):
        self.factor = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="factor")

    def call(self, inputs):
        return inputs * self.factor
