"""Synthetic 'bars' images for the example model: 16x16 grey images holding one horizontal,
vertical or diagonal bar in noise. Deterministic for a given seed; no data set is downloaded."""

import numpy as np

CLASSES = ("horizontal", "vertical", "diagonal")
SIZE = 16


def make_images(count, seed):
    """Return (images float32 [count, 16, 16, 1] in [0, 1], labels int32 [count])."""
    rng = np.random.default_rng(seed)
    images = rng.uniform(0.0, 0.3, size=(count, SIZE, SIZE)).astype("float32")
    labels = rng.integers(0, len(CLASSES), size=count).astype("int32")
    for image, label in zip(images, labels):
        at, width = rng.integers(2, SIZE - 4), rng.integers(1, 3)
        if label == 0:
            image[at:at + width, :] += 0.7
        elif label == 1:
            image[:, at:at + width] += 0.7
        else:
            shift = rng.integers(-4, 5)
            for i in range(SIZE):
                j = i + shift
                if 0 <= j < SIZE:
                    image[i, j:j + width] += 0.7
    return np.clip(images, 0.0, 1.0)[..., None], labels
