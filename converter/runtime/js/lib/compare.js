'use strict';
/**
 * Compares one actual output with its expected tensor.
 * Pass: shapes equal, max|a - e| <= atol + rtol * max|e| (max over finite expected values),
 * and NaN only where expected is NaN. max_rel_err is max|a - e| / max|e|: error relative to the
 * output's scale, the same quantity rtol bounds (per-element ratios explode near zero).
 */

function sameShape(a, b) {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Max |x| over the finite values of x (0 for none). */
function maxAbsFinite(x) {
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const v = Math.abs(x[i]);
    if (Number.isFinite(v) && v > m) m = v;
  }
  return m;
}

/** Max |a - b|, and the count of places where NaN-ness differs (those count as infinite error). */
function maxAbsDiff(a, b) {
  let m = 0;
  let nanMismatch = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) nanMismatch++;
      continue;
    }
    const d = x === y ? 0 : Math.abs(x - y); // x === y also covers equal infinities
    if (d > m) m = d;
  }
  return {maxAbs: nanMismatch > 0 ? Infinity : m, nanMismatch};
}

/**
 * Returns {ok, max_abs_err, max_abs_expected, max_rel_err, bound, nan_mismatch, problem?}.
 * Infinity is reported as null by JSON, so callers should keep `problem` for the reason.
 */
function compareOutput(actual, actualShape, expected, expectedShape, tolerance) {
  const maxAbsExpected = maxAbsFinite(expected);
  const bound = tolerance.atol + tolerance.rtol * maxAbsExpected;
  if (!sameShape(actualShape, expectedShape)) {
    return {ok: false, max_abs_err: null, max_abs_expected: maxAbsExpected, max_rel_err: null,
      bound, nan_mismatch: 0,
      problem: `shape [${actualShape}] != expected [${expectedShape}] (bound ${fmt(bound)})`};
  }
  const {maxAbs, nanMismatch} = maxAbsDiff(actual, expected);
  const res = {
    ok: maxAbs <= bound,
    max_abs_err: maxAbs,
    max_abs_expected: maxAbsExpected,
    max_rel_err: maxAbsExpected > 0 ? maxAbs / maxAbsExpected : null,
    bound,
    nan_mismatch: nanMismatch,
  };
  if (nanMismatch > 0) res.problem = `${nanMismatch} element(s) NaN in only one of actual/expected (bound ${fmt(bound)})`;
  else if (!res.ok) res.problem = `max_abs_err ${fmt(maxAbs)} > bound ${fmt(bound)}`;
  return res;
}

/** Short fixed-width number for reports. */
function fmt(x) {
  if (x === null || x === undefined) return '-';
  if (!Number.isFinite(x)) return String(x);
  return x === 0 ? '0' : x.toExponential(2);
}

module.exports = {compareOutput, maxAbsDiff, maxAbsFinite, fmt};
