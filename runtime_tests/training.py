"""The training check: a converted Layers model trains in TF.js as the Keras model does.

For a Keras model and a fixed batch of inputs (a *case*), `prepare` converts the model to
Layers and writes a training case: fixed random targets (seeded), the loss being the sum over
outputs of the mean squared error. `run` computes, in tfjs-node (runtime_tests/training.js, one
Node process for every case):

  1. the loss and its gradients for every trainable weight in inference mode
     (`tf.variableGrads`), which `check` compares with Keras' (TensorFlow backend,
     `tf.GradientTape` over `model(x, training=False)`): per weight,
     max|g_tfjs - g_keras| <= GRAD_TOL x max|g_keras| + ABS_FLOOR;
  2. `model.fit` for STEPS epochs of the one batch, SGD at LEARNING_RATE, no shuffling (training
     mode: batch statistics, moving averages updated), against Keras' `fit` on the same batch:
     the loss of each step, the inference-mode loss after the last step and the change of every
     trainable weight must agree within FIT_TOL (scaled), and the loss must go down.

Random layers cannot draw the same numbers in two runtimes, so the model both runtimes train is
the source model with its dropout and noise rates set to 0 (`deterministic_copy`: same weights;
in inference mode it computes what the source model does). A model with random augmentation
layers (Random*) gets the inference-mode gradient check only: in training mode Keras augments at
random and TF.js (our classes) does not, and `fit` would compare two random draws (so does a
model Keras' own `fit` cannot train with this loss, and a model whose outputs carry a mask: Keras'
`fit` leaves masked steps out of the loss, TF.js' `fit` counts them, a difference of the two
runtimes' training loops that no converter can remove).

Outputs that are not float (comparisons, argmax, casts to int) have no gradient in either
runtime, and a squared error on a bool is no loss: both runtimes train the model of the float
outputs (the same layers and weights; `float_outputs`).

Weights are matched through their values (the converter gives each TF.js weight the source
array it came from), so renamed and nested layers need no name mapping here.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from runtime_tests import parity

STEPS = 3
LEARNING_RATE = 0.01
GRAD_TOL = 1e-4   # the bound: gradients within 1e-4, scaled by each tensor's largest
FIT_TOL = 1e-4    # losses and weight changes after STEPS steps, same scaling
ABS_FLOOR = 1e-6  # float32 noise of a gradient that is 0 in exact arithmetic (a bias before a
                  # batch norm in training mode, an unused key bias of attention): seen up to 2.1e-7
# Layer config keys that make a layer draw random numbers in training mode.
_RANDOM_RATES = ("rate", "dropout", "recurrent_dropout", "stddev")
_RANDOM_RATE_CLASSES = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
                        "GaussianNoise", "GaussianDropout", "AlphaDropout"}


@dataclass
class Prepared:
    """A training case on disk and what Keras computed for it (weights keyed by manifest name)."""
    name: str
    case_dir: Path
    learning_rate: float
    loss: float                  # inference mode
    grads: dict
    loss_training: float | None  # training mode; None: not compared (random augmentation layers)
    grads_training: dict | None
    initial: dict                # trainable weights before fit
    fit_losses: list = field(default_factory=list)
    loss_after: float | None = None
    weights_after: dict = field(default_factory=dict)
    fit_skipped: str | None = None  # why fit is not compared (random augmentation layers)


def _is_layer_class(name):
    import keras
    cls = getattr(keras.layers, name, None) if isinstance(name, str) else None
    return isinstance(cls, type) and issubclass(cls, keras.layers.Layer)


def _walk_layers(config):
    """Every {"class_name", "config"} dict of a Keras layer in a model config (nested models,
    wrapped layers; initialisers and regularisers have the same shape and are left out)."""
    if isinstance(config, dict):
        if isinstance(config.get("config"), dict) and _is_layer_class(config.get("class_name")):
            yield config
        for value in config.values():
            yield from _walk_layers(value)
    elif isinstance(config, list):
        for value in config:
            yield from _walk_layers(value)


def deterministic_copy(model):
    """(copy of `model` with dropout/noise rates 0 and the same weights, names of random
    augmentation layers it still holds). Inference is unchanged: those rates act in training only."""
    config = model.get_config()
    augmentation = []
    changed = False
    for layer in _walk_layers(config):
        cls, cfg = layer["class_name"], layer["config"]
        if cls.startswith("Random"):
            augmentation.append(cls)
        for key in _RANDOM_RATES:
            if (key in cfg and (key != "rate" or cls in _RANDOM_RATE_CLASSES)
                    and isinstance(cfg[key], (int, float)) and cfg[key] != 0):
                cfg[key] = 0.0
                changed = True
    if not changed:  # (some Keras layers do not survive from_config: RandomShear)
        return model, sorted(set(augmentation))
    copy = type(model).from_config(config)
    copy.set_weights(model.get_weights())
    return copy, sorted(set(augmentation))


def _value_key(array):
    array = np.ascontiguousarray(array, dtype=np.float32)
    return array.shape, hash(array.tobytes())


def manifest_names(model, src, model_dir):
    """{id(keras variable): manifest weight name} for the trainable variables of `model` (saved as
    `src`, converted into `model_dir`), matched by value; ValueError when a value is ambiguous or
    a trainable variable has no TF.js weight."""
    from tfjs_export.converter.model_dir import read_model_dir
    from tfjs_export.converter.readers import read_model
    in_manifest = set(read_model_dir(str(model_dir)).read_weights())
    by_value = {}
    for weight in read_model(str(src)).weights:
        if weight.name in in_manifest:
            key = _value_key(weight.array)
            by_value.setdefault(key, set()).add(weight.name)
    names = {}
    for variable in model.trainable_variables:
        # (a TF.js weight named as the variable's path is that variable: equal values, such as
        # two zero biases, are then no ambiguity)
        candidates = {variable.path} if variable.path in in_manifest else by_value.get(_value_key(np.asarray(variable)), set())
        if len(candidates) != 1:
            raise ValueError(f"{src}: trainable variable {variable.path} matches TF.js weights {sorted(candidates)}")
        names[id(variable)] = candidates.pop()
    return names


def _targets(model, inputs, seed):
    rng = np.random.default_rng(seed)
    outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return [np.asarray(o) for o in outputs], [rng.normal(size=np.shape(o)).astype("float32") for o in outputs]


def _keras_loss_and_grads(model, inputs, targets, training=False):
    import tensorflow as tf
    with tf.GradientTape() as tape:
        predictions = model(inputs if len(inputs) > 1 else inputs[0], training=training)
        predictions = predictions if isinstance(predictions, (list, tuple)) else [predictions]
        loss = tf.add_n([tf.reduce_mean(tf.square(p - t)) for p, t in zip(predictions, targets)])
    grads = tape.gradient(loss, model.trainable_variables)
    return float(loss), [np.asarray(tf.convert_to_tensor(g)) for g in grads]


def _keras_fit(model, inputs, targets, learning_rate):
    """(loss of each step, inference loss after, weight values after) for STEPS SGD steps."""
    import keras
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=learning_rate), loss="mse")
    batch = len(inputs[0])
    x = inputs if len(inputs) > 1 else inputs[0]
    y = targets if len(targets) > 1 else targets[0]
    history = model.fit(x, y, batch_size=batch, epochs=STEPS, shuffle=False, verbose=0)
    after, _ = _keras_loss_and_grads(model, inputs, targets)
    return [float(v) for v in history.history["loss"]], after, [np.asarray(v) for v in model.trainable_variables]


def _masked_outputs(model, inputs):
    """Whether a model output carries a Keras mask (from Embedding(mask_zero=True), Masking...)."""
    outputs = model(inputs if len(inputs) > 1 else inputs[0], training=False)
    return any(getattr(o, "_keras_mask", None) is not None
               for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs]))


def _learning_rate(loss, grads):
    """The fixed SGD rate: LEARNING_RATE, lowered so that a first-order step removes at most a
    tenth of the loss (lr x |g|^2 <= loss / 10): large-output models would diverge otherwise."""
    norm = sum(float(np.sum(np.square(g))) for g in grads)
    return min(LEARNING_RATE, 0.1 * loss / norm) if norm > 0 else LEARNING_RATE


def float_outputs(model):
    """The indices of `model`'s float outputs: the others (comparisons, argmax, casts to int)
    have no gradient, and a squared error on them is no loss."""
    return [i for i, t in enumerate(model.outputs) if "float" in str(t.dtype)]


def _trained_model(model, kept):
    """`model`, or the model of its outputs `kept` (same layers and weights) when it has others."""
    import keras
    if len(kept) == len(model.outputs):
        return model
    return keras.Model(model.inputs, [model.outputs[i] for i in kept], name=model.name)


def prepare(name, model, inputs, work_dir, seed=0) -> Prepared:
    """Converts `model` (fed `inputs`, in model.inputs order) to Layers under work_dir/name and
    computes Keras' side; the TF.js side is `run`'s. Both runtimes train the model of the float
    outputs (float_outputs)."""
    from tfjs_export.converter import convert
    model, augmentation = deterministic_copy(model)
    case_dir = Path(work_dir) / name
    src = Path(work_dir) / f"{name}.keras"
    model.save(src)
    convert(str(src), str(case_dir / "model"))
    kept = float_outputs(model)
    model = _trained_model(model, kept)
    names = manifest_names(model, src, case_dir / "model")
    variables = model.trainable_variables
    keyed = lambda arrays: {names[id(v)]: np.asarray(a) for v, a in zip(variables, arrays)}  # noqa: E731
    outputs, targets = _targets(model, inputs, seed)
    output_names = [t._keras_history[0].name for t in model.outputs]
    parity.write_case(case_dir, case_dir / "model" / "model.json", inputs, outputs, name=name,
                      input_names=[t.name for t in model.inputs], output_names=output_names,
                      atol=1e-5, rtol=1e-5, why="float32 rounding only")
    loss, grads = _keras_loss_and_grads(model, inputs, targets)
    loss_training, grads_training = None, None
    if not augmentation:  # (Keras augments at random in training mode: RandomCrop changes the shape)
        state = model.get_weights()  # a training-mode call moves the batch norms' moving averages
        loss_training, grads_training = _keras_loss_and_grads(model, inputs, targets, training=True)
        model.set_weights(state)
    rate = _learning_rate(loss, grads) if augmentation else _learning_rate(loss_training, grads_training)
    prepared = Prepared(name, case_dir, rate, loss, keyed(grads), loss_training,
                        None if augmentation else keyed(grads_training), keyed([np.asarray(v) for v in variables]))
    if augmentation:
        prepared.fit_skipped = f"random augmentation layers {', '.join(augmentation)}"
    elif _masked_outputs(model, inputs):
        prepared.fit_skipped = ("an output carries a mask: Keras' fit leaves masked steps out of the "
                                "loss, TF.js' fit does not")
    else:
        try:
            prepared.fit_losses, prepared.loss_after, after = _keras_fit(model, inputs, targets, prepared.learning_rate)
            prepared.weights_after = keyed(after)
        except ValueError as err:  # e.g. an output without a batch axis (keras.ops.ravel)
            prepared.fit_skipped = f"Keras' own fit fails: {str(err).splitlines()[0][:200]}"
    entries = []
    for i, (out_name, target) in enumerate(zip(output_names, targets)):
        (case_dir / f"target_{i}.bin").write_bytes(target.astype("<f4").tobytes())
        entries.append({"name": out_name, "file": f"target_{i}.bin", "shape": list(target.shape)})
    (case_dir / "training.json").write_text(json.dumps(
        {"targets": entries, "outputs": kept, "steps": STEPS, "learning_rate": prepared.learning_rate,
         "training_mode": not augmentation, "fit": prepared.fit_skipped is None}, indent=2) + "\n")
    return prepared


def run(*prepared: Prepared, timeout: float = 900):
    """Runs runtime_tests/training.js over the cases in one tfjs-node process."""
    runtime = parity.find_runtime_dir()
    return parity.run_js(["training.js", *(str(p.case_dir.absolute()) for p in prepared)], cwd=runtime,
                         timeout=timeout, node_modules=runtime / "node_modules")


def _read(case_dir, entry):
    return np.fromfile(Path(case_dir) / entry["file"], dtype="<f4").reshape(entry["shape"])


def _max_abs(a):
    return float(np.max(np.abs(a), initial=0.0))


def _compare_weights(what, got_entries, case_dir, expected, bound, problems):
    """Appends to problems each weight of `expected` that got_entries (training.js' list) misses
    or holds farther off than bound(name); returns the largest error relative to max|expected|."""
    got = {g["name"]: _read(case_dir, g) for g in got_entries}
    if set(got) != set(expected):
        problems.append(f"{what}: trainable weights differ: TF.js only {sorted(set(got) - set(expected))}, "
                        f"Keras only {sorted(set(expected) - set(got))}")
    worst = 0.0
    for name in sorted(set(got) & set(expected)):
        err = _max_abs(got[name].reshape(expected[name].shape) - expected[name])
        worst = max(worst, err / max(_max_abs(expected[name]), 1e-30))
        if err > bound(name):
            problems.append(f"{what} of {name}: max_abs_err {err:.2e} > bound {bound(name):.2e}")
    return worst


def _close(got, expected, tol):
    return abs(got - expected) <= tol * abs(expected) + ABS_FLOOR


def check(p: Prepared) -> dict:
    """Compares training.js' result for `p` with Keras'; {problems: [...], ...} (no problems =
    pass), with the largest relative gradient errors and the loss curves for the report."""
    result = json.loads((p.case_dir / "training_result.json").read_text())
    if not result.get("ok"):
        return {"problems": [f"TF.js did not train: {result.get('error')}"]}
    problems = []
    losses = [("loss", result["loss"], p.loss)]
    if p.grads_training is not None:
        losses.append(("training-mode loss", result["loss_training"], p.loss_training))
    for what, got, expected in losses:
        if not _close(got, expected, FIT_TOL):
            problems.append(f"{what} {got:.7g} != Keras {expected:.7g}")
    summary = {"problems": problems, "weights": len(p.grads), "learning_rate": p.learning_rate,
               "fit_skipped": p.fit_skipped}
    modes = [("grads", "gradient", p.grads)]
    if p.grads_training is not None:  # (None: random augmentation, which Keras applies in training)
        modes.append(("grads_training", "training-mode gradient", p.grads_training))
    for key, what, expected in modes:
        if max(map(_max_abs, expected.values()), default=0.0) < 1e-6:
            problems.append(f"every Keras {what} is ~0: the comparison would prove nothing")
        summary[f"{key}_rel_err"] = _compare_weights(
            what, result[key], p.case_dir, expected,
            lambda name, e=expected: GRAD_TOL * _max_abs(e[name]) + ABS_FLOOR, problems)
    if p.fit_skipped is None:
        curve = result["fit_losses"] + [result["loss_after"]]
        keras_curve = p.fit_losses + [p.loss_after]
        summary.update(fit_losses=curve, keras_fit_losses=keras_curve)
        if len(curve) != len(keras_curve) or not all(_close(a, b, FIT_TOL) for a, b in zip(curve, keras_curve)):
            problems.append(f"fit losses {curve} != Keras {keras_curve}")
        if not p.fit_losses[-1] < p.fit_losses[0]:
            problems.append(f"Keras' loss did not go down in {STEPS} steps: {p.fit_losses}")
        # Bound: FIT_TOL x the weight's change in Keras, plus the float32 spacing of the weight
        # itself (a weight stored near 1 cannot hold a change below ~1e-7 exactly).
        eps = float(np.finfo(np.float32).eps)
        summary["fit_rel_err"] = _compare_weights(
            "weight after fit", result["weights_after"], p.case_dir, p.weights_after,
            lambda name: (FIT_TOL * _max_abs(p.weights_after[name] - p.initial[name])
                          + 4 * eps * _max_abs(p.initial[name]) + ABS_FLOOR), problems)
    return summary
