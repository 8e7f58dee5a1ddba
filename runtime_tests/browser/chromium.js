'use strict';
/**
 * Starts the system's headless Chromium (Debian's /usr/bin/chromium; never a downloaded browser)
 * through playwright-core, with a fresh, empty profile each time.
 */
const fs = require('fs');
const os = require('os');
const path = require('path');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// Why these flags (docs/browser.md, "Headless Chromium"): without the background-networking flags Chromium keeps dialling out, and
// the closed network refuses it. (playwright-core adds --headless and --no-sandbox itself too.)
const FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
// WebGL: with --disable-gpu there is no GPU process; Chromium can still offer WebGL through
// SwiftShader (CPU) when asked explicitly. Whether it does is probed, never assumed.
const WEBGL_FLAGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
// WebGPU headless: SwiftShader's Vulkan adapter, on a secure-context page (127.0.0.1).
const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader'];

function loadPlaywright() {
  try {
    return require('playwright-core');
  } catch (err) {
    throw new Error(`cannot load playwright-core (${err.message.split('\n')[0]}); run tools/setup.sh`);
  }
}

/**
 * Launches Chromium with a new temporary profile (--user-data-dir, removed by close()).
 * Returns {context, profile, close()}. options.webgl adds the SwiftShader flags (on unless
 * false), options.webgpu the WebGPU ones.
 */
async function launch(options = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} not found: apt-get install chromium (tools/setup.sh does)`);
  }
  const {chromium} = loadPlaywright();
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tfjs-export-chromium-'));
  const args = [...FLAGS, ...(options.webgl === false ? [] : WEBGL_FLAGS), ...(options.webgpu ? WEBGPU_FLAGS : [])];
  let context;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM, headless: true, args, viewport: {width: 1000, height: 760},
    });
  } catch (err) {
    fs.rmSync(profile, {recursive: true, force: true});
    throw err;
  }
  return {
    context,
    profile,
    args,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(profile, {recursive: true, force: true});
    },
  };
}

module.exports = {launch, CHROMIUM, FLAGS, WEBGL_FLAGS, WEBGPU_FLAGS};
