'use strict';
/**
 * Reads parity cases written by converter/runtime/cases.py: case.json plus raw little-endian
 * float32/int32 tensors in C order (string inputs: JSON lists). Also finds case directories from a list of paths.
 */
const fs = require('fs');
const path = require('path');

const CASE_FILE = 'case.json';
const DTYPES = {float32: Float32Array, int32: Int32Array};

function isCaseDir(dir) {
  return fs.existsSync(path.join(dir, CASE_FILE));
}

/**
 * Expands paths (each a case dir or a dir of case dirs) to a sorted list of case dirs.
 * Throws when the list is empty, a path is missing, or a path holds no case: a parity run
 * that silently checks nothing must not pass.
 */
function findCases(paths) {
  const roots = paths.filter((p) => p && p.trim() !== '');
  if (roots.length === 0) throw new Error('no case directories given (PARITY_CASES is empty)');
  const found = [];
  for (const root of roots) {
    const abs = path.resolve(root);
    if (!fs.existsSync(abs) || !fs.statSync(abs).isDirectory()) {
      throw new Error(`case path does not exist or is not a directory: ${abs}`);
    }
    if (isCaseDir(abs)) {
      found.push(abs);
      continue;
    }
    const subs = fs.readdirSync(abs, {withFileTypes: true})
        .filter((e) => e.isDirectory() && isCaseDir(path.join(abs, e.name)))
        .map((e) => path.join(abs, e.name))
        .sort();
    if (subs.length === 0) throw new Error(`no ${CASE_FILE} in ${abs} or its subdirectories`);
    found.push(...subs);
  }
  return found;
}

/** Splits an env value like PARITY_CASES on the platform's path delimiter, then finds cases. */
function findCasesFromEnv(value) {
  return findCases((value || '').split(path.delimiter));
}

function product(shape) {
  return shape.reduce((a, b) => a * b, 1);
}

/** Reads one raw tensor file and checks its size against shape and dtype. A string tensor's
 * file is a JSON list of its elements in C order (TF.js takes strings as JS strings). */
function readTensor(file, shape, dtype) {
  if (dtype === 'string') {
    const values = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (!Array.isArray(values) || values.length !== product(shape) || values.some((v) => typeof v !== 'string')) {
      throw new Error(`${file}: expected a JSON list of ${product(shape)} strings for string[${shape}]`);
    }
    return values;
  }
  const Ctor = DTYPES[dtype];
  if (!Ctor) throw new Error(`${file}: unsupported dtype ${JSON.stringify(dtype)}`);
  const buf = fs.readFileSync(file);
  const want = product(shape) * Ctor.BYTES_PER_ELEMENT;
  if (buf.length !== want) {
    throw new Error(`${file}: ${buf.length} bytes, expected ${want} for ${dtype}[${shape}]`);
  }
  // Copy into an aligned buffer: a Buffer's byteOffset need not be a multiple of 4.
  const out = new Ctor(product(shape));
  new Uint8Array(out.buffer).set(buf);
  return out;
}

/** Reads case.json and its tensors; paths inside are resolved against the case dir. */
function readCase(dir) {
  const caseDir = path.resolve(dir);
  const spec = JSON.parse(fs.readFileSync(path.join(caseDir, CASE_FILE), 'utf8'));
  const at = (p) => path.resolve(caseDir, p);
  const format = spec.format || 'layers-model';
  if (format !== 'layers-model' && format !== 'graph-model') {
    throw new Error(`${caseDir}: unknown format ${JSON.stringify(format)}`);
  }
  const inputs = spec.inputs.map((s) => ({
    name: s.name, shape: s.shape, dtype: s.dtype || 'float32',
    data: readTensor(at(s.file), s.shape, s.dtype || 'float32'),
  }));
  const outputs = spec.outputs.map((s) => ({
    name: s.name, shape: s.shape, dtype: s.dtype || 'float32',
    expected: readTensor(at(s.file), s.shape, s.dtype || 'float32'),
  }));
  const floatRef = (spec.float_reference || []).map((s, i) =>
    readTensor(at(s.file), outputs[i].shape, s.dtype || 'float32'));
  const tol = spec.tolerance || {};
  return {
    dir: caseDir,
    name: spec.name || path.basename(caseDir),
    modelPath: at(spec.model),
    format,
    inputs,
    outputs,
    floatReference: floatRef,
    tolerance: {atol: Number(tol.atol ?? 0), rtol: Number(tol.rtol ?? 0), why: tol.why || ''},
  };
}

/** The case's name without reading its tensors (for test titles); falls back to the dir name. */
function caseName(dir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, CASE_FILE), 'utf8')).name || path.basename(dir);
  } catch (err) {
    return path.basename(dir);
  }
}

module.exports = {findCases, findCasesFromEnv, readCase, readTensor, caseName, product};
