'use strict';
/** One-line summaries and failure messages for a result (shared by the test runner and CLI). */
const {fmt} = require('./compare');

function outputLine(o) {
  let s = `${o.name} [${o.shape}] max_abs_err=${fmt(o.max_abs_err)} bound=${fmt(o.bound)}`;
  if (o.max_abs_err_vs_float !== undefined) s += ` vs_float=${fmt(o.max_abs_err_vs_float)}`;
  return s;
}

/** e.g. "PASS mlp_float32: dense_1 [4,3] max_abs_err=1.19e-7 bound=1.00e-5 (load 41 ms, predict 3 ms)" */
function summaryLine(r) {
  const head = `${r.ok ? 'PASS' : 'FAIL'} ${r.name}:`;
  const body = r.error ? `error: ${r.error}` : r.outputs.map(outputLine).join('; ');
  const ms = (x) => (x === null ? '-' : x.toFixed(0));
  return `${head} ${body} (load ${ms(r.load_ms)} ms, predict ${ms(r.predict_ms)} ms)`;
}

/** Names the case, each failing output, its error and its bound. */
function failureMessage(r) {
  if (r.error) return `case ${r.name}: ${r.error}`;
  // Each problem text already carries the error and the bound.
  const bad = r.outputs.filter((o) => !o.ok).map((o) => `output ${o.name}: ${o.problem}`);
  return `case ${r.name}: ${bad.join('; ')}`;
}

module.exports = {summaryLine, failureMessage};
