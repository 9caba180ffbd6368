// SPDX-License-Identifier: GPL-2.0-only
//
// Runs every trap case QEMU can express and prints how many agree with decideTrap.
//   npx tsx --conditions=@kvmfp/source packages/machine/qemu/run-all.ts [--sample | --full] [--show N]
// Default: every context of the reference enumeration that QEMU can express (about 162,000, 20 s);
// --sample: the stratified sample (twice the vitest one); --full: the full product over every
// control (millions of cases, minutes), run class by class.
// Exit status 1 on a disagreement not listed in KNOWN_DISAGREEMENTS (./compare.ts).

import { INSN_CLASSES } from '../src/traps.js';
import { allQemuCases, sampleQemuCases } from './cases.js';
import { compareWithQemu, emptyReport, formatReport, mergeReports } from './compare.js';
import { qemuMissing } from './harness.js';

const args = process.argv.slice(2);
const missing = qemuMissing();
if (missing) {
  console.error(`run-all: ${missing}`);
  process.exit(2);
}
const showAt = args.indexOf('--show');
const show = showAt >= 0 ? Number(args[showAt + 1]) : 10;
const t0 = Date.now();
let report = emptyReport();
if (args.includes('--sample')) report = compareWithQemu(sampleQemuCases(true));
else {
  for (const cls of INSN_CLASSES) {
    report = mergeReports(report, compareWithQemu(allQemuCases([cls], args.includes('--full'))));
    if (args.includes('--full')) console.error(`run-all: ${cls} done, ${report.compared} cases so far`);
  }
}
console.log(formatReport(report, show));
console.log(`run-all: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
process.exit(report.unexplained.length > 0 ? 1 : 0);
