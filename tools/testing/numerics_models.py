"""Small Keras 3 models for the numerics tests (fixed seeds): layers under low-precision dtype
policies, bfloat16 weights, and models quantised by Keras itself (`model.quantize(mode)`)."""

POLICIES = ("mixed_float16", "mixed_bfloat16", "float16", "bfloat16")
QUANTIZATION_MODES = ("int8", "int4", "float8")


def policy_model(policy, seed=1):
    """Conv2D + BatchNormalization + Dense under `policy`, with a float32 Dense head (the usual
    mixed-precision recipe). The global policy is restored afterwards."""
    import keras
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(policy)
    try:
        keras.utils.set_random_seed(seed)
        inputs = keras.Input((6, 6, 3), name="image")
        x = keras.layers.Conv2D(4, 3, activation="relu", name="conv")(inputs)
        x = keras.layers.BatchNormalization(name="norm")(x)
        x = keras.layers.Flatten(name="flat")(x)
        x = keras.layers.Dense(8, activation="tanh", name="hidden")(x)
        outputs = keras.layers.Dense(3, dtype="float32", name="head")(x)
        model = keras.Model(inputs, outputs, name=f"policy_{policy}")
    finally:
        keras.mixed_precision.set_global_policy(previous)
    _randomise_norm(model.get_layer("norm"))
    return model


def bfloat16_dense_model(seed=2):
    """A float32 Dense followed by a `Dense(4, dtype="bfloat16")`: bfloat16 variables in the file."""
    import keras
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((5,), name="x")
    x = keras.layers.Dense(6, activation="relu", name="dense")(inputs)
    outputs = keras.layers.Dense(4, dtype="bfloat16", name="bf16")(x)
    return keras.Model(inputs, outputs, name="bfloat16_dense")


def quantized_model(mode, seed=3, einsum=False, block_size=None):
    """Embedding + Flatten + Dense(relu) + Dense (or EinsumDense, Graph format only), quantised by
    `model.quantize(mode)`; int4 with `block_size` (None: Keras' default, 128)."""
    import keras
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((5,), dtype="int32", name="ids")
    x = keras.layers.Embedding(10, 8, name="embed")(inputs)
    x = keras.layers.Flatten(name="flat")(x)
    x = keras.layers.Dense(7, activation="relu", name="hidden")(x)
    if einsum:
        outputs = keras.layers.EinsumDense("ab,bc->ac", output_shape=4, bias_axes="c", name="out")(x)
    else:
        outputs = keras.layers.Dense(4, name="out")(x)
    model = keras.Model(inputs, outputs, name=f"quantized_{mode}")
    config = None
    if mode == "int4" and block_size is not None:
        config = keras.quantizers.Int4QuantizationConfig(block_size=block_size)
    model.quantize(mode, config=config) if config is not None else model.quantize(mode)
    return model


def _randomise_norm(layer):
    """Moving statistics away from 0 / 1, so the batch norm changes the numbers."""
    import numpy as np
    rng = np.random.default_rng(7)
    values = [np.asarray(v) for v in layer.weights]
    gamma, beta, mean, variance = values
    layer.set_weights([rng.uniform(0.5, 1.5, gamma.shape), rng.normal(0, 0.2, beta.shape),
                       rng.normal(0, 0.2, mean.shape), rng.uniform(0.5, 2.0, variance.shape)])
