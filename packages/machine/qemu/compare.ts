// SPDX-License-Identifier: GPL-2.0-only
//
// Compares QEMU's outcome of each case with decideTrap. decideTrap follows the pseudocode and is
// never tuned to QEMU: where they differ, the difference is classified here with the reason.

import { sameOutcome } from '../src/reference/compare.js';
import { decideTrap, type InsnClass, type TrapContext, type TrapOutcome } from '../src/traps.js';
import { outcomeOf, runCases, type QemuCase } from './harness.js';

export interface KnownDisagreement {
  id: string;
  /** Why QEMU and the pseudocode differ. */
  why: string;
  matches(cls: InsnClass, ctx: TrapContext, want: TrapOutcome, got: ReturnType<typeof outcomeOf>): boolean;
}

const ZCR_ACCESSES = new Set<InsnClass>(['mrs_zcr_el1', 'msr_zcr_el1', 'mrs_zcr_el2', 'msr_zcr_el2']);

/** Differences between QEMU 7.2 and the Armv9.4 pseudocode, each explained. */
export const KNOWN_DISAGREEMENTS: readonly KnownDisagreement[] = [
  {
    id: 'qemu-zcr-access-uses-sve-insn-check',
    why:
      'QEMU 7.2 checks MRS/MSR ZCR_ELx with its SVE instruction check (handle_sys: ARM_CP_SVE -> ' +
      'sve_access_check, i.e. CheckSVEEnabled: CPACR_EL1.FPEN and CPTR_EL2.TFP/FPEN too, and in ' +
      'streaming mode the SME controls instead of ZEN). The Arm ARM accessibility pseudocode of ' +
      'ZCR_EL1/ZCR_EL2 checks only CPACR_EL1.ZEN, CPTR_EL2.TZ/ZEN (and CPTR_EL3.EZ), and the ' +
      'CPACR_EL1.FPEN field description does not list ZCR_EL1 accesses. decideTrap keeps the ' +
      'architecture; these cases are exactly those where QEMU gives what the SVE instruction check gives.',
    matches: (cls, ctx, _want, got) =>
      ZCR_ACCESSES.has(cls) && got.kind !== 'unexpected' && sameOutcome(decideTrap('ssve', ctx), got),
  },
];

export interface QemuDisagreement {
  cls: InsnClass;
  ctx: TrapContext;
  want: TrapOutcome;
  got: ReturnType<typeof outcomeOf>;
  known?: string;
}

export interface QemuReport {
  compared: number;
  agree: number;
  known: Map<string, number>;
  unexplained: QemuDisagreement[];
  perClass: Map<InsnClass, { compared: number; agree: number }>;
}

export function compareWithQemu(cases: readonly QemuCase[]): QemuReport {
  const results = runCases(cases);
  const report = emptyReport();
  cases.forEach(({ cls, ctx }, i) => {
    const want = decideTrap(cls, ctx);
    const got = outcomeOf(results[i]);
    const pc = report.perClass.get(cls) ?? { compared: 0, agree: 0 };
    pc.compared++;
    report.compared++;
    if (got.kind !== 'unexpected' && sameOutcome(want, got)) {
      report.agree++;
      pc.agree++;
    } else {
      const k = KNOWN_DISAGREEMENTS.find((d) => d.matches(cls, ctx, want, got));
      if (k) report.known.set(k.id, (report.known.get(k.id) ?? 0) + 1);
      else report.unexplained.push({ cls, ctx, want, got });
    }
    report.perClass.set(cls, pc);
  });
  return report;
}

function hex(v: number): string {
  return '0x' + v.toString(16);
}

export function describeCase(d: QemuDisagreement): string {
  const c = d.ctx;
  const f = c.features;
  return (
    `${d.cls} EL${c.el} hcr=${hex(c.hcr_el2)} cpacr=${hex(c.cpacr_el1)} cptr=${hex(c.cptr_el2)} svcr=${c.svcr} ` +
    `smcr1=${hex(c.smcr_el1)} smcr2=${hex(c.smcr_el2)} f=${+f.sve}${+f.sme}${+f.sme2}${+f.fa64}: ` +
    `decideTrap ${JSON.stringify(d.want)} qemu ${JSON.stringify(d.got)}`
  );
}

/** Adds report `b` into `a`. */
export function mergeReports(a: QemuReport, b: QemuReport): QemuReport {
  a.compared += b.compared;
  a.agree += b.agree;
  for (const [id, n] of b.known) a.known.set(id, (a.known.get(id) ?? 0) + n);
  a.unexplained.push(...b.unexplained);
  for (const [cls, pc] of b.perClass) {
    const x = a.perClass.get(cls) ?? { compared: 0, agree: 0 };
    a.perClass.set(cls, { compared: x.compared + pc.compared, agree: x.agree + pc.agree });
  }
  return a;
}

export function emptyReport(): QemuReport {
  return { compared: 0, agree: 0, known: new Map(), unexplained: [], perClass: new Map() };
}

export function formatReport(r: QemuReport, show = 10): string {
  const lines = [`qemu: ${r.agree} of ${r.compared} cases agree with decideTrap`];
  for (const [id, n] of r.known) {
    const why = KNOWN_DISAGREEMENTS.find((d) => d.id === id)?.why ?? '';
    lines.push(`qemu: ${n} known disagreements ${id}: ${why}`);
  }
  if (r.unexplained.length) {
    lines.push(
      `qemu: ${r.unexplained.length} unexplained disagreements, first ${Math.min(show, r.unexplained.length)}:`,
    );
    for (const d of r.unexplained.slice(0, show)) lines.push('  ' + describeCase(d));
  }
  return lines.join('\n');
}
