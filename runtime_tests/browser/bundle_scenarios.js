'use strict';
/**
 * Drives a web bundle (`tfjs-export bundle --tfjs ...`) through headless Chromium and records
 * what happened, for runtime_tests/bundle_browser_test.py to check:
 *   first_visit     fresh profile, server up: load, verify, predict (CPU), screenshot
 *   wasm_visit      same profile, ?backend=wasm: the model now comes from the cache
 *   offline_reload  same profile, server STOPPED: page (service worker), model (Cache Storage),
 *                   prediction must all still work
 *   resume          fresh profile; one shard's download is cut half way -> error; then the server
 *                   recovers and a reload must fetch only that shard
 *   corrupt         fresh profile; a copy of the bundle with one flipped shard byte, and one with a
 *                   truncated shard: the page must show an integrity error naming the shard
 *   demo_page       fresh profile with WebGL (and WebGPU) enabled, no ?backend: the backend the page
 *                   chose, then an image picked in the file input: the bars (labels, widths,
 *                   values), the image beside them and the timings as the DOM shows them,
 *                   and a screenshot
 *
 *   node browser/bundle_scenarios.js BUNDLE_DIR OUT.json SCREENSHOT_DIR [CASE_DIR [IMAGE_FILE [DICT_BUNDLE DICT_CASE]...]]
 * With DICT_BUNDLE DICT_CASE pairs (bundles of a model with dict / nested inputs and outputs, and
 * their parity cases), the first visit's browser also loads each bundle and runs the loader's
 * predict() by name (structuredParity); out.structured lists the results in order.
 * With CASE_DIR (a parity.py case for the same model), the model the loader assembled from the
 * cached shards is also run on the case's inputs and compared (first visit and offline reload).
 * Exit 0 when every scenario ran (pass/fail is judged by the Python test on OUT.json).
 */
const fs = require('fs');
const os = require('os');
const path = require('path');
const {startServer} = require('./server');
const {launch} = require('./chromium');
const {readCase} = require('../../converter/runtime/js/lib/case');
const {compareOutput} = require('../../converter/runtime/js/lib/compare');

const SETTLE_MS = 60000;

/** The page's demoState once it stops loading (and, if predict is set, after a prediction). */
async function visit(page, url, {predict = false, reload = false} = {}) {
  const pageErrors = [];
  const onError = (err) => pageErrors.push(err.message);
  page.on('pageerror', onError);
  try {
    if (reload) await page.reload({waitUntil: 'load'});
    else await page.goto(url, {waitUntil: 'load'});
    await page.waitForFunction(() => window.demoState && window.demoState.state !== 'loading',
        null, {timeout: SETTLE_MS});
    if (predict && await page.evaluate(() => window.demoState.state === 'ready')) {
      await page.click('#predict');
      await page.waitForFunction(() => window.demoState.result !== null || window.demoState.state === 'error',
          null, {timeout: SETTLE_MS});
    }
    const state = await page.evaluate(async () => {
      const d = window.demoState;
      const sw = d.serviceWorker ? await d.serviceWorker : null;
      return {state: d.state, error: d.error, errorKind: d.errorKind || null, info: d.info,
        result: d.result, latency: d.latency, serviceWorker: sw,
        controlled: !!navigator.serviceWorker.controller,
        status: document.getElementById('status').textContent, backend: tf.getBackend()};
    });
    return {...state, pageErrors};
  } finally {
    page.off('pageerror', onError);
  }
}

/** Model-file requests (model.json, shards, integrity.json) in a server log slice. */
function modelRequests(log) {
  return log.map((e) => ({path: path.posix.basename(e.path), status: e.status}))
      .filter((e) => /^(model\.json|integrity\.json|group\d+-shard\d+of\d+\.bin)$/.test(e.path));
}

