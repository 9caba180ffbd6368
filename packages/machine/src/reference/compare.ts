// SPDX-License-Identifier: GPL-2.0-only
//
// Test-only: enumerates trap contexts and compares two deciders (decideTrap and the reference
// rendering of the pseudocode, or a deliberately wrong variant) on every one of them.
//
// What is enumerated, per instruction class:
// - every EL (0, 1, 2) with every HCR_EL2.{E2H, TGE}, except EL1 with TGE == 1 (unreachable: an
//   exception return to EL1 with TGE set is illegal);
// - every feature set {sve, sme, sme2, fa64} where sme2 and fa64 imply sme (10 sets);
// - every PSTATE.{SM, ZA} (both 0 when SME is absent);
// - exhaustively, each 2-bit enable field of CPACR_EL1 and each CPTR_EL2 control of the layout
//   selected by E2H (TFP/TZ/TSM when E2H == 0, FPEN/ZEN/SMEN when E2H == 1) that belongs to a
//   unit the class's pseudocode reads (FP, SVE, SME; see UNITS); with `full` every unit;
// - exhaustively SMCR_EL1.FA64 x SMCR_EL2.FA64 for classes whose pseudocode calls
//   IsFullA64Enabled, in the contexts where that call can be reached with the feature present
//   (FEAT_SME_FA64 and PSTATE.SM == 1), and SMCR_EL1.EZT0 x SMCR_EL2.EZT0 for the ZT0 classes
//   when FEAT_SME2 is present;
// - every other bit that could matter but is not enumerated (the other units' fields, the other
//   CPTR_EL2 layout, the FA64/EZT0 bits, CPACR_EL1.TTA, nVHE RES1 bits of CPTR_EL2) is varied by a
//   counter-driven mix, so each of its values occurs many times (this is what catches a decider
//   that reads a field it should ignore, e.g. CPTR_EL2.TFP when E2H == 1).

import type { InsnClass, TrapContext, TrapFeatures, TrapOutcome } from '../traps.js';

export type Decider = (cls: InsnClass, ctx: TrapContext) => TrapOutcome;

type Unit = 'fp' | 'sve' | 'sme';

/**
 * The enable units whose controls each class's pseudocode reads (from the Sail and Arm ARM text).
 * sve and ssve go through CheckSVEEnabled, which reads the SME controls in streaming mode (and on
 * an SME-only CPU) and the SVE controls otherwise: see unitsFor.
 */
export const UNITS: Record<InsnClass, readonly Unit[]> = {
  fp: ['fp'],
  advsimd: ['fp'],
  sve: ['sve', 'fp', 'sme'],
  ssve: ['sve', 'fp', 'sme'],
  sme2_streaming: ['sme', 'fp'],
  sme_za: ['sme', 'fp'],
  sme_za_ldst: ['sme', 'fp'],
  sme_zt0: ['sme', 'fp'],
  sme_lut: ['sme', 'fp'],
  rdsvl: ['sme', 'fp'],
  smstart: ['sme'],
  smstart_sm: ['sme'],
  smstart_za: ['sme'],
  smstop: ['sme'],
  smstop_sm: ['sme'],
  smstop_za: ['sme'],
  mrs_svcr: ['sme'],
  msr_svcr: ['sme'],
  mrs_zcr_el1: ['sve'],
  msr_zcr_el1: ['sve'],
  mrs_smcr_el1: ['sme'],
  msr_smcr_el1: ['sme'],
  mrs_zcr_el2: ['sve'],
  msr_zcr_el2: ['sve'],
  mrs_smcr_el2: ['sme'],
  msr_smcr_el2: ['sme'],
  mrs_fpcr: ['fp'],
  msr_fpcr: ['fp'],
};

/** The units enumerated exhaustively for a class, given the features and PSTATE.SM. */
export function unitsFor(cls: InsnClass, f: TrapFeatures, sm: boolean): readonly Unit[] {
  if (cls !== 'sve' && cls !== 'ssve') return UNITS[cls];
  if ((f.sme && sm) || !f.sve) return ['sme', 'fp'];
  return ['sve', 'fp'];
}

const READS_FA64 = new Set<InsnClass>(['advsimd', 'sve']);
const READS_EZT0 = new Set<InsnClass>(['sme_zt0', 'sme_lut']);

/** The 10 feature sets (sme2 and fa64 only with sme). */
export const FEATURE_SETS: readonly TrapFeatures[] = (() => {
  const out: TrapFeatures[] = [];
  for (const sve of [false, true]) {
    out.push({ sve, sme: false, sme2: false, fa64: false });
    for (const sme2 of [false, true]) {
      for (const fa64 of [false, true]) out.push({ sve, sme: true, sme2, fa64 });
    }
  }
  return out;
})();

