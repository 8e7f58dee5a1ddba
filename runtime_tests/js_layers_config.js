'use strict';
/**
 * getConfig / fromConfig round trip of our JS layer classes in tfjs-node, for each case dir given
 * on the command line: the model loaded (its tfjs-export-layers.js registered), serialised with
 * model.toJSON(), rebuilt with tf.models.modelFromJSON (every layer through its fromConfig), given
 * the loaded model's weights, must serialise to the same JSON and predict the same numbers on the
 * case's inputs; and one SGD step of fit() on those inputs (loss: mean of every float output)
 * (inference mode) must move the trainable weights (gradients reach them through our layers). Prints one JSON
 * line per case: {name, sameConfig, maxDiff, trainableMoved, gradientError, error}.
 */
const path = require('path');
const {loadTf, readCase} = require('../converter/runtime/js/lib');
const {loadModel} = require('../converter/runtime/js/lib/model');

async function check(tf, dir) {
  const c = readCase(dir);
  const model = await loadModel(tf, c);
  const json = model.toJSON(null, false);
  const copy = await tf.models.modelFromJSON(json);
  copy.setWeights(model.getWeights());
  const xs = c.inputs.map((s) => tf.tensor(s.data, s.shape, s.dtype));
  const list = (y) => (Array.isArray(y) ? y : [y]);
  const a = list(model.predict(xs.length === 1 ? xs[0] : xs));
  const b = list(copy.predict(xs.length === 1 ? xs[0] : xs));
  let maxDiff = 0;
  a.forEach((t, i) => {
    const x = t.dataSync(), y = b[i].dataSync();
    for (let k = 0; k < x.length; k++) maxDiff = Math.max(maxDiff, Math.abs(Number(x[k]) - Number(y[k])));
  });
  let trainableMoved = null, gradientError = null;
  const trainable = copy.trainableWeights.map((w) => w.val);
  if (trainable.length) try {
    const before = trainable.map((w) => w.clone());
    const optimizer = tf.train.sgd(0.1);
    optimizer.minimize(() => {
      // (inference mode: tfjs' BatchNormalization without gamma/beta, our Normalization stand-in, fails in training mode)
      const outs = list(copy.apply(xs.length === 1 ? xs[0] : xs, {training: false}));
      return tf.addN(outs.filter((o) => o.dtype === 'float32').map((o) => tf.mean(o)));
    }, false, trainable);
    trainableMoved = trainable.filter((w, i) => tf.any(tf.notEqual(w, before[i])).dataSync()[0]).length /
      trainable.length;
  } catch (err) {
    gradientError = String(err && err.message || err);
  }
  return {name: c.name, sameConfig: JSON.stringify(copy.toJSON(null, false)) === JSON.stringify(json), maxDiff,
    trainableMoved, gradientError};
}

(async () => {
  const tf = await loadTf();
  for (const dir of process.argv.slice(2)) {
    let line;
    try {
      line = await check(tf, dir);
    } catch (err) {
      line = {name: path.basename(dir), error: String(err && err.stack || err)};
    }
    console.log(JSON.stringify(line));
  }
})();