/** Runs the page's loaded model (demoState.model) on a parity case; {ok, outputs} or {error}. */
async function caseParity(page, caseDir) {
  if (!caseDir) return null;
  const c = readCase(caseDir);
  const inputs = c.inputs.map((s) => ({shape: s.shape, dtype: s.dtype,
    b64: Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength).toString('base64')}));
  const answer = await page.evaluate(async (xs) => {
    const decode = (b64, dtype) => {
      const bin = atob(b64);
      const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
      return dtype === 'int32' ? new Int32Array(bytes.buffer) : new Float32Array(bytes.buffer);
    };
    const model = window.demoState.model;
    const ts = xs.map((x) => tf.tensor(decode(x.b64, x.dtype), x.shape, x.dtype));
    const ys = [].concat(model.predict(ts.length === 1 ? ts[0] : ts));
    const out = [];
    for (const y of ys) out.push({shape: y.shape, values: Array.from(await y.data())});
    ts.concat(ys).forEach((t) => t.dispose());
    return out;
  }, inputs);
  const outputs = answer.map((o, i) => ({name: c.outputs[i].name,
    ...compareOutput(Float32Array.from(o.values), o.shape, c.outputs[i].expected, c.outputs[i].shape, c.tolerance)}));
  return {ok: outputs.length === c.outputs.length && outputs.every((o) => o.ok), outputs};
}

/**
 * A dict / nested-structure model's bundle (same browser): the demo page predicts, then the
 * loader's predict() is fed the case's inputs by name and its outputs, rebuilt in the Keras
 * structure, are compared leaf by leaf, by name.
 */
async function structuredParity(page, url, caseDir) {
  const visited = await visit(page, url, {predict: true});
  const c = readCase(caseDir);
  const inputs = c.inputs.map((s) => ({name: s.name, shape: s.shape, dtype: s.dtype,
    b64: Buffer.from(s.data.buffer, s.data.byteOffset, s.data.byteLength).toString('base64')}));
  const answer = await page.evaluate(async (xs) => {
    const decode = (b64) => new Float32Array(Uint8Array.from(atob(b64), (ch) => ch.charCodeAt(0)).buffer);
    const named = window.demoState.named;
    const feed = {}; // the input structure itself: {key: tensor}
    const build = (shape) => (typeof shape === 'string' ? feed[shape] : Array.isArray(shape) ? shape.map(build) :
      Object.fromEntries(Object.keys(shape).map((k) => [k, build(shape[k])])));
    for (const x of xs) feed[x.name] = tf.tensor(decode(x.b64), x.shape, x.dtype);
    const got = await named.predict(build(named.structure.inputs));
    const toJson = async (v) => (v instanceof tf.Tensor ? {shape: v.shape, values: Array.from(await v.data())} :
      Array.isArray(v) ? Promise.all(v.map(toJson)) :
        Object.fromEntries(await Promise.all(Object.keys(v).map(async (k) => [k, await toJson(v[k])]))));
    return {structure: named.structure, outputs: await toJson(got)};
  }, inputs);
  const leaves = {}; // output name -> {shape, values}, read back through the structure
  const walk = (shape, value) => {
    if (typeof shape === 'string') leaves[shape] = value;
    else if (Array.isArray(shape)) shape.forEach((s, i) => walk(s, value[i]));
    else Object.keys(shape).forEach((k) => walk(shape[k], value[k]));
  };
  walk(answer.structure.outputs, answer.outputs);
  const outputs = c.outputs.map((spec) => {
    const got = leaves[spec.name];
    if (!got) return {name: spec.name, ok: false, error: 'missing'};
    return {name: spec.name, ...compareOutput(Float32Array.from(got.values), got.shape, spec.expected, spec.shape,
      c.tolerance)};
  });
  return {visit: visited, structure: answer.structure, outputKeys: Object.keys(answer.outputs),
    parity: {ok: outputs.every((o) => o.ok), outputs}};
}

