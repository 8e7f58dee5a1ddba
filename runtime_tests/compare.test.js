'use strict';
/** Unit tests of the pass criterion (no TF.js needed). Run: node --test compare.test.js */
const test = require('node:test');
const assert = require('node:assert/strict');
const {compareOutput} = require('../converter/runtime/js/lib/compare');

const tol = {atol: 1e-5, rtol: 1e-3};
const f32 = (xs) => Float32Array.from(xs);

test('bound is atol + rtol * max|expected| over finite values', () => {
  const r = compareOutput(f32([1, -4, 2]), [3], f32([1, -4, 2.003]), [3], tol);
  assert.equal(r.max_abs_expected, 4);
  assert.ok(Math.abs(r.bound - (1e-5 + 4e-3)) < 1e-12);
  assert.ok(r.ok);
  assert.ok(Math.abs(r.max_rel_err - r.max_abs_err / 4) < 1e-12);
});

test('error past the bound fails and says so', () => {
  const r = compareOutput(f32([0, 0]), [2], f32([0, 1]), [2], tol);
  assert.equal(r.ok, false);
  assert.match(r.problem, /max_abs_err 1\.00e\+0 > bound/);
});

test('NaN passes only where expected has NaN', () => {
  assert.ok(compareOutput(f32([NaN, 1]), [2], f32([NaN, 1]), [2], tol).ok);
  const r = compareOutput(f32([NaN, 1]), [2], f32([0, 1]), [2], tol);
  assert.equal(r.ok, false);
  assert.equal(r.nan_mismatch, 1);
  assert.equal(compareOutput(f32([0, 1]), [2], f32([NaN, 1]), [2], tol).ok, false);
});

test('equal infinities match, others do not', () => {
  assert.ok(compareOutput(f32([Infinity]), [1], f32([Infinity]), [1], tol).ok);
  assert.equal(compareOutput(f32([-Infinity]), [1], f32([Infinity]), [1], tol).ok, false);
});

test('shape mismatch fails even with equal data', () => {
  const r = compareOutput(f32([1, 2]), [2, 1], f32([1, 2]), [2], tol);
  assert.equal(r.ok, false);
  assert.match(r.problem, /shape/);
});
