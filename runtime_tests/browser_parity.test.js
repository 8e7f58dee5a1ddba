'use strict';
/**
 * Browser parity tests: the cases of parity.py (case.json + .bin files, the same ones the Node
 * runner takes) run in headless Chromium on each TF.js backend. A loopback server started here
 * serves the page, TF.js and its WASM backend (from node_modules) and the models; the page loads
 * each model over http with tf.loadLayersModel / tf.loadGraphModel and predicts; the outputs are
 * compared here with the expected tensors (lib/compare.js, same rule as the Node runner). A model
 * directory holding tfjs-export-layers.js (our layer classes) gets it loaded as a classic script
 * after tf.min.js first, as a web page would. One browser for the whole run, and one page (a
 * fresh one after a case that ended in an error).
 *
 *   PARITY_CASES=dir[:dir...] node --test browser_parity.test.js
 * Env: BROWSER_BACKENDS (default cpu,wasm,webgl,webgpu): backends to try; BROWSER_REQUIRED
 * (default: the same four): backends that must start (the others are run when the browser offers
 * them, and reported either way); BROWSER_REPORT: where to write the JSON report of what ran;
 * BROWSER_TOLERANCE: JSON {backend: {atol, rtol, why}}, a floor under each case's own bound on
 * that backend (GPU backends round differently from the CPU: runtime_tests/browser.py);
 * BROWSER_CASE_TIMEOUT_MS (default 120000): a case the page does not answer in time fails.
 * Writes into each case dir: result_browser_<backend>.json, actual_browser_<backend>_<i>.bin.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('fs');
const path = require('path');
const {findCasesFromEnv, readCase} = require('../converter/runtime/js/lib/case');
const {compareOutput, maxAbsDiff} = require('../converter/runtime/js/lib/compare');
const {summaryLine, failureMessage} = require('../converter/runtime/js/lib/report');
// The file the converter writes next to model.json when the model uses our layer classes.
const {LAYERS_LIBRARY} = require('../converter/runtime/js/lib/model');
const {startServer} = require('./browser/server');
const {launch} = require('./browser/chromium');

const MODULES = path.join(__dirname, 'node_modules', '@tensorflow');
const list = (v, d) => (v || d).split(',').map((s) => s.trim()).filter(Boolean);
const BACKENDS = list(process.env.BROWSER_BACKENDS, 'cpu,wasm,webgl,webgpu');
const REQUIRED = list(process.env.BROWSER_REQUIRED, 'cpu,wasm,webgl,webgpu');
const FLOORS = JSON.parse(process.env.BROWSER_TOLERANCE || '{}');
const CASE_TIMEOUT_MS = Number(process.env.BROWSER_CASE_TIMEOUT_MS || 120000);

/** promise, or a rejection with `why` after ms milliseconds. */
function withTimeout(promise, ms, why) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(why)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The case's bound, raised to the backend's floor where the floor is looser. */
function backendTolerance(c, backend) {
  const floor = FLOORS[backend];
  if (!floor || (floor.atol <= c.tolerance.atol && floor.rtol <= c.tolerance.rtol)) return c.tolerance;
  return {atol: Math.max(c.tolerance.atol, floor.atol), rtol: Math.max(c.tolerance.rtol, floor.rtol),
    why: `${c.tolerance.why}; ${backend} floor: ${floor.why}`};
}

function removeStale(dir, backend) {
  const re = new RegExp(`^(result_browser_${backend}\\.json|actual_browser_${backend}_\\d+\\.bin)$`);
  for (const f of fs.readdirSync(dir)) if (re.test(f)) fs.rmSync(path.join(dir, f));
}

/** Compares the page's answer with the case and writes result_browser_<backend>.json. */
function recordResult(c, backend, answer, extra) {
  const tolerance = backendTolerance(c, backend);
  const result = {name: c.name, ok: false, backend, format: c.format, outputs: [],
    load_ms: answer.load_ms ?? null, predict_ms: answer.predict_ms ?? null, mode: answer.mode,
    tolerance, ...extra};
  if (answer.error) {
    result.error = answer.error;
  } else if (answer.backend !== backend) {
    result.error = `ran on backend ${answer.backend}, not ${backend}`;
  } else if (answer.outputs.length !== c.outputs.length) {
    result.error = `model returned ${answer.outputs.length} output(s), case expects ${c.outputs.length}`;
  } else {
    answer.outputs.forEach((o, i) => {
      const bytes = Buffer.from(o.b64, 'base64');
      const file = `actual_browser_${backend}_${i}.bin`;
      fs.writeFileSync(path.join(c.dir, file), bytes);
      const Ctor = o.dtype === 'float32' ? Float32Array : Int32Array;
      const values = new Ctor(new Uint8Array(bytes).buffer);
      const spec = c.outputs[i];
      const out = {name: spec.name, shape: o.shape, dtype: o.dtype === 'float32' ? 'float32' : 'int32',
        file, ...compareOutput(values, o.shape, spec.expected, spec.shape, tolerance)};
      if (c.floatReference[i] && out.max_abs_err !== null) {
        out.max_abs_err_vs_float = maxAbsDiff(values, c.floatReference[i]).maxAbs;
      }
      result.outputs.push(out);
    });
    result.ok = result.outputs.every((o) => o.ok);
  }
  fs.writeFileSync(path.join(c.dir, `result_browser_${backend}.json`), JSON.stringify(result, null, 2) + '\n');
  return result;
}

