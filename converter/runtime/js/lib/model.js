'use strict';
/** Loads a TF.js model from disk and runs it on a case's inputs. */
const {pathToFileURL} = require('url');
const {modelFromDisk} = require('./fsio');
const {isNative} = require('./tf');

/** tfjs-node loads `file://` URLs itself (what its users do); other runtimes get our disk reader. */
async function loadModel(tf, c) {
  const source = isNative(tf) ? pathToFileURL(c.modelPath).href : modelFromDisk(c.modelPath);
  return c.format === 'graph-model' ? tf.loadGraphModel(source) : tf.loadLayersModel(source);
}

function inputTensors(tf, c) {
  return c.inputs.map((s) => tf.tensor(s.data, s.shape, s.dtype));
}

/** Layers: inputs in case order, outputs in model order; counts must match the case. */
function predictLayers(tf, model, c, xs) {
  if (model.inputs.length !== xs.length) {
    throw new Error(`model has ${model.inputs.length} input(s) [${model.inputNames}], ` +
      `case has ${xs.length} [${c.inputs.map((s) => s.name)}]`);
  }
  if (model.outputs.length !== c.outputs.length) {
    throw new Error(`model has ${model.outputs.length} output(s) [${model.outputNames}], ` +
      `case has ${c.outputs.length} [${c.outputs.map((s) => s.name)}]`);
  }
  const ys = model.predict(xs.length === 1 ? xs[0] : xs);
  return {ys: Array.isArray(ys) ? ys : [ys], mode: 'predict'};
}

/**
 * Graph: inputs fed by name (signature order is not Keras order), the named outputs fetched.
 * execute() first; executeAsync() only when the graph has control flow or dynamic ops, because
 * executeAsync on a static graph logs a warning and is slower.
 */
async function predictGraph(tf, model, c, xs) {
  const feed = {};
  c.inputs.forEach((s, i) => { feed[s.name] = xs[i]; });
  const names = c.outputs.map((s) => s.name);
  let ys;
  let mode = 'execute';
  try {
    ys = model.execute(feed, names);
  } catch (err) {
    if (!/executeAsync/.test(err.message)) throw err;
    mode = 'executeAsync';
    ys = await model.executeAsync(feed, names);
  }
  return {ys: Array.isArray(ys) ? ys : [ys], mode};
}

/**
 * Runs the model on the case inputs. Returns {ys, mode}: output tensors in case order (the
 * caller disposes them) and the call used ('predict', 'execute' or 'executeAsync').
 */
async function predict(tf, model, c) {
  const xs = inputTensors(tf, c);
  try {
    return c.format === 'graph-model' ?
      await predictGraph(tf, model, c, xs) : predictLayers(tf, model, c, xs);
  } finally {
    xs.forEach((x) => x.dispose());
  }
}

module.exports = {loadModel, predict};
