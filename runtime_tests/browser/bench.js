'use strict';
/**
 * Browser latency benchmark driver (tools/bench_browser.py runs it; not a test).
 *   node browser/bench.js CONFIG.json OUT.json
 * CONFIG: {models: [{label, dir, format}], backends: [...], runs: N, predicts: M}. A model
 * directory holding tfjs-export-layers.js gets it as a classic script first (our layer classes).
 * For each backend and model, `runs` times in a fresh page: first-load time (tf.loadLayersModel /
 * tf.loadGraphModel over loopback http: download + weight decode + model build), the first
 * prediction (includes kernel set-up), then the median of `predicts` warm predictions (batch 1).
 */
const fs = require('fs');
const path = require('path');
const {startServer} = require('./server');
const {launch} = require('./chromium');
const {LAYERS_LIBRARY} = require('../../converter/runtime/js/lib/model');

const MODULES = path.join(__dirname, '..', 'node_modules', '@tensorflow');

async function main() {
  const [configFile, outFile] = process.argv.slice(2);
  const config = JSON.parse(fs.readFileSync(configFile, 'utf8'));
  const mounts = {'/tfjs/': path.join(MODULES, 'tfjs', 'dist'),
    '/wasm/': path.join(MODULES, 'tfjs-backend-wasm', 'dist'),
    '/webgpu/': path.join(MODULES, 'tfjs-backend-webgpu', 'dist'), '/runner/': __dirname};
  config.models.forEach((m, i) => { mounts[`/m/${i}/`] = m.dir; });
  const server = await startServer(mounts);
  const browser = await launch({webgl: false});
  const rows = [];
  try {
    for (const backend of config.backends) {
      for (const [i, m] of config.models.entries()) {
        const runs = [];
        for (let r = 0; r < config.runs; r++) {
          const page = await browser.context.newPage();
          await page.goto(`${server.url}/runner/parity.html`);
          await page.waitForFunction(() => window.parity !== undefined);
          const probe = await page.evaluate((b) => window.parity.setBackend(b), backend);
          if (!probe.ok) throw new Error(`backend ${backend}: ${probe.detail}`);
          if (fs.existsSync(path.join(m.dir, LAYERS_LIBRARY))) {
            await page.evaluate((url) => window.parity.loadScript(url), `/m/${i}/${LAYERS_LIBRARY}`);
          }
          runs.push(await page.evaluate(async ({url, format, predicts}) => {
            try {
            let t0 = performance.now();
            const model = format === 'graph-model' ? await tf.loadGraphModel(url) : await tf.loadLayersModel(url);
            const loadMs = performance.now() - t0;
            const shape = model.inputs[0].shape.map((d) => (d === null || d === -1 ? 1 : d));
            const x = model.inputs[0].dtype === 'int32' ? tf.ones(shape, 'int32') : tf.randomNormal(shape);
            const once = async () => {
              const t = performance.now();
              const y = format === 'graph-model' ? await model.executeAsync(x) : model.predict(x);
              await [].concat(y)[0].data();
              [].concat(y).forEach((t2) => t2.dispose());
              return performance.now() - t;
            };
            const firstMs = await once();
            const warm = [];
            for (let k = 0; k < predicts; k++) warm.push(await once());
            warm.sort((a, b) => a - b);
            x.dispose();
            model.dispose();
            return {load_ms: loadMs, first_ms: firstMs, median_ms: warm[Math.floor(warm.length / 2)]};
            } catch (err) {  // a model this backend cannot run is a row saying why, not a dead run
              return {error: String(err && err.message || err).split('\n')[0]};
            }
          }, {url: `/m/${i}/model.json`, format: m.format, predicts: config.predicts}));
          await page.close();
        }
        const med = (k) => runs.map((x) => x[k]).sort((a, b) => a - b)[Math.floor(runs.length / 2)];
        const failed = runs.find((x) => x.error);
        const row = failed ? {backend, label: m.label, runs: runs.length, error: failed.error} :
          {backend, label: m.label, runs: runs.length, load_ms: med('load_ms'),
            first_ms: med('first_ms'), median_ms: med('median_ms')};
        console.log(JSON.stringify(row));
        rows.push(row);
      }
    }
  } finally {
    await browser.close();
    await server.close();
  }
  fs.writeFileSync(outFile, JSON.stringify({chromium_args: browser.args, rows}, null, 2) + '\n');
}

main().catch((err) => { console.error(`bench: ${err.stack || err}`); process.exit(1); });
