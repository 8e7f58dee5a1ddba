'use strict';
/**
 * The TF.js half of the training check (runtime_tests/training.py writes the cases and compares):
 *   node training.js CASE_DIR...
 * Each CASE_DIR is a parity case (case.json: the Layers model, its inputs by name) plus
 * training.json {targets: [{name, file, shape}], outputs, steps, learning_rate, training_mode}
 * (outputs: the indices of the model outputs trained, its float ones; training_mode false: no
 * training-mode gradients, for models with random augmentation layers; fit false: no fit, whose
 * result would not be compared). In the runtime of
 * converter/runtime/js/lib/tf.js (tfjs-node here), with the model directory's
 * tfjs-export-layers.js registered when it has one (lib/model.js), per case:
 *   1. the loss (sum over outputs of the mean squared error to the targets) and its gradients
 *      for every trainable weight, by tf.variableGrads, in inference mode (training: false) and
 *      in training mode (on a second copy of the model);
 *   2. `model.fit` for `steps` epochs of one full batch, SGD at the fixed learning rate, no
 *      shuffling: the loss of each step, then the inference-mode loss and the trainable weights
 *      after the last step.
 * Writes training_result.json ({ok, error?, loss, grads: [{name, file, shape}], loss_training,
 * grads_training, fit_losses, loss_after, weights_after: [{name, file, shape}]}) and the tensors
 * (grad_<i>.bin, grad_training_<i>.bin, after_<i>.bin: float32 little-endian). Weights are named as in the manifest (LayerVariable.originalName).
 * Exit code 1 when a case could not run.
 */
const fs = require('fs');
const path = require('path');
const {loadTf, readCase, readTensor} = require('../converter/runtime/js/lib');
const {loadModel} = require('../converter/runtime/js/lib/model');

/** The case's tensors for `names` (the model's input or output names), matched by name; in
 * case order when the names do not identify them (a Sequential's inputNames stay empty; a layer's
 * several outputs share its name; Keras' auto-named inputs are not the model's names). */
function byName(tf, names, specs, what) {
  const unique = (xs) => new Set(xs).size === xs.length;
  // (one layer's several outputs share its name: those are matched by position)
  const specNames = specs.map((s) => s.name);
  if (names.length !== specs.length || !unique(names) || !unique(specNames) ||
      !names.every((n) => specNames.includes(n))) {
    if (names.length !== 0 && names.length !== specs.length) {
      throw new Error(`the model has ${names.length} ${what}s, the case ${specs.length}`);
    }
    return specs.map((s) => tf.tensor(s.data, s.shape, s.dtype));
  }
  return names.map((n) => {
    const s = specs.find((x) => x.name === n);
    if (!s) throw new Error(`the model's ${what} ${n} is not in the case [${specs.map((x) => x.name)}]`);
    return tf.tensor(s.data, s.shape, s.dtype);
  });
}

function writeFloats(dir, file, tensor) {
  fs.writeFileSync(path.join(dir, file), Buffer.from(tensor.dataSync().buffer));
  return {file, shape: tensor.shape};
}

/** Sum over outputs of mean((prediction - target)^2): Keras' loss="mse", summed over outputs. */
function lossOf(tf, predictions, targets) {
  return tf.addN([].concat(predictions).map((p, i) => tf.losses.meanSquaredError(targets[i], p)));
}

/**
 * Keras' loss="mse" as a per-sample loss for model.fit: mean((y - target)^2) over every axis but
 * the batch's, shape [batch]. (tfjs-layers 4.22's fit adds the outputs' unreduced losses before
 * averaging them, so 'meanSquaredError', which reduces the last axis only, fails with
 * "Incompatible shapes" in a model whose outputs differ in shape; per-sample losses of every
 * output share the shape [batch], and their mean is the mean over all elements, Keras' value.)
 */
function perSampleMse(tf) {
  return (target, prediction) => tf.tidy(() => {
    const squared = tf.square(tf.sub(prediction, target));
    const axes = [...Array(squared.rank).keys()].slice(1);
    return axes.length ? tf.mean(squared, axes) : squared;
  });
}

/** `model`, or the model of its outputs `kept` (indices; same layers and weights) when it has
 * others: the non-float outputs, which have no gradient and no squared-error loss. */
