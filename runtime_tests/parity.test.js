'use strict';
/**
 * Parity tests in the TF.js runtime of converter/runtime/js/lib/tf.js (tfjs-node here): one test
 * per case found under $PARITY_CASES (path.delimiter-separated case dirs or dirs of case dirs). Run: PARITY_CASES=dir node --test parity.test.js
 * Fails, never skips, when there is nothing to check or the runtime cannot load.
 */
const test = require('node:test');
const assert = require('node:assert/strict');
const {findCasesFromEnv, caseName, loadTf, runCase, summaryLine, failureMessage} =
    require('../converter/runtime/js/lib');

let dirs = [];
try {
  dirs = findCasesFromEnv(process.env.PARITY_CASES);
} catch (err) {
  test('parity cases', () => assert.fail(err.message));
}

/** The runtime, loaded once, with $PARITY_REGISTER's modules (each exporting `(tf) => void`,
 * registering custom layer classes) run before any model loads. */
let ready = null;
function runtime() {
  ready = ready || loadTf().then((tf) => {
    for (const mod of (process.env.PARITY_REGISTER || '').split(require('path').delimiter)) {
      if (mod) require(mod)(tf);
    }
    return tf;
  });
  return ready;
}

for (const dir of dirs) {
  test(caseName(dir), async (t) => {
    let tf;
    try {
      tf = await runtime();
    } catch (err) {
      assert.fail(`case ${caseName(dir)}: ${err.message}`);
    }
    const r = await runCase(tf, dir);
    t.diagnostic(summaryLine(r));
    if (!r.ok) assert.fail(failureMessage(r));
  });
}
