'use strict';
/**
 * Models made and trained in TF.js itself (tfjs-node), saved the way a TF.js user saves them
 * (`model.save('file://DIR')`: model.json + weights.bin), for the TF.js -> Keras tests
 * (tfjs_to_keras_test.py). Usage: node tfjs_trained_models.js OUT_DIR
 * Writes OUT_DIR/<name>/ (the saved model) and OUT_DIR/<name>.json: {inputs: [{shape, data}],
 * outputs: [{shape, data}]}, the trained model's predictions on fixed inputs.
 * Seeded everywhere (initialisers, data, shuffling off): the same models on every run.
 */
const path = require('path');
const fs = require('fs');
const tf = require('@tensorflow/tfjs-node');

const init = (seed) => tf.initializers.glorotUniform({seed});

/** Functional, two inputs: Conv2D + BatchNormalization (moving statistics updated by fit) +
 * pooling, and an LSTM with sigmoid gates, concatenated into a Dense head with Dropout. */
function cnnLstm() {
  const image = tf.input({shape: [6, 6, 2], name: 'image'});
  let x = tf.layers.conv2d({filters: 4, kernelSize: 3, padding: 'same', activation: 'relu',
                            kernelInitializer: init(1)}).apply(image);
  x = tf.layers.batchNormalization().apply(x);
  x = tf.layers.maxPooling2d({poolSize: 2}).apply(x);
  x = tf.layers.flatten().apply(x);
  const seq = tf.input({shape: [5, 3], name: 'seq'});
  const y = tf.layers.lstm({units: 4, recurrentActivation: 'sigmoid', kernelInitializer: init(2),
                            recurrentInitializer: init(3)}).apply(seq);
  let z = tf.layers.concatenate().apply([x, y]);
  z = tf.layers.dense({units: 8, activation: 'tanh', kernelInitializer: init(4)}).apply(z);
  z = tf.layers.dropout({rate: 0.1}).apply(z);
  const out = tf.layers.dense({units: 3, activation: 'softmax', kernelInitializer: init(5)}).apply(z);
  return tf.model({inputs: [image, seq], outputs: out});
}

/** Sequential text model with TF.js's default recurrent settings: LSTM gates are hardSigmoid
 * (0.2x + 0.5), which Keras 3 computes differently (x/6 + 0.5). */
function lstmDefault() {
  const model = tf.sequential();
  model.add(tf.layers.embedding({inputDim: 20, outputDim: 4, inputLength: 6, embeddingsInitializer: 'randomNormal'}));
  model.add(tf.layers.lstm({units: 5, kernelInitializer: init(6), recurrentInitializer: init(7)}));
  model.add(tf.layers.dense({units: 2, kernelInitializer: init(8)}));
  return model;
}

/** A Sequential model used as a layer, a frozen layer (its weights non-trainable), a GRU with
 * sigmoid gates (TF.js's reset_after=false form) and a Bidirectional LSTM wrapper. */
function nested() {
  const inner = tf.sequential({name: 'inner'});
  inner.add(tf.layers.dense({units: 6, inputShape: [3], activation: 'relu', kernelInitializer: init(9)}));
  inner.add(tf.layers.dense({units: 3, kernelInitializer: init(10)}));
  const seq = tf.input({shape: [4, 3], name: 'steps'});
  let x = tf.layers.timeDistributed({layer: inner}).apply(seq);
  const frozen = tf.layers.dense({units: 3, kernelInitializer: init(11), name: 'frozen_dense'});
  x = frozen.apply(x);
  frozen.trainable = false;
  const gru = tf.layers.gru({units: 4, returnSequences: true, recurrentActivation: 'sigmoid',
                             kernelInitializer: init(12), recurrentInitializer: init(13)}).apply(x);
  const bi = tf.layers.bidirectional({layer: tf.layers.lstm({units: 2, recurrentActivation: 'sigmoid',
                                                              kernelInitializer: init(14),
                                                              recurrentInitializer: init(15)})}).apply(gru);
  const out = tf.layers.dense({units: 2, kernelInitializer: init(16)}).apply(bi);
  return tf.model({inputs: seq, outputs: out});
}

function data(model, seed, batch) {
  return model.inputs.map((input, i) => {
    const shape = [batch, ...input.shape.slice(1)];
    return input.dtype === 'int32' || model.layers[0].getClassName() === 'Embedding'
      ? tf.randomUniform(shape, 0, 20, 'int32', seed + i).toFloat()
      : tf.randomNormal(shape, 0, 1, 'float32', seed + i);
  });
}

async function main() {
  const out = process.argv[2];
  fs.mkdirSync(out, {recursive: true});
  const builders = {cnn_lstm: cnnLstm, lstm_default: lstmDefault, nested};
  for (const [name, build] of Object.entries(builders)) {
    const model = build();
    const units = model.outputs[0].shape[model.outputs[0].shape.length - 1];
    const xs = data(model, 100, 32);
    const ys = model.outputs[0].shape.length === 3
      ? tf.randomNormal([32, ...model.outputs[0].shape.slice(1)], 0, 1, 'float32', 7)
      : tf.oneHot(tf.randomUniform([32], 0, units, 'int32', 7), units).toFloat();
    model.compile({optimizer: tf.train.adam(0.02), loss: 'meanSquaredError'});
    await model.fit(xs.length === 1 ? xs[0] : xs, ys, {epochs: 3, batchSize: 8, shuffle: false, verbose: 0});
    await model.save('file://' + path.join(out, name));
    const probe = data(model, 200, 3);
    let preds = model.predict(probe.length === 1 ? probe[0] : probe);
    preds = Array.isArray(preds) ? preds : [preds];
    const dump = (t) => ({shape: t.shape, data: Array.from(t.dataSync())});
    fs.writeFileSync(path.join(out, name + '.json'),
                     JSON.stringify({inputs: probe.map(dump), outputs: preds.map(dump)}));
  }
}

main().catch((err) => { console.error(err); process.exit(1); });
