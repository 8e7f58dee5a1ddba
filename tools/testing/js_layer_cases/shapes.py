"""Parity cases of src/shapes.js, src/normalization.js and src/gradients.js: the 1-D / 3-D layers
tfjs-layers lacks, Conv3DTranspose, Identity, ActivityRegularization, GroupNormalization,
UnitNormalization, RMSNormalization."""

from tools.testing.js_layer_cases import Case, randomise


def _keras(seed):
    import keras
    keras.utils.set_random_seed(seed)
    return keras, keras.layers


def conv1d(seed=801):
    """Conv1DTranspose (valid, same, strides), SeparableConv1D, DepthwiseConv1D (dilation,
    depth multiplier), Cropping1D, ZeroPadding1D, UpSampling1D."""
    keras, L = _keras(seed)
    x_in = keras.Input((10, 3))
    x = L.ZeroPadding1D((1, 2))(x_in)
    x = L.Conv1DTranspose(4, 3, strides=2, activation="tanh")(x)
    x = L.Conv1DTranspose(5, 4, strides=3, padding="same", use_bias=False)(x)
    x = L.Cropping1D((2, 3))(x)
    x = L.SeparableConv1D(6, 3, depth_multiplier=2, padding="same", activation="relu")(x)
    x = L.DepthwiseConv1D(3, dilation_rate=2, depth_multiplier=2)(x)
    x = L.DepthwiseConv1D(2, strides=2, padding="same", use_bias=False)(x)
    x = L.UpSampling1D(3)(x)
    x = L.SeparableConv1D(3, 2, strides=2, use_bias=False)(x)
    return randomise(keras.Model(x_in, x, name="conv1d_family"), seed, scale=0.4)


def volumes(seed=802):
    """Cropping3D, ZeroPadding3D, UpSampling3D, SpatialDropout3D, GlobalAveragePooling3D and
    GlobalMaxPooling3D (keepdims too), channels_last and channels_first."""
    keras, L = _keras(seed)
    x_in = keras.Input((4, 5, 6, 2))
    x = L.ZeroPadding3D(((1, 0), (0, 2), (1, 1)))(x_in)
    x = L.Conv3D(3, 2)(x)
    x = L.Cropping3D(((0, 1), (1, 1), (2, 0)))(x)
    x = L.UpSampling3D((1, 2, 2))(x)
    x = L.SpatialDropout3D(0.3)(x)
    first = L.Permute((4, 1, 2, 3))(x)
    outs = [L.GlobalAveragePooling3D()(x), L.GlobalMaxPooling3D(keepdims=True)(x),
            L.GlobalAveragePooling3D(data_format="channels_first", keepdims=True)(first),
            L.GlobalMaxPooling3D(data_format="channels_first")(first),
            L.UpSampling3D(2, data_format="channels_first")(first),
            L.ZeroPadding3D(1, data_format="channels_first")(first),
            L.Cropping3D(1, data_format="channels_first")(L.ZeroPadding3D(1, data_format="channels_first")(first))]
    return randomise(keras.Model(x_in, outs, name="volumes"), seed)


def conv3d_transpose(seed=805):
    """Conv3DTranspose (ours for its gradient, src/gradients.js): valid and same padding,
    strides, no bias (TensorFlow's CPU kernels have no channels_first 3-D convolution)."""
    keras, L = _keras(seed)
    x_in = keras.Input((3, 4, 3, 2))
    x = L.Conv3DTranspose(3, 2, strides=2, activation="tanh")(x_in)
    x = L.Conv3DTranspose(2, 3, strides=(1, 2, 1), padding="same", use_bias=False)(x)
    y = L.Conv3DTranspose(2, (2, 1, 3), strides=(2, 1, 1))(x_in)
    return randomise(keras.Model(x_in, [x, y], name="conv3d_transpose"), seed, scale=0.4)


def weightless(seed=803):
    """SpatialDropout2D, Identity, ActivityRegularization between convolutions."""
    keras, L = _keras(seed)
    x_in = keras.Input((8, 8, 3))
    x = L.Conv2D(4, 3)(x_in)
    x = L.SpatialDropout2D(0.5)(x)
    x = L.Identity()(x)
    x = L.ActivityRegularization(l1=0.01, l2=0.02)(x)
    x = L.Conv2D(2, 3)(x)
    return randomise(keras.Model(x_in, L.Flatten()(x), name="weightless"), seed)


def normalizations(seed=804):
    """GroupNormalization (groups of 2 and 4 channels, no center / no scale, axis 1 of a
    channels_first map), UnitNormalization (one and two axes), RMSNormalization (last axis and
    two axes)."""
    keras, L = _keras(seed)
    x_in = keras.Input((6, 5, 8))
    x = L.Conv2D(8, 3, padding="same")(x_in)
    a = L.GroupNormalization(groups=4)(x)
    b = L.GroupNormalization(groups=2, center=False, epsilon=1e-5)(x)
    c = L.GroupNormalization(groups=8, scale=False, axis=1)(L.Permute((3, 1, 2))(x))
    d = L.UnitNormalization()(x)
    e = L.UnitNormalization(axis=(1, 2))(x)
    f = L.RMSNormalization()(x)
    g = L.RMSNormalization(axis=(2, 3), epsilon=1e-4)(x)
    return randomise(keras.Model(x_in, [a, b, c, d, e, f, g], name="normalizations"), seed)


CASES = [
    Case("conv1d_family", conv1d, classes=("Conv1DTranspose", "SeparableConv1D", "DepthwiseConv1D", "Cropping1D",
                                           "ZeroPadding1D", "UpSampling1D")),
    Case("volumes", volumes, classes=("Cropping3D", "ZeroPadding3D", "UpSampling3D", "SpatialDropout3D",
                                      "GlobalAveragePooling3D", "GlobalMaxPooling3D")),
    Case("conv3d_transpose", conv3d_transpose, classes=("Conv3DTranspose",)),
    Case("weightless", weightless, classes=("SpatialDropout2D", "Identity", "ActivityRegularization")),
    Case("normalizations", normalizations, classes=("GroupNormalization", "UnitNormalization", "RMSNormalization")),
]
