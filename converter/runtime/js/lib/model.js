'use strict';
/** Loads a TF.js model from disk and runs it on a case's inputs. */
const fs = require('fs');
const path = require('path');
const {pathToFileURL} = require('url');
const {modelFromDisk} = require('./fsio');
const {isNative} = require('./tf');

/** The converter writes this file next to a Layers model.json that uses our JS layer classes. */
const LAYERS_LIBRARY = 'tfjs-export-layers.js';

/** Registers the model directory's tfjs-export-layers.js with `tf`, as its users do; returns the
 * library's class names, or null when the directory has none. */
function registerLayersLibrary(tf, modelPath) {
  const file = path.join(path.dirname(modelPath), LAYERS_LIBRARY);
  if (!fs.existsSync(file)) return null;
  const library = require(path.resolve(file));
  library.register(tf);
  return library.classNames;
}

/** tfjs-node loads `file://` URLs itself (what its users do); other runtimes get our disk reader. */
async function loadModel(tf, c) {
  if (c.format !== 'graph-model') registerLayersLibrary(tf, c.modelPath);
  const source = isNative(tf) ? pathToFileURL(c.modelPath).href : modelFromDisk(c.modelPath);
  return c.format === 'graph-model' ? tf.loadGraphModel(source) : tf.loadLayersModel(source);
}

function inputTensors(tf, c) {
  return c.inputs.map((s) => tf.tensor(s.data, s.shape, s.dtype));
}

/**
 * The position in `modelNames` of each case entry, matched by name; null when the names do not
 * all match (cases written before names were carried: matched by position). A model that
 * records a dict / nested structure (userDefinedMetadata.structure) is always matched by name.
 */
function byName(modelNames, specs, what, strict) {
  const names = specs.map((s) => s.name);
  const order = names.map((n) => modelNames.indexOf(n));
  if (names.length === modelNames.length && new Set(names).size === names.length && !order.includes(-1)) {
    return order;
  }
  if (strict) {
    throw new Error(`the model's ${what} are [${modelNames}], the case's [${names}]: they must match by name`);
  }
  return null;
}

/** Layers: inputs fed and outputs matched by name (positions for unnamed cases). */
function predictLayers(tf, model, c, xs) {
  if (model.inputs.length !== xs.length) {
    throw new Error(`model has ${model.inputs.length} input(s) [${model.inputNames}], ` +
      `case has ${xs.length} [${c.inputs.map((s) => s.name)}]`);
  }
  if (model.outputs.length !== c.outputs.length) {
    throw new Error(`model has ${model.outputs.length} output(s) [${model.outputNames}], ` +
      `case has ${c.outputs.length} [${c.outputs.map((s) => s.name)}]`);
  }
  const strict = (model.getUserDefinedMetadata() || {}).structure != null;
  const inOrder = byName(model.inputNames, c.inputs, 'inputs', strict);
  const outOrder = byName(model.outputNames, c.outputs, 'outputs', strict);
  const feed = inOrder ? model.inputNames.map((n) => xs[c.inputs.findIndex((s) => s.name === n)]) : xs;
  let ys = model.predict(feed.length === 1 ? feed[0] : feed);
  ys = Array.isArray(ys) ? ys : [ys];
  return {ys: outOrder ? outOrder.map((i) => ys[i]) : ys, mode: 'predict',
    matched: inOrder && outOrder ? 'name' : 'position'};
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
  return {ys: Array.isArray(ys) ? ys : [ys], mode, matched: 'name'};
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

module.exports = {LAYERS_LIBRARY, loadModel, predict, registerLayersLibrary};
