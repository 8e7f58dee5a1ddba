'use strict';
/**
 * The gradients TF.js computes for a converted model, for runtime_tests/layers_library_test.py:
 *   node layers_gradients.js CASE_DIR...   (parity case dirs: the model, its inputs, Keras' outputs)
 * Loss: the sum over outputs of mean((y - (expected + 0.5))^2), inference mode (no dropout).
 * Prints one JSON line per case: {name: {weight name: [gradient values, C order]}}.
 */
const path = require('path');
const tf = require('@tensorflow/tfjs-node');
const {readCase} = require('../converter/runtime/js/lib/case');

(async () => {
  for (const dir of process.argv.slice(2)) {
    const c = readCase(dir);
    require(path.resolve(path.dirname(c.modelPath), 'tfjs-export-layers.js')).register(tf);
    const model = await tf.loadLayersModel('file://' + path.resolve(c.modelPath));
    const xs = c.inputs.map((s) => tf.tensor(s.data, s.shape, s.dtype));
    const targets = c.outputs.map((s) => tf.add(tf.tensor(s.expected, s.shape, 'float32'), 0.5));
    const feed = xs.length === 1 ? xs[0] : xs;
    const weights = model.trainableWeights;
    const {grads} = tf.variableGrads(() => {
      const ys = [].concat(model.apply(feed, {training: false}));
      return tf.addN(ys.map((y, i) => tf.losses.meanSquaredError(targets[i], y)));
    }, weights.map((w) => w.val));
    const out = {};
    for (const w of weights) out[w.originalName] = Array.from(grads[w.val.name].dataSync());
    console.log(JSON.stringify({[c.name]: out}));
  }
})();