function pageSpec(c, index) {
  const library = fs.existsSync(path.join(path.dirname(c.modelPath), LAYERS_LIBRARY));
  return {
    modelUrl: `/m/${index}/${path.basename(c.modelPath)}`,
    scripts: library ? [`/m/${index}/${LAYERS_LIBRARY}`] : [],
    format: c.format,
    inputs: c.inputs.map((s) => ({name: s.name, shape: s.shape, dtype: s.dtype,
      b64: Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength).toString('base64')})),
    outputNames: c.outputs.map((s) => s.name),
  };
}

let dirs = [];
let findError = null;
try {
  dirs = findCasesFromEnv(process.env.PARITY_CASES);
} catch (err) {
  findError = err;
}

test('headless Chromium', async (t) => {
  if (findError) assert.fail(findError.message);
  const mounts = {
    '/tfjs/': path.join(MODULES, 'tfjs', 'dist'),
    '/wasm/': path.join(MODULES, 'tfjs-backend-wasm', 'dist'),
    '/webgpu/': path.join(MODULES, 'tfjs-backend-webgpu', 'dist'),
    '/runner/': path.join(__dirname, 'browser'),
  };
  dirs.forEach((d, i) => { mounts[`/m/${i}/`] = path.dirname(readCase(d).modelPath); });
  const server = await startServer(mounts);
  const browser = await launch({webgpu: BACKENDS.includes('webgpu')});
  const report = {chromium_args: browser.args, backends: {}, cases: dirs.length};
  const consoleErrors = [];
  /** A fresh page of the runner, on `backend` when given: {page, probe}. */
  const openPage = async (backend) => {
    const page = await browser.context.newPage();
    page.on('pageerror', (err) => consoleErrors.push(err.message));
    await page.goto(`${server.url}/runner/parity.html`);
    await page.waitForFunction(() => window.parity !== undefined && window.tf !== undefined);
    const probe = backend ? await page.evaluate((b) => window.parity.setBackend(b), backend) : null;
    return {page, probe};
  };
  try {
    let {page} = await openPage(null);
    report.chromium_version = browser.context.browser()?.version() ?? null;

    for (const backend of BACKENDS) {
      const probe = await page.evaluate((b) => window.parity.setBackend(b), backend);
      report.backends[backend] = {ran: probe.ok, detail: probe.detail, tfjs_version: probe.tfjs_version};
      if (!probe.ok) {
        const why = `backend ${backend} unavailable in headless Chromium: ${probe.detail}`;
        t.diagnostic(why);
        if (REQUIRED.includes(backend)) await t.test(`${backend} backend starts`, () => assert.fail(why));
        continue;
      }
      t.diagnostic(`backend ${backend}: ${probe.detail}`);
      const results = [];
      for (const [i, dir] of dirs.entries()) {
        const c = readCase(dir);
        await t.test(`${backend} ${c.name}`, async (tt) => {
          removeStale(c.dir, backend);
          const spec = pageSpec(c, i);
          const answer = await withTimeout(page.evaluate((s) => window.parity.runCase(s), spec),
              CASE_TIMEOUT_MS, `no answer from the page in ${CASE_TIMEOUT_MS / 1000} s`)
              .catch((err) => ({error: err.message, backend}));
          const r = recordResult(c, backend, answer, {detail: probe.detail, scripts: spec.scripts});
          results.push(r);
          tt.diagnostic(`${backend} ${summaryLine(r)}`);
          if (answer.error) {
            // A failed kernel can leave the backend broken (e.g. a WASM heap written out of
            // bounds: every later case would fail or hang): the next case gets a fresh page.
            await page.close().catch(() => {});
            ({page} = await openPage(backend));
          }
          if (!r.ok) assert.fail(`[${backend}] ${failureMessage(r)}`);
        });
      }
      report.backends[backend].passed = results.filter((r) => r.ok).length;
      report.backends[backend].failed = results.filter((r) => !r.ok).length;
    }
    if (consoleErrors.length) t.diagnostic(`page errors: ${consoleErrors.join(' | ')}`);
  } finally {
    await browser.close();
    await server.close();
    if (process.env.BROWSER_REPORT) {
      fs.writeFileSync(process.env.BROWSER_REPORT, JSON.stringify(report, null, 2) + '\n');
    }
  }
});