function trainedModel(tf, model, kept) {
  if (kept == null || kept.length === model.outputs.length) return model;
  return tf.model({inputs: model.inputs, outputs: kept.map((i) => model.outputs[i])});
}

async function trainCase(tf, dir) {
  const c = readCase(dir);
  const spec = JSON.parse(fs.readFileSync(path.join(dir, 'training.json'), 'utf8'));
  const targetSpecs = spec.targets.map((t) => ({...t, dtype: 'float32',
    data: readTensor(path.join(dir, t.file), t.shape, 'float32')}));
  const loaded = await loadModel(tf, c);
  const model = trainedModel(tf, loaded, spec.outputs);
  const xs = byName(tf, model.inputNames, c.inputs, 'input');
  const ys = byName(tf, model.outputNames, targetSpecs, 'output');
  const feed = xs.length === 1 ? xs[0] : xs;
  const result = {name: c.name, ok: false};
  let fresh = null;
  try {
    // 1. Gradients in inference mode (dropout off, batch norms on their moving statistics) and
    // in training mode (batch statistics), the latter on a second copy: a training-mode call
    // updates the batch norms' moving averages, which the fit below must start without.
    const weights = model.trainableWeights;
    const gradients = (m, training, prefix) => {
      const ws = m.trainableWeights;
      const {value, grads} = tf.variableGrads(
          () => lossOf(tf, m.apply(feed, {training}), ys), ws.map((w) => w.read()));
      const loss = value.dataSync()[0];
      const entries = ws.map((w, i) => ({name: w.originalName,
        ...writeFloats(dir, `${prefix}_${i}.bin`, grads[w.read().name])}));
      value.dispose();
      Object.values(grads).forEach((g) => g.dispose());
      return {loss, entries};
    };
    ({loss: result.loss, entries: result.grads} = gradients(model, false, 'grad'));
    if (spec.training_mode !== false) {
      fresh = await loadModel(tf, c);
      ({loss: result.loss_training, entries: result.grads_training} =
        gradients(trainedModel(tf, fresh, spec.outputs), true, 'grad_training'));
    }

    // 2. A few SGD steps through model.fit (training mode), one full batch per epoch; not for
    // the cases whose fit is not compared (fit false: Keras' own fails, random augmentation...).
    if (spec.fit === false) {
      result.ok = true;
      return result;
    }
    model.compile({optimizer: tf.train.sgd(spec.learning_rate), loss: perSampleMse(tf)});
    const history = await model.fit(feed, ys.length === 1 ? ys[0] : ys, {
      batchSize: xs[0].shape[0], epochs: spec.steps, shuffle: false, verbose: 0});
    result.fit_losses = history.history.loss.map(Number);
    const after = tf.tidy(() => lossOf(tf, model.predict(feed), ys));
    result.loss_after = after.dataSync()[0];
    after.dispose();
    result.weights_after = weights.map((w, i) => ({name: w.originalName,
      ...writeFloats(dir, `after_${i}.bin`, w.read())}));
    result.ok = true;
  } finally {
    xs.forEach((x) => x.dispose());
    ys.forEach((y) => y.dispose());
    loaded.dispose();
    if (fresh) fresh.dispose();
  }
  return result;
}

async function main(dirs) {
  if (dirs.length === 0) throw new Error('usage: node training.js CASE_DIR...');
  const tf = await loadTf();
  let failed = 0;
  for (const dir of dirs) {
    let result;
    try {
      result = await trainCase(tf, dir);
    } catch (err) {
      result = {name: path.basename(dir), ok: false, error: String(err && err.message || err).split('\n')[0]};
      if (process.env.TRAINING_DEBUG) console.error(err.stack);
      failed++;
    }
    fs.writeFileSync(path.join(dir, 'training_result.json'), JSON.stringify(result, null, 2) + '\n');
    console.log(`${result.ok ? 'RAN' : 'FAILED'} ${result.name}${result.error ? `: ${result.error}` : ''}`);
  }
  process.exitCode = failed ? 1 : 0;
}

main(process.argv.slice(2)).catch((err) => { console.error(`training: ${err.message}`); process.exitCode = 1; });
