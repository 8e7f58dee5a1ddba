#!/usr/bin/env node
'use strict';
/**
 * CLI: node predict.js CASE_DIR...  (each a case dir or a dir of case dirs)
 * Runs every case in the TF.js runtime (lib/tf.js), writes actual_*.bin + result.json into each case dir, and
 * prints one line per case. Exit 0 all pass, 1 a parity failure, 2 nothing to run / no TF.js runtime.
 */
const {findCases, loadTf, runCase, runtimeInfo, summaryLine} = require('./lib');

async function main(argv) {
  if (argv.length === 0 || argv.includes('-h') || argv.includes('--help')) {
    console.error('usage: node predict.js CASE_DIR...');
    return 2;
  }
  let dirs;
  let tf;
  try {
    dirs = findCases(argv);
    tf = await loadTf();
  } catch (err) {
    console.error(`predict.js: ${err.message}`);
    return 2;
  }
  let failed = 0;
  for (const dir of dirs) {
    const r = await runCase(tf, dir);
    console.log(summaryLine(r));
    if (!r.ok) failed++;
  }
  const info = runtimeInfo(tf);
  console.log(`${dirs.length - failed}/${dirs.length} cases passed ` +
    `(${info.runtime} ${info.tfjs_version}, backend ${info.backend})`);
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
