'use strict';
/**
 * In-page half of the browser parity runner (driven by browser_parity.test.js): selects a TF.js
 * backend, loads a model over HTTP with tf.loadLayersModel / tf.loadGraphModel, predicts on
 * inputs passed in as base64 little-endian bytes, and hands the outputs back the same way.
 */
(function () {
  const ARRAYS = {float32: Float32Array, int32: Int32Array};

  function fromBase64(b64, dtype) {
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new ARRAYS[dtype](bytes.buffer);
  }

  function toBase64(typed) {
    const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
    let s = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(s);
  }

  /** What the WebGL backend runs on (e.g. SwiftShader), for the report. */
  function webglRenderer() {
    try {
      const gl = document.createElement('canvas').getContext('webgl2') ||
          document.createElement('canvas').getContext('webgl');
      if (!gl) return null;
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      return ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    } catch (err) {
      return null;
    }
  }

  /** What the WebGPU backend runs on (e.g. SwiftShader's Vulkan adapter), for the report. */
  async function webgpuAdapter() {
    try {
      const adapter = navigator.gpu && await navigator.gpu.requestAdapter();
      if (!adapter) return null;
      const info = adapter.info || {};
      return [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unnamed';
    } catch (err) {
      return null;
    }
  }

  /** Switches to backend name; {ok, backend, detail} (ok false when it cannot start here). */
  async function setBackend(name) {
    if (name === 'wasm') tf.wasm.setWasmPaths('/wasm/');
    let ok = false;
    let detail = '';
    try {
      ok = await tf.setBackend(name);
      await tf.ready();
    } catch (err) {
      detail = String(err && err.message || err);
    }
    ok = ok && tf.getBackend() === name;
    if (name === 'webgl') {
      detail = detail || `renderer ${webglRenderer()}`;
      if (ok) {
        detail += `, WEBGL_VERSION ${tf.env().getNumber('WEBGL_VERSION')}` +
          `, float32 render ${tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED')}`;
      }
    }
    if (name === 'webgpu') {
      detail = detail || (navigator.gpu ? `adapter ${await webgpuAdapter()}` : 'no navigator.gpu');
    }
    if (name === 'wasm' && ok) {
      detail = `simd ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}, ` +
        `threads ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}`;
    }
    return {ok, backend: tf.getBackend(), detail, tfjs_version: tf.version.tfjs};
  }

  async function predictGraph(model, spec, xs) {
    const feed = {};
    spec.inputs.forEach((s, i) => { feed[s.name] = xs[i]; });
    const names = spec.outputNames;
    try {
      return {ys: model.execute(feed, names), mode: 'execute'};
    } catch (err) {
      if (!/executeAsync/.test(err.message)) throw err;
      return {ys: await model.executeAsync(feed, names), mode: 'executeAsync'};
    }
  }

  function predictLayers(model, spec, xs) {
    if (model.inputs.length !== xs.length) {
      throw new Error(`model has ${model.inputs.length} input(s), case has ${xs.length}`);
    }
    if (model.outputs.length !== spec.outputNames.length) {
      throw new Error(`model has ${model.outputs.length} output(s), case has ${spec.outputNames.length}`);
    }
    // Fed and matched by name when the case's names are the model's (as converter/runtime/js does).
    const inNames = spec.inputs.map((s) => s.name);
    const unique = (names) => new Set(names).size === names.length;
    const named = model.inputNames.length === xs.length && model.outputNames.length === spec.outputNames.length &&
      unique(model.inputNames) && unique(model.outputNames) &&
      model.inputNames.every((n) => inNames.includes(n)) &&
      model.outputNames.every((n) => spec.outputNames.includes(n));
    const feed = named ? model.inputNames.map((n) => xs[inNames.indexOf(n)]) : xs;
    const ys = [].concat(model.predict(feed.length === 1 ? feed[0] : feed));
    return {ys: named ? spec.outputNames.map((n) => ys[model.outputNames.indexOf(n)]) : ys, mode: 'predict'};
  }

  const loadedScripts = new Map();

  /** Adds a classic <script src=url> once (e.g. a model's tfjs-export-layers.js, which
   * registers its classes with the global tf); resolves when it has run. */
  function loadScript(url) {
    if (!loadedScripts.has(url)) {
      loadedScripts.set(url, new Promise((resolve, reject) => {
        // An exception while the script runs still fires onload: catch it through window's error.
        const href = new URL(url, location.href).href;
        let thrown = null;
        const onError = (e) => { if (e.filename === href) thrown = e.message; };
        window.addEventListener('error', onError);
        const el = document.createElement('script');
        el.src = url;
        el.onload = () => {
          window.removeEventListener('error', onError);
          if (thrown) reject(new Error(`${url}: ${thrown}`));
          else resolve();
        };
        el.onerror = () => {
          window.removeEventListener('error', onError);
          reject(new Error(`${url}: the script did not load`));
        };
        document.head.appendChild(el);
      }));
    }
    return loadedScripts.get(url);
  }

  /**
   * spec: {modelUrl, format, inputs: [{name, shape, dtype, b64}], outputNames, scripts}:
   * scripts (optional) are loaded first, as classic scripts.
   * Returns {backend, mode, load_ms, predict_ms, outputs: [{shape, dtype, b64}]} or {error}.
   */
  async function runCase(spec) {
    let model = null;
    let xs = [];
    let ys = [];
    try {
      for (const url of spec.scripts || []) await loadScript(url);
      let t0 = performance.now();
      model = spec.format === 'graph-model' ?
        await tf.loadGraphModel(spec.modelUrl) : await tf.loadLayersModel(spec.modelUrl);
      const loadMs = performance.now() - t0;
      xs = spec.inputs.map((s) => tf.tensor(fromBase64(s.b64, s.dtype), s.shape, s.dtype));
      t0 = performance.now();
      const pred = spec.format === 'graph-model' ?
        await predictGraph(model, spec, xs) : predictLayers(model, spec, xs);
      ys = Array.isArray(pred.ys) ? pred.ys : [pred.ys];
      const values = await Promise.all(ys.map((y) => y.data()));
      const predictMs = performance.now() - t0;
      return {
        backend: tf.getBackend(), mode: pred.mode, load_ms: loadMs, predict_ms: predictMs,
        // (WebGPU can hand a float32 tensor's data back as another typed array: copy, never reinterpret.)
        outputs: ys.map((y, i) => ({shape: y.shape, dtype: y.dtype,
          b64: toBase64(y.dtype === 'float32' ? Float32Array.from(values[i]) : Int32Array.from(values[i]))})),
      };
    } catch (err) {
      return {error: String(err && err.message || err).split('\n')[0], backend: tf.getBackend()};
    } finally {
      xs.forEach((x) => x.dispose());
      ys.forEach((y) => y.dispose());
      if (model) model.dispose();
    }
  }

  window.parity = {setBackend, runCase, loadScript};
  document.getElementById && window.addEventListener('DOMContentLoaded', () => {
    document.getElementById('status').textContent = `ready: tfjs ${tf.version.tfjs}`;
  });
})();
