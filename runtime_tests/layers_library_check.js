'use strict';
/**
 * Checks of the tfjs-export-layers.js a conversion wrote, in tfjs-node, for
 * runtime_tests/layers_library_test.py: node layers_library_check.js MODEL_DIR...
 * Prints one JSON line per model directory:
 *   without     the error loading the model without the library (must name our class);
 *   classes     the classes the file registered (CommonJS) and as a classic script (a vm context
 *               with a global tf: the browser's way), and the global it leaves;
 *   roundTrip   max |predict(model) - predict(model rebuilt from model.toJSON() + its weights)|;
 *   training    the loss before and after 5 SGD steps (`fit`; for several outputs the same steps
 *               through optimizer.minimize) on fixed random targets;
 *   gradients   how many trainable weights got a non-zero gradient, of how many.
 */
const fs = require('fs');
const path = require('path');
const vm = require('vm');
const tf = require('@tensorflow/tfjs-node');

function sampleInputs(model, seed) {
  return model.inputs.map((input, i) => {
    const shape = [2].concat(input.shape.slice(1).map((d) => (d == null ? 5 : d)));
    if (input.dtype === 'int32') return tf.randomUniform(shape, 1, 9, 'int32', seed + i);
    if (input.dtype === 'bool') return tf.greater(tf.randomUniform(shape, 0, 1, 'float32', seed + i), 0.2);
    return tf.randomNormal(shape, 0, 1, 'float32', seed + i);
  });
}

const list = (y) => (Array.isArray(y) ? y : [y]);

/** The first line of the error loading the model, null when it loads. */
async function loadError(dir) {
  try {
    await tf.loadLayersModel('file://' + path.resolve(dir, 'model.json'));
    return null;
  } catch (err) {
    return err.message.split('\n')[0];
  }
}

async function check(dir, without) {
  const url = 'file://' + path.resolve(dir, 'model.json');
  const out = {dir, without};
  const file = path.resolve(dir, 'tfjs-export-layers.js');
  const library = require(file);
  out.classes = Object.keys(library.register(tf)).sort();
  const context = {tf};
  vm.runInNewContext(fs.readFileSync(file, 'utf8'), context);
  out.scriptGlobal = context.tfjsExportLayers ? context.tfjsExportLayers.classNames : null;
  out.registered = out.classes.every((name) => tf.serialization.SerializationMap.getMap().classNameMap[`tfjs-export-layers>${name}`] != null);

  const model = await tf.loadLayersModel(url);
  const xs = sampleInputs(model, 7);
  const feed = xs.length === 1 ? xs[0] : xs;
  const before = list(model.predict(feed));
  const rebuilt = await tf.models.modelFromJSON({modelTopology: model.toJSON(null, false)});
  rebuilt.setWeights(model.getWeights());
  const again = list(rebuilt.predict(feed));
  out.roundTrip = Math.max(...before.map((y, i) => tf.max(tf.abs(tf.sub(y, again[i]))).dataSync()[0]));

  const floatOutputs = model.outputs.map((o, i) => before[i].dtype === 'float32');
  const targets = before.map((y) => tf.randomNormal(y.shape, 0, 1, 'float32', 3));
  model.compile({optimizer: tf.train.sgd(0.05), loss: 'meanSquaredError'});
  const loss = () => tf.tidy(() => tf.addN(before.map((_, i) => tf.losses.meanSquaredError(targets[i], list(model.predict(feed))[i]))).dataSync()[0]);
  const start = loss();
  const {grads} = tf.variableGrads(() => tf.addN(list(model.apply(feed, {training: true})).map((y, i) => tf.losses.meanSquaredError(targets[i], y))));
  const trainable = model.trainableWeights.map((w) => w.val.name);
  out.gradients = {nonZero: Object.values(grads).filter((g) => tf.max(tf.abs(g)).dataSync()[0] > 0).length, of: trainable.length};
  if (targets.length === 1) {
    await model.fit(feed, targets[0], {epochs: 5, batchSize: 2, verbose: 0, shuffle: false});
  } else {  // tfjs' fit cannot sum per-sample losses of outputs of different ranks: the same steps by hand
    const optimizer = tf.train.sgd(0.05);
    for (let step = 0; step < 5; step++) {
      optimizer.minimize(() => tf.addN(list(model.apply(feed, {training: true})).map((y, i) => tf.losses.meanSquaredError(targets[i], y))),
          false, model.trainableWeights.map((w) => w.val));
    }
  }
  out.training = {before: start, after: loss(), fit: targets.length === 1, floatOutputs: floatOutputs.every(Boolean)};
  return out;
}

(async () => {
  const dirs = process.argv.slice(2);
  const without = [];  // before any directory's library registered its classes
  for (const dir of dirs) without.push(await loadError(dir));
  for (const [i, dir] of dirs.entries()) {
    try {
      console.log(JSON.stringify(await check(dir, without[i])));
    } catch (err) {
      console.log(JSON.stringify({dir, error: err.stack.split('\n').slice(0, 3).join(' | ')}));
    }
  }
})();
