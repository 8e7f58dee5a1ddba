"""Small networks trained briefly on synthetic data, in code (fixed seeds): what quantisation is
measured on besides random weights (tools/per_channel_report.py). Trained weights and batch-norm
statistics differ per channel the way real ones do; random ones do not.

Each builder returns (model, held-out inputs, held-out labels). Training takes seconds on a CPU.
"""

import numpy as np

CLASSES = 6


def images(count, seed, size=32):
    """Colour images [count, size, size, 3] in [0, 1]: bars whose orientation (3) and colour
    channel pair (2) give one of 6 classes, in noise; labels int32."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 0.35, size=(count, size, size, 3)).astype("float32")
    labels = rng.integers(0, CLASSES, size=count).astype("int32")
    for image, label in zip(x, labels):
        orientation, colour = label % 3, label // 3
        at, width = rng.integers(3, size - 6), rng.integers(2, 4)
        mask = np.zeros((size, size), bool)
        if orientation == 0:
            mask[at:at + width, :] = True
        elif orientation == 1:
            mask[:, at:at + width] = True
        else:
            i = np.arange(size)
            for w in range(width):
                j = np.clip(i + at - size // 2 + w, 0, size - 1)
                mask[i, j] = True
        channels = (0, 1) if colour == 0 else (1, 2)
        for c in channels:
            image[..., c][mask] += rng.uniform(0.4, 0.7)
    return np.clip(x, 0, 1), labels


def token_sequences(count, seed, length=20, vocab=200):
    """Token ids [count, length] (int32, 1..vocab-1) and labels: which of 4 keyword groups
    (ids 1-8, 9-16, 17-24, 25-32) occurs most, the rest filler tokens."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, size=count).astype("int32")
    x = rng.integers(33, vocab, size=(count, length)).astype("int32")
    for row, label in zip(x, labels):
        positions = rng.choice(length, size=rng.integers(3, 7), replace=False)
        row[positions] = 1 + 8 * label + rng.integers(0, 8, size=positions.size)
        other = rng.choice(length, size=1)
        if other[0] not in positions:
            row[other] = 1 + 8 * ((label + 1) % 4) + rng.integers(0, 8)
    return x, labels


def _fit(model, x, y, epochs, seed):
    import keras
    keras.utils.set_random_seed(seed)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x, y, batch_size=64, epochs=epochs, verbose=0, shuffle=True)
    return model


def _image_classifier(name, body, seed, epochs):
    """Input (32, 32, 3) -> body(x) -> pooling -> softmax Dense, trained on `images`. Batch-norm
    momentum 0.9: with the default 0.99 a few epochs leave the moving statistics near their start."""
    import keras
    from keras import layers
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((32, 32, 3), name="image")
    x = layers.GlobalAveragePooling2D()(body(inputs, layers))
    model = keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(x), name=name)
    train_x, train_y = images(3000, seed)
    test_x, test_y = images(500, seed + 1)
    return _fit(model, train_x, train_y, epochs, seed), test_x, test_y


def cnn_bn(seed=31, epochs=4):
    """Conv2D + BatchNormalization + ReLU, three times, then pooling and a softmax Dense."""
    def body(x, layers):
        for filters in (16, 32, 48):
            x = layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=False)(x)
            x = layers.ReLU()(layers.BatchNormalization(momentum=0.9)(x))
        return x
    return _image_classifier("trained_cnn_bn", body, seed, epochs)


def mobilenet_style(seed=32, epochs=4):
    """MobileNet-style: a strided conv, then depthwise 3x3 + pointwise 1x1 blocks, each followed by
    BatchNormalization + ReLU6; pooling and a softmax Dense."""
    def body(x, layers):
        x = layers.Conv2D(16, 3, strides=2, padding="same", use_bias=False)(x)
        x = layers.ReLU(6.0)(layers.BatchNormalization(momentum=0.9)(x))
        for filters, stride in ((32, 1), (48, 2), (64, 2)):
            x = layers.DepthwiseConv2D(3, strides=stride, padding="same", use_bias=False)(x)
            x = layers.ReLU(6.0)(layers.BatchNormalization(momentum=0.9)(x))
            x = layers.Conv2D(filters, 1, use_bias=False)(x)
            x = layers.ReLU(6.0)(layers.BatchNormalization(momentum=0.9)(x))
        return x
    return _image_classifier("trained_mobilenet_style", body, seed, epochs)


def lstm_text(seed=33, epochs=4):
    """Embedding(200, 16) -> LSTM(32) -> softmax Dense(4) over 20 token ids."""
    import keras
    from keras import layers
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((20,), dtype="int32", name="tokens")
    x = layers.Embedding(200, 16)(inputs)
    x = layers.LSTM(32)(x)
    outputs = layers.Dense(4, activation="softmax")(x)
    model = keras.Model(inputs, outputs, name="trained_lstm_text")
    train_x, train_y = token_sequences(3000, seed)
    test_x, test_y = token_sequences(500, seed + 1)
    return _fit(model, train_x, train_y, epochs, seed), test_x, test_y


TRAINED = {"trained_cnn_bn": cnn_bn, "trained_mobilenet_style": mobilenet_style, "trained_lstm_text": lstm_text}
