#!/usr/bin/env node
'use strict';
/**
 * Benchmark (not a test): node bench_predict.js RUNS MODEL_JSON... — loads each model in
 * tfjs-node (a Graph model with tf.loadGraphModel, run by execute(), or executeAsync() when it
 * has control flow; a Layers model with tf.loadLayersModel, after
 * its directory's tfjs-export-layers.js registered our classes when it has one), feeds ones of
 * its input shapes (batch 1; unknown dimensions 1), warms up, then times RUNS predictions per
 * model, interleaved (same process, same conditions). Prints JSON: [{model, median_ms, min_ms}].
 */
const path = require('path');
const {pathToFileURL} = require('url');
const {loadTf} = require('../converter/runtime/js/lib');
const {registerLayersLibrary} = require('../converter/runtime/js/lib/model');

const dims = (shape) => shape.map((d) => (d === null || Number(d) < 0 ? 1 : Number(d)));

/** {model, run()} for a Graph model: execute() on its signature inputs. */
async function graphModel(tf, file) {
  const model = await tf.loadGraphModel(pathToFileURL(path.resolve(file)).href);
  const feed = {};
  for (const [key, info] of Object.entries(model.signature.inputs)) {
    const dtype = info.dtype === 'DT_INT32' || info.dtype === 'DT_INT64' ? 'int32' : 'float32';
    feed[key] = tf.ones(dims(info.tensorShape.dim.map((d) => d.size)), dtype);
  }
  const names = Object.keys(model.signature.outputs);
  // execute() unless the graph has control flow (a recurrent layer's While loop): executeAsync().
  let async = false;
  const run = async () => {
    if (!async) {
      try {
        return model.execute(feed, names);
      } catch (err) {
        if (!/executeAsync/.test(err.message)) throw err;
        async = true;
      }
    }
    return model.executeAsync(feed, names);
  };
  return {model, run};
}

/** {model, run()} for a Layers model: predict() on its inputs. */
async function layersModel(tf, file) {
  registerLayersLibrary(tf, path.resolve(file));
  const model = await tf.loadLayersModel(pathToFileURL(path.resolve(file)).href);
  const xs = model.inputs.map((t) => tf.ones(dims(t.shape), t.dtype === 'int32' ? 'int32' : 'float32'));
  return {model, run: () => model.predict(xs.length === 1 ? xs[0] : xs)};
}

async function main([runsArg, ...models]) {
  const tf = await loadTf();
  const runs = Number(runsArg);
  const loaded = [];
  for (const file of models) {
    const format = require(path.resolve(file)).format;
    const m = format === 'graph-model' ? await graphModel(tf, file) : await layersModel(tf, file);
    loaded.push({file, ...m, times: []});
  }
  const once = async (m) => {
    const t0 = process.hrtime.bigint();
    const ys = await m.run();
    (Array.isArray(ys) ? ys : [ys]).forEach((y) => { y.dataSync(); y.dispose(); });
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  for (let i = 0; i < 5; i++) for (const m of loaded) await once(m);
  for (let i = 0; i < runs; i++) for (const m of loaded) m.times.push(await once(m));
  const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
  console.log(JSON.stringify(loaded.map((m) => ({model: m.file, median_ms: median(m.times), min_ms: Math.min(...m.times)}))));
}

main(process.argv.slice(2)).catch((err) => { console.error(err.message); process.exitCode = 1; });
