"""Trained-like batch-norm parameters for random-weight models (the quantisation reports' "+bn"
variants).

A random-weight zoo model has near-identity batch norms (gamma ~ 1, statistics ~ 0 / 1), so the
scales folded into its convolutions are alike across channels, which no trained network's are:
per-channel quantisation then has little to win. This gives each BatchNormalization what
training leaves in it, without training:
- moving mean / variance: the statistics of the layer's actual input (per channel, over a
  calibration batch of standard-normal inputs, layer by layer in order, each layer's input
  computed with the statistics set before it), as the running averages of training converge to;
- gamma: exp(N(0, GAMMA_SIGMA)) per channel (log-normal: channels differ in scale by ~2.7x at
  one sigma), beta: N(0, BETA_SIGMA).
The distributions are fixed here once, not tuned to a result (BENCHMARKS.md reports both the
zoo's own parameters and these).
"""

import numpy as np

GAMMA_SIGMA = 1.0
BETA_SIGMA = 0.2
CALIBRATION_SAMPLES = 16


def _batch_norms(model):
    """The model's BatchNormalization layers in call order (nested models' included)."""
    found = []
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            found.append(layer)
        elif hasattr(layer, "layers"):
            found.extend(_batch_norms(layer))
    return found


def trained_like_statistics(model, seed=1):
    """Set every BatchNormalization of the functional `model` (Keras 3 or tf_keras) as the
    module docstring says, in place; return the model. `seed`: the calibration inputs and the
    gammas/betas (1: not the reports' evaluation inputs, drawn with seed 0)."""
    keras = _keras_of(model)
    rng = np.random.default_rng(seed)
    shape = (CALIBRATION_SAMPLES,) + tuple(model.inputs[0].shape[1:])
    x = rng.normal(size=shape).astype("float32")
    layers = _batch_norms(model)
    # One model whose outputs are every batch norm's input, run once per layer: it reads the
    # variables as they are at each call, so layer i sees the statistics set before it.
    probe = keras.Model(model.inputs, [layer.input for layer in layers])
    for i, layer in enumerate(layers):
        axis = layer.axis if isinstance(layer.axis, int) else layer.axis[0]
        outputs = probe(x, training=False)
        h = np.asarray(outputs[i] if len(layers) > 1 else outputs, np.float64)  # one output: not a list
        reduce = tuple(a for a in range(h.ndim) if a != axis % h.ndim)
        channels = h.shape[axis]
        values = {"gamma": np.exp(rng.normal(0, GAMMA_SIGMA, channels)),
                  "beta": rng.normal(0, BETA_SIGMA, channels),
                  "moving_mean": h.mean(axis=reduce), "moving_variance": h.var(axis=reduce)}
        for variable in layer.weights:
            name = getattr(variable, "path", variable.name).split("/")[-1].split(":")[0]
            if name in values:
                variable.assign(values[name].astype("float32"))
    return model


def _keras_of(model):
    if type(model).__module__.startswith("tf_keras"):
        import tf_keras
        return tf_keras
    import keras
    return keras
