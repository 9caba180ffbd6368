// What user and guest instructions do to the banks when they execute, and what a program can read.
// The trap decision itself is the machine's (decideTrap, checked against the Arm pseudocode);
// this file only says which instruction class an operation uses and what its execution changes.

import {
  Cpu,
  currentVq,
  decideTrap,
  InsnClass,
  Machine,
  setPstateSm,
  setPstateZa,
  trapContext,
  TrapOutcome,
  Val,
  ZERO,
} from '@kvmfp/machine';
import { SVCR_SM_MASK, SVCR_ZA_MASK } from '@kvmfp/sysreg';
import type { UserOpKind } from './world.js';
import { RULES } from './rules.js';
import { setAllowed, setBank, View } from './view.js';

export function insnClass(op: UserOpKind, cpu: Cpu): InsnClass {
  switch (op) {
    case 'fpsimd':
      return 'advsimd';
    case 'sve':
    case 'ssve':
      return cpu.sys.svcr & SVCR_SM_MASK ? 'ssve' : 'sve';
    case 'za':
      return 'sme_za_ldst';
    case 'zt0':
      return 'sme_zt0';
    default:
      return op;
  }
}

/** decideTrap's view of a CPU: the machine's (kernel-insn.ts), re-exported for the sim's events. */
export { trapContext };

export function decide(m: Machine, cpu: Cpu, op: UserOpKind, el: 0 | 1): TrapOutcome {
  return decideTrap(insnClass(op, cpu), trapContext(m, cpu, el));
}

const fa64On = (m: Machine) => m.config.features.fa64;
const sm = (cpu: Cpu) => (cpu.sys.svcr & SVCR_SM_MASK) !== 0;

/** Executes a writing instruction of `op` with value `val` and updates the writer's view to match. */
export function executeWrite(m: Machine, cpu: Cpu, op: UserOpKind, val: Val, view: View): void {
  const r = cpu.regs;
  const vq = currentVq(cpu, m.config);
  switch (op) {
    case 'fpsimd':
      // An AdvSIMD write zeroes the Z bits above 128 of its register.
      r.V = r.FPSR = val;
      r.Zhi = ZERO;
      setBank(view, 'V', val);
      setBank(view, 'FPSR', val);
      setBank(view, 'Zhi', ZERO);
      return;
    case 'sve':
    case 'ssve': {
      const ffr = !sm(cpu) || fa64On(m);
      r.V = r.P = r.FPSR = val;
      r.Zhi = vq === 1 ? ZERO : val;
      if (ffr) r.FFR = val;
      setBank(view, 'V', val);
      setBank(view, 'P', val);
      setBank(view, 'FPSR', val);
      setBank(view, 'Zhi', r.Zhi);
      if (ffr) setBank(view, 'FFR', val);
      return;
    }
    case 'za':
      r.ZA = val;
      setBank(view, 'ZA', val);
      return;
    case 'zt0':
      r.ZT0 = val;
      setBank(view, 'ZT0', val);
      return;
    default:
      executeModeChange(cpu, op, view);
  }
}

function executeModeChange(cpu: Cpu, op: UserOpKind, view: View): void {
  const setSm = (on: boolean) => {
    if (sm(cpu) !== on) RULES.streamingFpsrReset.apply(view);
    setPstateSm(cpu, on);
    view.sm = on;
  };
  const setZa = (on: boolean) => {
    if (((cpu.sys.svcr & SVCR_ZA_MASK) !== 0) !== on) {
      setAllowed(view, 'ZA', on ? [ZERO] : 'any');
      setAllowed(view, 'ZT0', on ? [ZERO] : 'any');
    }
    setPstateZa(cpu, on);
    view.za = on;
  };
  if (op === 'smstart' || op === 'smstart_sm') setSm(true);
  if (op === 'smstart' || op === 'smstart_za') setZa(true);
  if (op === 'smstop' || op === 'smstop_sm') setSm(false);
  if (op === 'smstop' || op === 'smstop_za') setZa(false);
}

/** The banks an operation of this kind reads (what a check of it compares). */
export function banksRead(
  m: Machine,
  cpu: Cpu,
  op: UserOpKind,
): ('V' | 'Zhi' | 'P' | 'FFR' | 'ZA' | 'ZT0' | 'FPSR')[] {
  switch (op) {
    case 'fpsimd':
      return ['V', 'FPSR'];
    case 'sve':
    case 'ssve':
      return !sm(cpu) || fa64On(m) ? ['V', 'Zhi', 'P', 'FFR', 'FPSR'] : ['V', 'Zhi', 'P', 'FPSR'];
    case 'za':
      return ['ZA'];
    case 'zt0':
      return ['ZT0'];
    default:
      return [];
  }
}

/**
 * Whether the machine implements the instruction `op` in the given streaming state: SVE
 * instructions need SVE outside streaming mode and SME inside it (CheckSVEEnabled: without SVE
 * only streaming SVE exists), SME instructions need SME, ZT0 needs SME2.
 */
export function implemented(features: Machine['config']['features'], op: UserOpKind, sm: boolean): boolean {
  switch (op) {
    case 'fpsimd':
      return features.fpsimd;
    case 'sve':
    case 'ssve':
      return sm ? features.sme : features.sve;
    case 'zt0':
      return features.sme2;
    default:
      return features.sme;
  }
}
