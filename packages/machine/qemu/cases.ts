// SPDX-License-Identifier: GPL-2.0-only
//
// The cases the QEMU harness runs: every context of the reference enumeration
// (../src/reference/compare.ts) that QEMU 7.2 can express (its feature sets have no SME2), and a
// fixed sample of them, stratified so that each class meets each EL, each HCR_EL2.{E2H,TGE}
// regime and each outcome decideTrap predicts for it.

import { enumerateContexts } from '../src/reference/compare.js';
import { decideTrap, INSN_CLASSES, type InsnClass, type TrapOutcome } from '../src/traps.js';
import { canExpress, type QemuCase } from './harness.js';

/** Every enumerated context QEMU can express (`full`: the full product over every control). */
export function allQemuCases(classes: readonly InsnClass[] = INSN_CLASSES, full = false): QemuCase[] {
  const out: QemuCase[] = [];
  enumerateContexts(
    (cls, ctx) => {
      if (canExpress(ctx)) out.push({ cls, ctx: { ...ctx } });
    },
    classes,
    { full },
  );
  return out;
}

function outcomeKey(o: TrapOutcome): string {
  if (o.kind === 'execute') return 'x';
  if (o.kind === 'undef') return `u${o.el}`;
  return `t${o.el}:${o.ec}:${o.iss}`;
}

/**
 * The fixed sample: for each class, the first context (of every fifth, in enumeration order) of each bucket
 * (EL, E2H, TGE, feature set, decideTrap's outcome); with `twice`, also the last one.
 */
export function sampleQemuCases(twice = false): QemuCase[] {
  const first = new Map<string, QemuCase>();
  const last = new Map<string, QemuCase>();
  let n = 0;
  enumerateContexts((cls, ctx) => {
    // Every fifth context is looked at (cheaper, and the buckets still fill).
    if (n++ % 5 !== 0 || !canExpress(ctx)) return;
    const e2h = ctx.hcr_el2 >= 2 ** 34 ? 1 : 0;
    const tge = Math.floor(ctx.hcr_el2 / 2 ** 27) % 2;
    const f = ctx.features;
    const key = `${cls}|${ctx.el}|${e2h}${tge}|${+f.sve}${+f.sme}${+f.fa64}|${outcomeKey(decideTrap(cls, ctx))}`;
    const c = { cls, ctx: { ...ctx } };
    if (!first.has(key)) first.set(key, c);
    else last.set(key, c);
  }, INSN_CLASSES);
  return twice ? [...first.values(), ...last.values()] : [...first.values()];
}
