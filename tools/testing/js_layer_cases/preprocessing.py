"""Parity cases of src/preprocessing.js: Keras-exact Resizing and CenterCrop, and the
augmentation layers (identities at inference), in the issue's models and configurations."""

import numpy as np

from tfjs_export.converter.layers_config.layer_table import AUGMENTATION
from tools.testing import keras_zoo
from tools.testing.js_layer_cases import Case, randomise


def _keras(seed):
    import keras
    keras.utils.set_random_seed(seed)
    return keras, keras.layers


def _images(model, seed):
    """Pixel-like inputs in [0, 255) (what image models are fed)."""
    rng = np.random.default_rng(seed)
    return [rng.uniform(0, 255, size=(3,) + tuple(t.shape[1:])).astype("float32") for t in model.inputs]


def augmented_cnn(seed=701):
    """The issue's CNN: RandomFlip, RandomRotation, RandomZoom augmentation, then SeparableConv2D."""
    keras, L = _keras(seed)
    model = keras.Sequential([
        keras.Input((16, 16, 3)),
        L.RandomFlip("horizontal"),
        L.RandomRotation(0.1),
        L.RandomZoom(0.1),
        L.Rescaling(1 / 255.0),
        L.SeparableConv2D(8, 3, activation="relu"),
        L.MaxPooling2D(),
        L.SeparableConv2D(8, 3, padding="same", activation="relu"),
        L.GlobalAveragePooling2D(),
        L.Dense(4),
    ], name="augmented_cnn")
    return randomise(model, seed, scale=0.3)


def every_augmentation(seed=702):
    """Every augmentation layer Keras 3 has, chained (each the identity at inference)."""
    keras, L = _keras(seed)
    x_in = keras.Input((12, 12, 3))
    x = L.RandomFlip()(x_in)
    x = L.RandomTranslation(0.1, 0.2, fill_mode="nearest")(x)
    x = L.RandomContrast(0.2)(x)
    x = L.RandomBrightness(0.1, value_range=(0, 255))(x)
    x = L.RandomCrop(8, 8)(x)  # Keras 3 crops only in training
    for layer in (L.RandomHue(0.1, value_range=(0, 255)), L.RandomSaturation(0.2, value_range=(0, 255)),
                  L.RandomSharpness(0.2, value_range=(0, 255)), L.RandomShear(0.1, 0.1), L.RandomGrayscale(0.2),
                  L.RandomInvert(0.3, value_range=(0, 255)), L.RandomPerspective(), L.RandomErasing(),
                  L.RandomGaussianBlur(), L.RandomElasticTransform(), L.RandomColorDegeneration(0.2),
                  L.RandomColorJitter(value_range=(0, 255), brightness_factor=0.1), L.RandomPosterization(4, value_range=(0, 255)),
                  L.Solarization(0.1, value_range=(0, 255)), L.AugMix(value_range=(0, 255)), L.RandAugment(value_range=(0, 255)),
                  L.CutMix(), L.MixUp()):
        x = layer(x)
    x = L.Conv2D(4, 3, strides=2)(L.Rescaling(1 / 127.5, offset=-1)(x))
    return randomise(keras.Model(x_in, L.Flatten()(x), name="every_augmentation"), seed, scale=0.3)


def resizing(seed=703):
    """Resizing up and down, bilinear and nearest, crop_to_aspect_ratio, pad_to_aspect_ratio,
    channels_first; CenterCrop of even and odd margins and of a smaller input (smart resize)."""
    keras, L = _keras(seed)
    x_in = keras.Input((9, 12, 3))
    outs = [L.Resizing(5, 7)(x_in), L.Resizing(14, 17)(x_in), L.Resizing(6, 5, interpolation="nearest")(x_in),
            L.Resizing(13, 20, interpolation="nearest")(x_in), L.Resizing(6, 6, crop_to_aspect_ratio=True)(x_in),
            L.Resizing(8, 4, pad_to_aspect_ratio=True, fill_value=7.0)(x_in),
            L.Resizing(4, 5, data_format="channels_first")(L.Permute((3, 1, 2))(x_in)),
            L.CenterCrop(5, 8)(x_in), L.CenterCrop(6, 7)(x_in), L.CenterCrop(11, 10)(x_in),
            L.CenterCrop(2, 2, data_format="channels_first")(L.Permute((3, 1, 2))(x_in))]
    return keras.Model(x_in, outs, name="resizing")


def preprocessing_model(seed=704):
    """The zoo's preprocessing pipeline extended as the issue asks: Rescaling, Normalization
    (adapted), Resizing and CenterCrop before a small CNN."""
    keras, L = _keras(seed)
    norm = keras_zoo.adapted_normalization(L, seed, (20, 24, 3))
    x_in = keras.Input((20, 24, 3))
    x = L.Resizing(16, 16)(norm(L.Rescaling(1 / 4.0, offset=0.5)(x_in)))
    x = L.GlobalAveragePooling2D()(L.Conv2D(4, 3)(L.CenterCrop(12, 12)(x)))
    model = keras.Model(x_in, L.Dense(3)(x), name="preprocessing_pipeline")
    return keras_zoo.randomise_keeping_statistics(model, norm, lambda m: randomise(m, seed, scale=0.3))


CASES = [
    Case("augmented_cnn", augmented_cnn, classes=("RandomFlip", "RandomRotation", "RandomZoom"), inputs=_images),
    Case("every_augmentation", every_augmentation, inputs=_images,
         classes=tuple(c for c in AUGMENTATION if c not in ("RandomRotation", "RandomZoom"))),  # (augmented_cnn's)
    Case("resizing", resizing, classes=("Resizing", "CenterCrop"), inputs=_images, trainable=False),
    Case("preprocessing_pipeline", preprocessing_model, classes=("Resizing", "CenterCrop")),
]
