"""Running converted models in a real TF.js runtime under Node.js: what `verify` stands on.

- cases.py: a parity *case* on disk (inputs, reference outputs, tolerance) and the runner's verdict;
- node.py: finding Node.js and a TF.js runtime (tfjs-node, or the light WASM one) and running
  the JavaScript runner in js/ (predict.js + lib/) on case dirs;
- light.py: installing the light runtime from the lock shipped in light/.
No TensorFlow or Keras here: numpy and the standard library only.
"""