async function firstVisitAndOffline(bundleDir, shots, out, caseDir, structured) {
  const mounts = {'/app/': bundleDir};
  structured.forEach((s, i) => { mounts[`/dict${i}/`] = s.bundleDir; });
  const server = await startServer(mounts);
  const browser = await launch({webgl: false});
  try {
    const page = await browser.context.newPage();
    const url = `${server.url}/app/index.html`;
    out.first_visit = await visit(page, `${url}?backend=cpu`, {predict: true});
    out.first_visit.requests = modelRequests(server.log);
    out.first_visit.parity = await caseParity(page, caseDir);
    await page.screenshot({path: path.join(shots, 'bundle_demo.png'), fullPage: true});
    out.structured = [];
    for (const [i, s] of structured.entries()) {
      out.structured.push(await structuredParity(page, `${server.url}/dict${i}/index.html?backend=cpu`, s.caseDir));
      if (i === 0) await page.screenshot({path: path.join(shots, 'bundle_demo_dict.png'), fullPage: true});
    }

    server.log.length = 0;
    out.wasm_visit = await visit(page, `${url}?backend=wasm`, {predict: true});
    out.wasm_visit.requests = modelRequests(server.log);

    await server.close();
    server.log.length = 0;
    out.offline_reload = await visit(page, null, {predict: true, reload: true});
    out.offline_reload.requests_while_stopped = server.log.length;
    out.offline_reload.parity = await caseParity(page, caseDir);
    await page.screenshot({path: path.join(shots, 'bundle_demo_offline.png'), fullPage: true});
  } finally {
    await browser.close();
    await server.close();
  }
}

async function resume(bundleDir, out) {
  const integrity = JSON.parse(fs.readFileSync(path.join(bundleDir, 'integrity.json'), 'utf8'));
  const shards = Object.keys(integrity.files).filter((f) => f !== 'model.json');
  const broken = shards[Math.min(2, shards.length - 1)];
  const server = await startServer({'/app/': bundleDir});
  const browser = await launch({webgl: false});
  try {
    const page = await browser.context.newPage();
    server.faults.set(`/app/${broken}`, 'partial');
    out.resume = {broken_shard: broken, shards};
    out.resume.interrupted = await visit(page, `${server.url}/app/index.html?backend=cpu`);
    out.resume.interrupted.requests = modelRequests(server.log);
    server.faults.clear();
    server.log.length = 0;
    out.resume.resumed = await visit(page, null, {predict: true, reload: true});
    out.resume.resumed.requests = modelRequests(server.log);
  } finally {
    await browser.close();
    await server.close();
  }
}

async function corrupt(bundleDir, shots, out) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-export-corrupt-'));
  const flipped = path.join(tmp, 'flipped');
  const truncated = path.join(tmp, 'truncated');
  fs.cpSync(bundleDir, flipped, {recursive: true});
  fs.cpSync(bundleDir, truncated, {recursive: true});
  const integrity = JSON.parse(fs.readFileSync(path.join(bundleDir, 'integrity.json'), 'utf8'));
  const shards = Object.keys(integrity.files).filter((f) => f !== 'model.json');
  const flipShard = shards[Math.min(1, shards.length - 1)];
  const cutShard = shards[shards.length - 1];
  const bytes = fs.readFileSync(path.join(flipped, flipShard));
  bytes[7] ^= 0x10;
  fs.writeFileSync(path.join(flipped, flipShard), bytes);
  const cut = fs.readFileSync(path.join(truncated, cutShard));
  fs.writeFileSync(path.join(truncated, cutShard), cut.subarray(0, cut.length - 100));

  const server = await startServer({'/flipped/': flipped, '/truncated/': truncated});
  const browser = await launch({webgl: false});
  try {
    const page = await browser.context.newPage();
    out.corrupt = {flipped_shard: flipShard, truncated_shard: cutShard};
    out.corrupt.flipped = await visit(page, `${server.url}/flipped/index.html?backend=cpu`, {predict: true});
    await page.screenshot({path: path.join(shots, 'bundle_integrity_error.png'), fullPage: true});
    out.corrupt.truncated = await visit(page, `${server.url}/truncated/index.html?backend=cpu`, {predict: true});
  } finally {
    await browser.close();
    await server.close();
    fs.rmSync(tmp, {recursive: true, force: true});
  }
}

