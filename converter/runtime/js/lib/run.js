'use strict';
/**
 * Runs one case end to end: load model, predict, compare, and write actual_{i}.bin and
 * result.json into the case dir. Never throws for a bad case: the error lands in result.json
 * (ok: false, error: ...) so `verify` and the test runner report it the same way.
 */
const fs = require('fs');
const path = require('path');
const {performance} = require('perf_hooks');
const {readCase, caseName} = require('./case');
const {loadModel, predict} = require('./model');
const {compareOutput, maxAbsDiff} = require('./compare');
const {runtimeInfo} = require('./tf');

/** Raw little-endian bytes of a typed array (bool tensors are widened to int32). */
function toBytes(data, dtype) {
  const arr = dtype === 'float32' ? data : Int32Array.from(data);
  return Buffer.from(arr.buffer, arr.byteOffset, arr.byteLength);
}

function removeStale(dir) {
  for (const f of fs.readdirSync(dir)) {
    if (f === 'result.json' || /^actual_\d+\.bin$/.test(f)) fs.rmSync(path.join(dir, f));
  }
}

async function runCase(tf, dir) {
  const result = {name: caseName(dir), ok: false, outputs: [], load_ms: null, predict_ms: null,
    ...runtimeInfo(tf)};
  let model;
  let ys = [];
  try {
    removeStale(dir); // a stale result.json must never be read as this run's verdict
    const c = readCase(dir);
    result.name = c.name;
    result.format = c.format;
    result.tolerance = c.tolerance;

    let t0 = performance.now();
    model = await loadModel(tf, c);
    result.load_ms = performance.now() - t0;

    t0 = performance.now();
    const pred = await predict(tf, model, c);
    ys = pred.ys;
    result.mode = pred.mode;
    result.matched = pred.matched; // 'name', or 'position' for cases without the model's names
    const values = ys.map((y) => y.dataSync()); // include device->host copy in predict time
    result.predict_ms = performance.now() - t0;

    if (ys.length !== c.outputs.length) {
      throw new Error(`model returned ${ys.length} output(s), case expects ${c.outputs.length}`);
    }
    c.outputs.forEach((spec, i) => {
      const y = ys[i];
      fs.writeFileSync(path.join(c.dir, `actual_${i}.bin`), toBytes(values[i], y.dtype));
      const cmp = compareOutput(values[i], y.shape, spec.expected, spec.shape, c.tolerance);
      const out = {name: spec.name, shape: y.shape, dtype: y.dtype === 'float32' ? 'float32' : 'int32',
        file: `actual_${i}.bin`, ...cmp};
      if (c.floatReference[i] && cmp.max_abs_err !== null) {
        out.max_abs_err_vs_float = maxAbsDiff(values[i], c.floatReference[i]).maxAbs;
      }
      result.outputs.push(out);
    });
    result.ok = result.outputs.every((o) => o.ok);
  } catch (err) {
    result.ok = false;
    result.error = err.message.split('\n')[0];
  } finally {
    ys.forEach((y) => y.dispose());
    if (model) model.dispose();
  }
  fs.writeFileSync(path.join(dir, 'result.json'), JSON.stringify(result, null, 2) + '\n');
  return result;
}

module.exports = {runCase};
