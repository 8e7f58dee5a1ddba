/**
 * tfjs-export bundle loader (written by `tfjs-export bundle`; needs TF.js loaded as `tf`).
 *
 *   const {model, info, predict} = await tfjsExportBundle.load('path/to/model_dir/');
 *   const {score, cls} = await predict({age: ageTensor, feat: featTensor});  // by name
 *
 * - Integrity: every file (model.json and each weight shard) is checked against the SHA-256 and
 *   size in integrity.json before use; a corrupted or truncated file is refused with a
 *   BundleError (kind 'integrity') naming it, never turned into a model that predicts garbage.
 * - Offline: verified files are kept in Cache Storage; a later visit loads with no network
 *   (integrity.json too is kept, and used when the network is down).
 * - Resume: each shard is cached as soon as it is verified, so after a broken download the next
 *   load fetches only the shards still missing.
 * - tfjs-export-layers.js (our JS layer classes, when the model needs them) is verified and kept
 *   like the other files, then run before the model loads: it registers its classes with `tf`.
 * Cache Storage and crypto.subtle need a secure context (https, or http://localhost/127.0.0.1).
 */
(function (global) {
  'use strict';
  const PREFIX = 'tfjs-export-';
  const INDEX_CACHE = PREFIX + 'index';
  const PARALLEL = 4;
  // Written by `convert` next to model.json when the model needs our JS layer classes.
  const LAYERS_LIBRARY = 'tfjs-export-layers.js';

  class BundleError extends Error {
    /** kind: 'integrity' | 'network' | 'offline' | 'format' */
    constructor(kind, message) {
      super(message);
      this.name = 'BundleError';
      this.kind = kind;
    }
  }

  async function sha256Hex(buffer) {
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', buffer));
    return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** null when buffer matches entry ({size, sha256}), else the problem. */
  async function mismatch(buffer, entry) {
    if (buffer.byteLength !== entry.size) {
      return `${buffer.byteLength} bytes, expected ${entry.size} (truncated or corrupted)`;
    }
    const got = await sha256Hex(buffer);
    return got === entry.sha256 ? null : `SHA-256 mismatch (expected ${entry.sha256.slice(0, 16)}..., got ${got.slice(0, 16)}...)`;
  }

  /** integrity.json from the network (then remembered), else the remembered copy. */
  async function readIntegrity(base) {
    const url = new URL('integrity.json', base).href;
    const index = await caches.open(INDEX_CACHE);
    let text = null;
    let source = 'network';
    try {
      const response = await fetch(url, {cache: 'no-store'});
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      text = await response.text();
      JSON.parse(text); // only a well-formed copy replaces the remembered one
      await index.put(url, new Response(text, {headers: {'Content-Type': 'application/json'}}));
    } catch (err) {
      const cached = await index.match(url);
      if (!cached) {
        throw new BundleError('offline', `integrity.json: cannot download (${err.message}) and no copy is cached`);
      }
      text = await cached.text();
      source = 'cache';
    }
    const integrity = JSON.parse(text);
    if (!integrity.files || !integrity.files['model.json']) {
      throw new BundleError('format', 'integrity.json: no entry for model.json');
    }
    return {integrity, source};
  }

  /** One verified file: from the cache if a good copy is there, else downloaded and cached. */
  async function getFile(cache, base, name, entry, info) {
    const url = new URL(name, base).href;
    const cached = await cache.match(url);
    if (cached) {
      const buffer = await cached.arrayBuffer();
      if (!(await mismatch(buffer, entry))) {
        info.fromCache.push(name);
        return buffer;
      }
      await cache.delete(url); // a bad cached copy is dropped and fetched again
    }
    let buffer;
    try {
      const response = await fetch(url, {cache: 'no-store'});
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      buffer = await response.arrayBuffer();
    } catch (err) {
      throw new BundleError('network', `${name}: download failed (${err.message})`);
    }
    const problem = await mismatch(buffer, entry);
    if (problem) throw new BundleError('integrity', `integrity check failed: ${name}: ${problem}`);
    await cache.put(url, new Response(buffer));
    info.fromNetwork.push(name);
    info.downloadedBytes += buffer.byteLength;
    return buffer;
  }

  /** Runs fn over items, at most `limit` at a time; waits for all, then throws the first error. */
  async function settleAll(items, limit, fn) {
    const results = new Array(items.length);
    const errors = [];
    let next = 0;
    async function worker() {
      while (next < items.length) {
        const i = next++;
        try {
          results[i] = await fn(items[i]);
        } catch (err) {
          errors.push(err);
        }
      }
    }
    await Promise.all(Array.from({length: Math.min(limit, items.length)}, worker));
    if (errors.length) throw errors[0];
    return results;
  }

  /** Drops caches of older versions of this same bundle (same base URL, other model.json). */
  async function dropStale(base, keep) {
    const mine = PREFIX + 'model:' + base + ':';
    for (const name of await caches.keys()) {
      if (name.startsWith(mine) && name !== keep) await caches.delete(name);
    }
  }

  const DTYPES = {DT_FLOAT: 'float32', DT_INT32: 'int32', DT_INT64: 'int32', DT_BOOL: 'bool', DT_STRING: 'string'};

  /** {name, shape, dtype} of a model's inputs or outputs by TF.js name (Graph: the signature's keys). */
  function tensorsByName(model, modelJSON, which) {
    const signature = modelJSON.signature;
    if (modelJSON.format === 'graph-model' && signature && signature[which]) {
      return Object.keys(signature[which]).filter((k) => !('resourceId' in signature[which][k])).map((k) => {
        const info = signature[which][k];
        const dims = info.tensorShape && info.tensorShape.dim;
        return {name: k, dtype: DTYPES[info.dtype] || 'float32',
          shape: dims ? dims.map((d) => (Number(d.size) < 0 ? null : Number(d.size))) : null};
      });
    }
    const names = which === 'inputs' ? model.inputNames : model.outputNames;
    return model[which].map((t, i) => ({name: names[i], shape: t.shape, dtype: t.dtype}));
  }

  /**
   * Named calls for a loaded model. The converter names every input and output (a Keras dict's
   * keys) and records a dict / nested structure in userDefinedMetadata.structure:
   *   predictByName(feed) -> {name: tensor} for every output;
   *   predict(feed) -> the outputs in the Keras model's structure ({score, cls}, [a, [b, c]], one
   *     tensor), or as TF.js returns them when nothing is recorded.
   * feed: {name: tensor}, the input structure itself, an array in input order, or one tensor.
   */
  function namedCalls(model, modelJSON) {
    const structure = (modelJSON.userDefinedMetadata || {}).structure || null;
    const inputs = tensorsByName(model, modelJSON, 'inputs').map((t) => t.name);
    const outputs = tensorsByName(model, modelJSON, 'outputs').map((t) => t.name);
    const graph = modelJSON.format === 'graph-model';
    function flatFeed(feed) {
      const named = {};
      const walk = (shape, value) => {
        if (typeof shape === 'string') named[shape] = value;
        else if (Array.isArray(shape)) shape.forEach((s, i) => walk(s, value && value[i]));
        else Object.keys(shape).forEach((k) => walk(shape[k], value && value[k]));
      };
      const nestedList = structure && Array.isArray(structure.inputs);
      if (feed instanceof tf.Tensor) named[inputs[0]] = feed;
      else if (Array.isArray(feed) && !nestedList) inputs.forEach((n, i) => { named[n] = feed[i]; });
      else if (structure && typeof structure.inputs !== 'string') walk(structure.inputs, feed);
      else Object.assign(named, feed);
      const missing = inputs.filter((n) => !(named[n] instanceof tf.Tensor));
      if (missing.length) {
        throw new BundleError('format', `no tensor given for input(s) ${missing.join(', ')} ` +
          `(the model's inputs: ${inputs.join(', ')})`);
      }
      return named;
    }
    async function predictByName(feed) {
      const named = flatFeed(feed);
      let ys;
      if (graph) {
        try {
          ys = model.execute(named, outputs);
        } catch (err) {
          if (!/executeAsync/.test(err.message)) throw err;
          ys = await model.executeAsync(named, outputs);
        }
      } else {
        const xs = inputs.map((n) => named[n]);
        ys = model.predict(xs.length === 1 ? xs[0] : xs);
      }
      ys = [].concat(ys);
      const byName = {};
      outputs.forEach((n, i) => { byName[n] = ys[i]; });
      return byName;
    }
    async function predict(feed) {
      const byName = await predictByName(feed);
      const build = (shape) => (typeof shape === 'string' ? byName[shape] : Array.isArray(shape) ? shape.map(build) :
        Object.fromEntries(Object.keys(shape).map((k) => [k, build(shape[k])])));
      if (structure) return build(structure.outputs);
      return outputs.length === 1 ? byName[outputs[0]] : outputs.map((n) => byName[n]);
    }
    return {inputs: tensorsByName(model, modelJSON, 'inputs'), outputs: tensorsByName(model, modelJSON, 'outputs'),
      structure, predict, predictByName};
  }

  /**
   * Loads the bundle in directory baseUrl. Returns {model, modelJSON, integrity, info, inputs,
   * outputs, structure, predict, predictByName} (the last five: namedCalls); info has format,
   * files, totalBytes, fromCache, fromNetwork, downloadedBytes, integritySource, loadMs.
   */
  async function load(baseUrl, options = {}) {
    const t0 = performance.now();
    const base = new URL(baseUrl, global.location.href);
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    if (!global.caches || !global.crypto || !crypto.subtle) {
      throw new BundleError('format', 'Cache Storage / crypto.subtle unavailable: serve the page over https or from localhost');
    }
    const {integrity, source} = await readIntegrity(base);
    const cacheName = PREFIX + 'model:' + base.href + ':' + integrity.files['model.json'].sha256;
    const cache = await caches.open(cacheName);
    const info = {fromCache: [], fromNetwork: [], downloadedBytes: 0, integritySource: source,
      files: Object.keys(integrity.files).length,
      totalBytes: Object.values(integrity.files).reduce((a, e) => a + e.size, 0)};
    const modelBuffer = await getFile(cache, base, 'model.json', integrity.files['model.json'], info);
    const modelJSON = JSON.parse(new TextDecoder().decode(modelBuffer));
    const paths = [].concat(...(modelJSON.weightsManifest || []).map((g) => g.paths));
    for (const p of paths) {
      if (!integrity.files[p]) throw new BundleError('integrity', `integrity check failed: ${p} is not listed in integrity.json`);
    }
    if (options.onProgress) options.onProgress(0, paths.length);
    let done = 0;
    const buffers = await settleAll(paths, PARALLEL, async (p) => {
      const b = await getFile(cache, base, p, integrity.files[p], info);
      if (options.onProgress) options.onProgress(++done, paths.length);
      return b;
    });
    await dropStale(base.href, cacheName);
    if (integrity.files[LAYERS_LIBRARY]) {
      // The model uses our JS layer classes: run the verified file, which registers them with tf.
      const code = await getFile(cache, base, LAYERS_LIBRARY, integrity.files[LAYERS_LIBRARY], info);
      new Function(new TextDecoder().decode(code))();  // eslint-disable-line no-new-func
    }
    const artifacts = await tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) =>
      [tf.io.getWeightSpecs(manifest), tf.io.concatenateArrayBuffers(buffers)]);
    const handler = {load: async () => artifacts};
    info.format = modelJSON.format || 'layers-model';
    const model = info.format === 'graph-model' ?
      await tf.loadGraphModel(handler) : await tf.loadLayersModel(handler);
    info.loadMs = performance.now() - t0;
    return {model, modelJSON, integrity, info, ...namedCalls(model, modelJSON)};
  }

  global.tfjsExportBundle = {load, namedCalls, BundleError, sha256Hex};
})(typeof window !== 'undefined' ? window : self);
