"""Builds and briefly trains examples/bars_cnn.keras, the model the demo converts.

    .venv/bin/python examples/make_bars_cnn.py [OUT.keras]

Fixed seeds; trains for a few seconds on synthetic images (examples/bars.py), so its predictions
are confident and not trivial. The .keras file (~40 KB) is committed; rerun this to remake it.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import keras  # noqa: E402
from keras import layers  # noqa: E402

import bars  # noqa: E402


def build():
    """A small functional CNN using the layers the Layers path supports."""
    inputs = keras.Input((bars.SIZE, bars.SIZE, 1), name="image")
    x = layers.Conv2D(8, 3, padding="same", use_bias=False)(inputs)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    shortcut = x
    x = layers.Conv2D(8, 3, padding="same", activation="relu")(x)
    x = layers.Add()([x, shortcut])
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dropout(0.2)(x)
    outputs = layers.Dense(len(bars.CLASSES), activation="softmax", name="class_probs")(x)
    return keras.Model(inputs, outputs, name="bars_cnn")


def main(out_path):
    keras.utils.set_random_seed(7)
    model = build()
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    images, labels = bars.make_images(1200, seed=1)
    model.fit(images, labels, epochs=4, batch_size=32, verbose=2)
    test_images, test_labels = bars.make_images(300, seed=2)
    _, accuracy = model.evaluate(test_images, test_labels, verbose=0)
    print(f"held-out accuracy: {accuracy:.3f}")
    model.save(out_path)
    print(f"saved {out_path} ({os.path.getsize(out_path):,} bytes)")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "bars_cnn.keras"))