/** What a user sees: the chosen backend, then an image's top classes as bars beside the image. */
async function demoPage(bundleDir, shots, out, image) {
  const server = await startServer({'/app/': bundleDir});
  const browser = await launch({webgl: true, webgpu: true});
  try {
    const page = await browser.context.newPage();
    const loaded = await visit(page, `${server.url}/app/index.html`);
    out.demo_page = {loaded};
    if (loaded.state !== 'ready' || !image) return;
    await page.setInputFiles('#image', image);
    await page.waitForFunction(() => window.demoState.bars !== null || window.demoState.state === 'error',
        null, {timeout: SETTLE_MS});
    await page.waitForFunction(() => document.getElementById('picked').complete, null, {timeout: SETTLE_MS});
    out.demo_page.dom = await page.evaluate(() => {
      const $ = (id) => document.getElementById(id);
      const shown = (el) => !!el && !el.closest('[hidden]') && el.getBoundingClientRect().width > 0;
      return {
        state: window.demoState.state, error: window.demoState.error,
        backend: window.demoState.backend, tfBackend: tf.getBackend(), labels: window.demoState.labels,
        backendChosen: $('backend-chosen').textContent, backendSelect: $('backend').value,
        backendOptions: Array.from($('backend').options, (o) => o.textContent),
        bars: Array.from(document.querySelectorAll('#bars .bar'), (bar) => ({
          label: bar.querySelector('.label').textContent, value: Number(bar.dataset.value),
          text: bar.querySelector('.value').textContent,
          widthPx: bar.querySelector('.fill').getBoundingClientRect().width,
          trackPx: bar.querySelector('.track').getBoundingClientRect().width, shown: shown(bar)})),
        picked: {shown: shown($('picked')), naturalWidth: $('picked').naturalWidth,
          name: $('picked-name').textContent,
          besideBars: $('picked').getBoundingClientRect().right <= $('bars').getBoundingClientRect().left},
        timings: {shown: shown($('timings')), load: $('time-load').textContent,
          first: $('time-first').textContent, warm: $('time-warm').textContent},
      };
    });
    await page.screenshot({path: path.join(shots, 'bundle_demo_classifier.png'), fullPage: true});
  } finally {
    await browser.close();
    await server.close();
  }
}

async function main() {
  const [bundleDir, outFile, shots, caseDir, image, ...dictPairs] = process.argv.slice(2);
  if (!bundleDir || !outFile || !shots) {
    console.error('usage: node browser/bundle_scenarios.js BUNDLE_DIR OUT.json SCREENSHOT_DIR');
    process.exit(2);
  }
  fs.mkdirSync(shots, {recursive: true});
  const out = {};
  const dir = path.resolve(bundleDir);
  const t0 = Date.now();
  const lap = (what) => console.log(`${what}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const structured = [];
  for (let i = 0; i + 1 < dictPairs.length; i += 2) {
    structured.push({bundleDir: path.resolve(dictPairs[i]), caseDir: path.resolve(dictPairs[i + 1])});
  }
  await firstVisitAndOffline(dir, shots, out, caseDir, structured);
  lap('first visit, wasm visit, offline reload');
  await resume(dir, out);
  lap('resume');
  await corrupt(dir, shots, out);
  lap('corrupt');
  await demoPage(dir, shots, out, image ? path.resolve(image) : null);
  lap('demo page');
  fs.writeFileSync(outFile, JSON.stringify(out, null, 2) + '\n');
  console.log(`wrote ${outFile}`);
}

main().catch((err) => {
  console.error(`bundle_scenarios: ${err.stack || err}`);
  process.exit(1);
});
