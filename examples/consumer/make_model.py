"""Builds the consumer's own small Keras model and saves it: make_model.py OUT.keras

A tiny functional network (two inputs, BatchNormalization, a Concatenate, two heads) with fixed
seeds and randomised weights (biases and BatchNormalization statistics too), so a misplaced
weight changes the outputs. Runs as a build action (genrule :sensor_keras); nothing is committed.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402


def build():
    readings = keras.Input((12,), name="readings")
    context = keras.Input((4,), name="context")
    x = layers.Dense(16, activation="relu", name="encode")(readings)
    x = layers.BatchNormalization(name="norm")(x)
    x = layers.Concatenate(name="join")([x, context])
    x = layers.Dense(8, activation="tanh", name="hidden")(x)
    label = layers.Dense(3, activation="softmax", name="label")(x)
    score = layers.Dense(1, name="score")(x)
    return keras.Model([readings, context], [label, score], name="sensor")


def main(out_path):
    keras.utils.set_random_seed(11)
    model = build()
    rng = np.random.default_rng(11)
    values = []
    for variable in model.weights:
        value = rng.normal(0.0, 0.5, size=tuple(variable.shape)).astype("float32")
        if "variance" in variable.path:
            value = np.abs(value) + 0.5  # a variance must stay positive
        values.append(value)
    model.set_weights(values)
    model.save(out_path)


if __name__ == "__main__":
    if len(sys.argv) != 2 or not sys.argv[1].endswith(".keras"):
        sys.exit("usage: make_model.py OUT.keras")
    main(sys.argv[1])
