"""Builds the consumer's source models from code and saves them: make_model.py OUT_DIR

Writes, with fixed seeds and randomised weights (biases and BatchNormalization statistics too, so
a misplaced weight changes the outputs):
    OUT_DIR/sensor.keras    two inputs, BatchNormalization, Concatenate, two heads (Layers format)
    OUT_DIR/sensor.h5       the same model in Keras' legacy HDF5 format
    OUT_DIR/text_gru.keras  token ids -> Embedding -> GRU (Keras' default reset_after=True, which
                            TF.js Layers refuses) -> the custom Scale layer -> softmax (Graph format)
    OUT_DIR/ranker/         a TensorFlow SavedModel (no Keras) whose signature is "rank" (Graph)
Runs as one build action (genrule :source_models): one TensorFlow start-up; nothing is committed.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from keras import layers  # noqa: E402

import my_layers  # noqa: E402


def sensor():
    readings = keras.Input((12,), name="readings")
    context = keras.Input((4,), name="context")
    x = layers.Dense(16, activation="relu", name="encode")(readings)
    x = layers.BatchNormalization(name="norm")(x)
    x = layers.Concatenate(name="join")([x, context])
    x = layers.Dense(8, activation="tanh", name="hidden")(x)
    label = layers.Dense(3, activation="softmax", name="label")(x)
    score = layers.Dense(1, name="score")(x)
    return keras.Model([readings, context], [label, score], name="sensor")


def text_gru():
    tokens = keras.Input((6,), dtype="int32", name="tokens")
    x = layers.Embedding(20, 8, name="embed")(tokens)
    x = layers.GRU(8, name="gru")(x)
    x = my_layers.Scale(name="scale")(x)
    sentiment = layers.Dense(2, activation="softmax", name="sentiment")(x)
    return keras.Model(tokens, sentiment, name="text_gru")


def randomise(model, rng):
    values = []
    for variable in model.weights:
        value = rng.normal(0.0, 0.5, size=tuple(variable.shape)).astype("float32")
        if "variance" in variable.path:
            value = np.abs(value) + 0.5  # a variance must stay positive
        values.append(value)
    model.set_weights(values)
    return model


class Ranker(tf.Module):
    """scores = sigmoid(relu(features @ w1 + b1) @ w2 + b2): plain TensorFlow, no Keras."""

    def __init__(self, rng):
        super().__init__()
        self.w1 = tf.Variable(rng.normal(0, 0.5, (5, 8)).astype("float32"))
        self.b1 = tf.Variable(rng.normal(0, 0.5, (8,)).astype("float32"))
        self.w2 = tf.Variable(rng.normal(0, 0.5, (8, 3)).astype("float32"))
        self.b2 = tf.Variable(rng.normal(0, 0.5, (3,)).astype("float32"))

    @tf.function(input_signature=[tf.TensorSpec([None, 5], tf.float32, name="features")])
    def rank(self, features):
        hidden = tf.nn.relu(tf.matmul(features, self.w1) + self.b1)
        return {"scores": tf.sigmoid(tf.matmul(hidden, self.w2) + self.b2)}


def main(out_dir):
    keras.utils.set_random_seed(11)
    rng = np.random.default_rng(11)
    sensor_model = randomise(sensor(), rng)
    sensor_model.save(os.path.join(out_dir, "sensor.keras"))
    sensor_model.save(os.path.join(out_dir, "sensor.h5"))
    randomise(text_gru(), rng).save(os.path.join(out_dir, "text_gru.keras"))
    ranker = Ranker(rng)
    tf.saved_model.save(ranker, os.path.join(out_dir, "ranker"), signatures={"rank": ranker.rank})


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_model.py OUT_DIR")
    main(sys.argv[1])
