// The assembly primitives of arch/arm64/kernel/entry-fpsimd.S and the inline SMSTART/SMSTOP of
// asm/fpsimd.h (Linux v6.4), as operations on the bound CPU's banks. Each moves whole banks exactly
// as the macros of asm/fpsimdmacros.h do, including what happens when the CPU's vector length is
// not the one the memory was laid out for (the Z/P stores are VL-scaled, so the data lands in the
// wrong place and reads back as garbage).

import {
  SMCR_ELx_LEN_MASK,
  SVCR_SM_MASK,
  SVCR_ZA_MASK,
  ZCR_ELx_LEN_MASK,
  read_sysreg_s,
  write_sysreg_s,
  SYS_SMCR_EL1,
  SYS_ZCR_EL1,
} from '@kvmfp/sysreg';
import {
  currentVq,
  effectiveSmeVq,
  machineFault,
  setPstateSm,
  setPstateZa,
  thisCpu,
  thisMachine,
} from '../cpu.js';
import type { FpsimdStorage, SmeBuffer, SveBuffer } from '../state.js';
import { UNKNOWN, ZERO } from '../values.js';
import { countMove } from '../moves.js';
import { kernelInsn } from '../kernel-insn.js';

/** The Z/P loads and stores, RDVL and PTRUE these primitives use: legal in streaming mode. */
const SVE_INSN = 'ssve' as const;

/** A pointer into an sve_state buffer at the FFR slot of a layout for `vq` (what sve_pffr returns). */
export interface SvePffr {
  buf: SveBuffer;
  vq: number;
}

/** fpsimd_save_state: V0-V31, FPSR and FPCR to memory. */
export function fpsimd_save_state(st: FpsimdStorage): void {
  const { regs } = thisCpu();
  st.vregs = regs.V;
  st.fpsr = regs.FPSR;
  countMove('save', 'fpsimd');
}

/** fpsimd_load_state: V0-V31, FPSR and FPCR from memory. AdvSIMD writes zero the Z bits above 128. */
export function fpsimd_load_state(st: FpsimdStorage): void {
  const { regs } = thisCpu();
  regs.V = st.vregs;
  regs.Zhi = ZERO;
  regs.FPSR = st.fpsr;
  countMove('load', 'fpsimd');
}

function checkCapacity(buf: { capacityVq: number }, vq: number, what: string): boolean {
  if (vq <= buf.capacityVq) return true;
  machineFault('overflow', `${what} at vq ${vq} beyond a buffer of vq ${buf.capacityVq}`);
  return false;
}

/** sve_save_state: Z, P (and FFR, or zeros in its slot) at the CPU's current VL; FPSR/FPCR to *pfpsr. */
export function sve_save_state(pffr: SvePffr, fpsr: FpsimdStorage, save_ffr: boolean): void {
  if (!kernelInsn(SVE_INSN, 'sve_save_state')) return;
  const cpu = thisCpu();
  const vq = currentVq(cpu, thisMachine().config);
  const buf = pffr.buf;
  if (checkCapacity(buf, Math.max(vq, pffr.vq), 'sve_save_state')) {
    if (vq === pffr.vq) {
      buf.zlo = cpu.regs.V;
      buf.zhi = vq === 1 ? ZERO : cpu.regs.Zhi;
      buf.p = cpu.regs.P;
      buf.ffr = save_ffr ? cpu.regs.FFR : ZERO;
    } else {
      buf.zlo = buf.zhi = buf.p = buf.ffr = UNKNOWN;
    }
    buf.layoutVq = pffr.vq;
  }
  fpsr.fpsr = cpu.regs.FPSR;
  countMove('save', 'sve');
}

function readLayout(buf: SveBuffer, vq: number, field: 'zlo' | 'zhi' | 'p' | 'ffr'): number {
  if (buf.layoutVq === 0 || buf.layoutVq === vq) return buf[field];
  return buf.zlo === ZERO && buf.zhi === ZERO && buf.p === ZERO && buf.ffr === ZERO ? ZERO : UNKNOWN;
}

/** sve_load_state: Z, P (and FFR when asked) from memory at the current VL; FPSR/FPCR from *pfpsr. */
export function sve_load_state(pffr: SvePffr, fpsr: FpsimdStorage, restore_ffr: boolean): void {
  if (!kernelInsn(SVE_INSN, 'sve_load_state')) return;
  const cpu = thisCpu();
  const vq = currentVq(cpu, thisMachine().config);
  const buf = pffr.buf;
  const consistent = vq === pffr.vq && pffr.vq <= buf.capacityVq;
  const get = (f: 'zlo' | 'zhi' | 'p' | 'ffr') => (consistent ? readLayout(buf, vq, f) : UNKNOWN);
  cpu.regs.V = get('zlo');
  cpu.regs.Zhi = vq === 1 ? ZERO : get('zhi');
  cpu.regs.P = get('p');
  if (restore_ffr) cpu.regs.FFR = get('ffr');
  cpu.regs.FPSR = fpsr.fpsr;
  countMove('load', 'sve');
}

