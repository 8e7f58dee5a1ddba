'use strict';
/**
 * Loads the TF.js runtime `verify` runs on. The packages come from the node_modules directory the
 * Python side puts on NODE_PATH (converter/runtime/node.py):
 *   - `@tensorflow/tfjs-node` (native TensorFlow backend) when it is installed, else
 *   - TF.js core, layers and converter with `@tensorflow/tfjs-backend-wasm` (plain npm packages,
 *     no native build: the same WASM kernels a browser's WASM backend runs).
 */

const SETUP_HINT = 'install a runtime with `tfjs-export install-runtime` (or, in a clone, run tools/setup.sh)';

function isMissing(err, name) {
  return err && err.code === 'MODULE_NOT_FOUND' && err.message.includes(`'${name}'`);
}

function requireOrExplain(name, why) {
  try {
    return require(name);
  } catch (err) {
    throw new Error(`cannot load ${name} (${err.message.split('\n')[0]}); ${why}`);
  }
}

/** The native runtime, or null when tfjs-node is not installed (a broken install is an error). */
function loadNative() {
  try {
    return require('@tensorflow/tfjs-node');
  } catch (err) {
    if (isMissing(err, '@tensorflow/tfjs-node')) return null;
    throw new Error(`cannot load @tensorflow/tfjs-node (${err.message.split('\n')[0]}); ${SETUP_HINT}`);
  }
}

/** The packages `@tensorflow/tfjs` bundles, minus what Node does not need (WebGL, data): one
 * namespace, as `require('@tensorflow/tfjs')` gives it. */
async function loadWasm() {
  const tf = Object.assign({}, ...['core', 'layers', 'converter'].map(
      (part) => requireOrExplain(`@tensorflow/tfjs-${part}`, SETUP_HINT)));
  requireOrExplain('@tensorflow/tfjs-backend-wasm', SETUP_HINT);
  if (!(await tf.setBackend('wasm'))) throw new Error('the TF.js WASM backend did not start');
  await tf.ready();
  return tf;
}

/** Resolves to the `tf` namespace with its backend ready. */
async function loadTf() {
  // Quiet libtensorflow's C++ start-up chatter unless the caller asked for it.
  if (process.env.TF_CPP_MIN_LOG_LEVEL === undefined) process.env.TF_CPP_MIN_LOG_LEVEL = '2';
  return loadNative() || loadWasm();
}

/** tf comes from tfjs-node (which alone reads `file://` URLs). */
function isNative(tf) {
  return Boolean(tf.version && tf.version['tfjs-node']);
}

/** Which package ran the model, its version and backend, for result.json and reports. */
function runtimeInfo(tf) {
  return {runtime: isNative(tf) ? 'tfjs-node' : 'tfjs', backend: tf.getBackend(),
    tfjs_version: isNative(tf) ? tf.version['tfjs-node'] : tf.version_core};
}

module.exports = {isNative, loadTf, runtimeInfo};
