'use strict';
/**
 * tfjs-export-layers for npm users: `require('tfjs-export-layers').register(tf)` defines and
 * registers every class with the `tf` your application loaded (@tensorflow/tfjs or tfjs-node)
 * before tf.loadLayersModel. FAMILIES lists every module of src/ but registry.js, in file order.
 */
const {makeRegister} = require('./src/registry');

const FAMILIES = {
  attention: require('./src/attention'),
  common: require('./src/common'),
  gradients: require('./src/gradients'),
  masks: require('./src/masks'),
  recurrent: require('./src/recurrent'),
  ops: require('./src/ops'),
  preprocessing: require('./src/preprocessing'),
  normalization: require('./src/normalization'),
  shapes: require('./src/shapes'),
};

module.exports = makeRegister(Object.entries(FAMILIES).map(([name, family]) => Object.assign({name}, family)));