/** sve_get_vl: RDVL, the VL in use now (the streaming one when PSTATE.SM is set). */
export function sve_get_vl(): number {
  if (!kernelInsn(SVE_INSN, 'sve_get_vl (RDVL)')) return 0;
  const cpu = thisCpu();
  return currentVq(cpu, thisMachine().config) * 16;
}

/** sve_set_vq: ZCR_EL1.LEN (ZCR_EL2 through E2H redirection at EL2), written only if it changes. */
export function sve_set_vq(vq_minus_1: number): void {
  const old = read_sysreg_s(SYS_ZCR_EL1);
  const next = (old & ~ZCR_ELx_LEN_MASK) | vq_minus_1;
  if (next !== old) write_sysreg_s(next, SYS_ZCR_EL1);
}

/** sve_flush_live: zero the Z bits above 128 (unless VL is 128), all P, and FFR when asked. */
export function sve_flush_live(flush_ffr: boolean, vq_minus_1: number): void {
  if (!kernelInsn(SVE_INSN, 'sve_flush_live')) return;
  const { regs } = thisCpu();
  if (vq_minus_1 !== 0) regs.Zhi = ZERO;
  regs.P = ZERO;
  if (flush_ffr) regs.FFR = ZERO;
  countMove('flush', 'sve');
}

/** sme_get_vl: RDSVL, the streaming VL whether or not PSTATE.SM is set. */
export function sme_get_vl(): number {
  if (!kernelInsn('rdsvl', 'sme_get_vl (RDSVL)')) return 0;
  const cpu = thisCpu();
  return effectiveSmeVq(cpu, thisMachine().config.smeVls) * 16;
}

/** sme_set_vq: SMCR_EL1.LEN, written only if it changes. */
export function sme_set_vq(vq_minus_1: number): void {
  const old = read_sysreg_s(SYS_SMCR_EL1);
  const next = (old & ~SMCR_ELx_LEN_MASK) | vq_minus_1;
  if (next !== old) write_sysreg_s(next, SYS_SMCR_EL1);
}

function requireZa(what: string): boolean {
  if (thisCpu().sys.svcr & SVCR_ZA_MASK) return true;
  machineFault('sme-trap', `${what} with PSTATE.ZA clear traps in the kernel`);
  return false;
}

/** sme_save_state: ZA at the streaming VL, then ZT0 when `zt`. */
export function sme_save_state(state: SmeBuffer, zt: boolean): void {
  const cpu = thisCpu();
  const vq = effectiveSmeVq(cpu, thisMachine().config.smeVls);
  if (requireZa('sme_save_state') && checkCapacity(state, vq, 'sme_save_state')) {
    state.za = cpu.regs.ZA;
    if (zt) state.zt0 = cpu.regs.ZT0;
    state.layoutVq = vq;
  }
  countMove('save', 'za');
}

/** sme_load_state: ZA at the streaming VL, then ZT0 when `zt`. */
export function sme_load_state(state: SmeBuffer, zt: boolean): void {
  const cpu = thisCpu();
  const vq = effectiveSmeVq(cpu, thisMachine().config.smeVls);
  if (requireZa('sme_load_state')) {
    const fits = vq <= state.capacityVq;
    const laidOut = state.layoutVq === 0 || state.layoutVq === vq;
    cpu.regs.ZA = fits && laidOut ? state.za : state.za === ZERO && fits ? ZERO : UNKNOWN;
    if (zt) cpu.regs.ZT0 = state.zt0;
  }
  countMove('load', 'za');
}

/** sme_smstart_sm: SMSTART SM. */
export function sme_smstart_sm(): void {
  setPstateSm(thisCpu(), true);
  countMove('smstart', 'sm');
}

/** sme_smstop_sm: SMSTOP SM. */
export function sme_smstop_sm(): void {
  setPstateSm(thisCpu(), false);
  countMove('smstop', 'sm');
}

/** sme_smstop: SMSTOP (both SM and ZA). */
export function sme_smstop(): void {
  const cpu = thisCpu();
  setPstateSm(cpu, false);
  setPstateZa(cpu, false);
  countMove('smstop', 'smza');
}

/** Whether PSTATE.SM is set on this CPU (a read of SVCR.SM). */
export function pstate_sm(): boolean {
  return (thisCpu().sys.svcr & SVCR_SM_MASK) !== 0;
}
