#!/usr/bin/env node
'use strict';
/**
 * Benchmark (not a test): node bench_predict.js RUNS MODEL_JSON... — loads each graph model in
 * tfjs-node, feeds zeros of its signature input shapes (batch 1), warms up, then times RUNS
 * execute() calls per model, interleaved (same process, same conditions). Prints JSON:
 * [{model, median_ms, min_ms}].
 */
const path = require('path');
const {pathToFileURL} = require('url');
const {loadTf} = require('../converter/runtime/js/lib');

async function main([runsArg, ...models]) {
  const tf = await loadTf();
  const runs = Number(runsArg);
  const loaded = [];
  for (const file of models) {
    const model = await tf.loadGraphModel(pathToFileURL(path.resolve(file)).href);
    const feed = {};
    for (const input of model.signature ? Object.entries(model.signature.inputs) : []) {
      const [key, info] = input;
      const shape = info.tensorShape.dim.map((d) => (Number(d.size) < 0 ? 1 : Number(d.size)));
      feed[key in model.signature.inputs ? key : info.name] = tf.zeros(shape);
    }
    const names = Object.keys(model.signature.outputs);
    loaded.push({file, model, feed, names, times: []});
  }
  const once = (m) => {
    const t0 = process.hrtime.bigint();
    const ys = m.model.execute(m.feed, m.names);
    (Array.isArray(ys) ? ys : [ys]).forEach((y) => { y.dataSync(); y.dispose(); });
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  for (let i = 0; i < 5; i++) loaded.forEach(once);
  for (let i = 0; i < runs; i++) loaded.forEach((m) => m.times.push(once(m)));
  const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
  console.log(JSON.stringify(loaded.map((m) => ({model: m.file, median_ms: median(m.times), min_ms: Math.min(...m.times)}))));
}

main(process.argv.slice(2)).catch((err) => { console.error(err.message); process.exitCode = 1; });
