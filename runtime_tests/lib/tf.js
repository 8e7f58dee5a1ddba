'use strict';
/** Loads the native tfjs-node backend, with an error that says how to fix a missing install. */

function loadTf() {
  // Quiet libtensorflow's C++ start-up chatter unless the caller asked for it.
  if (process.env.TF_CPP_MIN_LOG_LEVEL === undefined) process.env.TF_CPP_MIN_LOG_LEVEL = '2';
  let tf;
  try {
    tf = require('@tensorflow/tfjs-node');
  } catch (err) {
    throw new Error(
      `cannot load @tensorflow/tfjs-node (${err.message.split('\n')[0]}); ` +
      'run tools/setup.sh to install runtime_tests/node_modules');
  }
  return tf;
}

/** Versions and backend for result.json, so a report says which runtime produced it. */
function runtimeInfo(tf) {
  return {backend: tf.getBackend(), tfjs_version: tf.version['tfjs-node'] || tf.version_core};
}

module.exports = {loadTf, runtimeInfo};