// Field positions (CPACR_EL1 layout, also CPTR_EL2 with E2H == 1) and nVHE CPTR_EL2 bits.
const ENABLE_SHIFT: Record<Unit, number> = { fp: 20, sve: 16, sme: 24 };
const NVHE_BIT: Record<Unit, number> = { fp: 10, sve: 8, sme: 12 };
const ALL_UNITS: readonly Unit[] = ['fp', 'sve', 'sme'];
const HCR_E2H_VALUE = 2 ** 34;
const HCR_TGE_VALUE = 2 ** 27;
const HCR_RW_VALUE = 2 ** 31;
const CPACR_TTA = 2 ** 28;
/** nVHE CPTR_EL2 RES1 bits other than TSM (bits 0-7, 9, 13). */
const CPTR_NVHE_RES1_NOT_TSM = 0x22ff;
const FA64 = 2 ** 31;
const EZT0 = 2 ** 30;

const PAIRS: readonly (readonly [number, number])[] = [
  [0, 0],
  [0, 1],
  [1, 0],
  [1, 1],
];
/** One pass with the bits taken from the mix. */
const NOT_ENUMERATED: readonly (readonly [number, number])[] = [[-1, -1]];

/** A cheap integer mix (for the non-enumerated bits). */
function mix(n: number): number {
  let x = Math.imul(n ^ (n >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

const FP_FIELD = 2 ** ENABLE_SHIFT.fp;
const SVE_FIELD = 2 ** ENABLE_SHIFT.sve;
const SME_FIELD = 2 ** ENABLE_SHIFT.sme;

/** Every combination of the nVHE TFP/TZ/TSM bits, indexed by a 3-bit number. */
const NVHE_NOISE: readonly number[] = Array.from(
  { length: 8 },
  (_, i) =>
    (i & 1) * 2 ** NVHE_BIT.fp + ((i >> 1) & 1) * 2 ** NVHE_BIT.sve + ((i >> 2) & 1) * 2 ** NVHE_BIT.sme,
);

function enableFields(units: readonly Unit[], values: readonly number[]): number {
  let v = 0;
  units.forEach((u, i) => (v += (values[i] ?? 0) * 2 ** ENABLE_SHIFT[u]));
  return v;
}

function nvheBits(units: readonly Unit[], values: readonly number[]): number {
  let v = 0;
  units.forEach((u, i) => (v += (values[i] ?? 0) * 2 ** NVHE_BIT[u]));
  return v;
}

/** All tuples of `n` values each in [0, radix). */
function tuples(n: number, radix: number): number[][] {
  let out: number[][] = [[]];
  for (let i = 0; i < n; i++) out = out.flatMap((t) => Array.from({ length: radix }, (_, v) => [...t, v]));
  return out;
}

export interface EnumerateOptions {
  /** Enumerate the controls of every unit for every class (slow: about 31 M contexts). */
  full?: boolean;
  classes?: readonly InsnClass[];
}

/** Calls `visit` for every context of the enumeration described at the top of this file. */
export function enumerateContexts(
  visit: (cls: InsnClass, ctx: TrapContext) => void,
  classes: readonly InsnClass[],
  opts: EnumerateOptions = {},
): number {
  let count = 0;
  // One context object, refilled for each visit (visitors copy what they keep).
  const ctx: TrapContext = {
    el: 0,
    features: FEATURE_SETS[0],
    hcr_el2: 0,
    cpacr_el1: 0,
    cptr_el2: 0,
    svcr: 0,
    smcr_el1: 0,
    smcr_el2: 0,
    secure: false,
  };
  for (const cls of classes) {
    const fa64Pairs = READS_FA64.has(cls) ? PAIRS : NOT_ENUMERATED;
    const ezt0Pairs = READS_EZT0.has(cls) ? PAIRS : NOT_ENUMERATED;
    for (const features of FEATURE_SETS) {
      const svcrs = features.sme ? 4 : 1;
      for (let svcr = 0; svcr < svcrs; svcr++) {
        const units = opts.full ? ALL_UNITS : unitsFor(cls, features, (svcr & 1) === 1);
        const others = ALL_UNITS.filter((u) => !units.includes(u));
        const otherShifts = others.map((u) => 2 ** ENABLE_SHIFT[u]);
        const otherNvhe = others.map((u) => 2 ** NVHE_BIT[u]);
        const fieldValues = tuples(units.length, 4).map((t) => enableFields(units, t));
        const bitValues = tuples(units.length, 2).map((t) => nvheBits(units, t));
        const fa = features.fa64 && svcr & 1 ? fa64Pairs : NOT_ENUMERATED;
        const ez = features.sme2 ? ezt0Pairs : NOT_ENUMERATED;
        for (const el of [0, 1, 2] as const) {
          for (const e2h of [0, 1]) {
            for (const tge of [0, 1]) {
              if (el === 1 && tge === 1) continue;
              const hcr = HCR_RW_VALUE + e2h * HCR_E2H_VALUE + tge * HCR_TGE_VALUE;
              for (const cptrBase of e2h ? fieldValues : bitValues) {
                for (const cpacrBase of fieldValues) {
                  for (let fi = 0; fi < fa.length; fi++) {
                    const [fa1, fa2] = fa[fi];
                    for (let zi = 0; zi < ez.length; zi++) {
                      const [ez1, ez2] = ez[zi];
                      const m = mix(count);
                      // Non-enumerated bits, from the mix.
                      let cptr = cptrBase;
                      let cpacr = cpacrBase + (m & 1 ? CPACR_TTA : 0);
                      for (let i = 0; i < others.length; i++) {
                        cpacr += ((m >>> (2 + 2 * i)) & 3) * otherShifts[i];
                        if (e2h) cptr += ((m >>> (6 + 2 * i)) & 3) * otherShifts[i];
                        else cptr += ((m >>> (6 + i)) & 1) * otherNvhe[i];
                      }
                      if (e2h) {
                        // The nVHE layout's TFP/TZ/TSM are ignored with E2H == 1.
                        cptr += NVHE_NOISE[(m >>> 10) & 7];
                      } else {
                        // The E2H layout's fields are ignored with E2H == 0; RES1 bits too.
                        cptr += ((m >>> 13) & 3) * FP_FIELD + ((m >>> 15) & 3) * SVE_FIELD;
                        cptr += ((m >>> 17) & 3) * SME_FIELD;
                        if (m & 2) cptr += CPTR_NVHE_RES1_NOT_TSM;
                      }
                      const f1 = fa1 < 0 ? (m >>> 20) & 1 : fa1;
                      const f2 = fa2 < 0 ? (m >>> 21) & 1 : fa2;
                      const z1 = ez1 < 0 ? (m >>> 22) & 1 : ez1;
                      const z2 = ez2 < 0 ? (m >>> 23) & 1 : ez2;
                      ctx.el = el;
                      ctx.features = features;
                      ctx.hcr_el2 = hcr;
                      ctx.cpacr_el1 = cpacr;
                      ctx.cptr_el2 = cptr;
                      ctx.svcr = svcr;
                      ctx.smcr_el1 = f1 * FA64 + z1 * EZT0 + ((m >>> 24) & 0xf);
                      ctx.smcr_el2 = f2 * FA64 + z2 * EZT0 + ((m >>> 28) & 0xf);
                      visit(cls, ctx);
                      count++;
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return count;
}

export interface Disagreement {
  cls: InsnClass;
  ctx: TrapContext;
  a: TrapOutcome;
  b: TrapOutcome;
}

export interface Comparison {
  compared: number;
  disagreements: number;
  /** The first few, for the failure message. */
  examples: Disagreement[];
  perClass: Partial<Record<InsnClass, number>>;
}

export function sameOutcome(a: TrapOutcome, b: TrapOutcome): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'execute') return true;
  if (a.kind === 'undef') return b.kind === 'undef' && a.el === b.el;
  return b.kind === 'trap' && a.el === b.el && a.ec === b.ec && a.iss === b.iss;
}

/** Compares two deciders over the enumeration. */
export function compareDeciders(
  a: Decider,
  b: Decider,
  classes: readonly InsnClass[],
  opts: EnumerateOptions = {},
): Comparison {
  const result: Comparison = { compared: 0, disagreements: 0, examples: [], perClass: {} };
  // The reference signals exceptions by throwing; stack traces are not needed and cost time.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    result.compared = enumerateContexts(
      (cls, ctx) => {
        const x = a(cls, ctx);
        const y = b(cls, ctx);
        if (!sameOutcome(x, y)) {
          result.disagreements++;
          result.perClass[cls] = (result.perClass[cls] ?? 0) + 1;
          if (result.examples.length < 5) result.examples.push({ cls, ctx: { ...ctx }, a: x, b: y });
        }
      },
      classes,
      opts,
    );
  } finally {
    Error.stackTraceLimit = limit;
  }
  return result;
}
