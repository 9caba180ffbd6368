// SPDX-License-Identifier: GPL-2.0-only
//
// The entry point of the vitest QEMU test (src/traps.test.ts loads it with a dynamic import, so
// that the machine's spec tsconfig does not have to list this folder): the fixed sample, run
// through QEMU and compared with decideTrap.

import { INSN_CLASSES } from '../src/traps.js';
import { sampleQemuCases } from './cases.js';
import { compareWithQemu, describeCase, formatReport } from './compare.js';

export { qemuMissing } from './harness.js';

export interface QemuSampleSummary {
  cases: number;
  /** Classes of INSN_CLASSES that the sample leaves out (should be none). */
  missingClasses: string[];
  compared: number;
  agree: number;
  /** Disagreements with no explanation in KNOWN_DISAGREEMENTS, described. */
  unexplained: string[];
  report: string;
}

export function runQemuSample(): QemuSampleSummary {
  const cases = sampleQemuCases();
  const seen = new Set(cases.map((c) => c.cls));
  const r = compareWithQemu(cases);
  return {
    cases: cases.length,
    missingClasses: INSN_CLASSES.filter((c) => !seen.has(c)),
    compared: r.compared,
    agree: r.agree,
    unexplained: r.unexplained.map(describeCase),
    report: formatReport(r, 5),
  };
}
