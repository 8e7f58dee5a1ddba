'use strict';
/**
 * tfjs-node parity tests: one test per case found under $PARITY_CASES (path.delimiter-separated
 * case dirs or dirs of case dirs). Run: PARITY_CASES=dir node --test parity.test.js
 * Fails, never skips, when there is nothing to check or tfjs-node cannot load.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const {findCasesFromEnv, caseName, loadTf, runCase, summaryLine, failureMessage} =
    require('./lib');

let dirs = [];
try {
  dirs = findCasesFromEnv(process.env.PARITY_CASES);
} catch (err) {
  test('parity cases', () => assert.fail(err.message));
}

let tf = null;
let tfError = null;
if (dirs.length > 0) {
  try {
    tf = loadTf();
    // $PARITY_REGISTER: modules exporting `(tf) => void` that register custom layer classes.
    for (const mod of (process.env.PARITY_REGISTER || '').split(require('path').delimiter)) {
      if (mod) require(mod)(tf);
    }
  } catch (err) {
    tfError = err;
    test('tfjs-node', () => assert.fail(err.message));
  }
}

for (const dir of dirs) {
  test(caseName(dir), async (t) => {
    if (tfError) assert.fail(`case ${caseName(dir)}: ${tfError.message}`);
    const r = await runCase(tf, dir);
    t.diagnostic(summaryLine(r));
    if (!r.ok) assert.fail(failureMessage(r));
  });
}
