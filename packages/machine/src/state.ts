// Machine state as plain data (numbers, booleans, arrays, plain objects): the world clones and
// fingerprints it generically, so nothing here may be a class instance or a closure.

import type { Val } from './values.js';

export interface Features {
  fpsimd: boolean;
  sve: boolean;
  sme: boolean;
  sme2: boolean;
  fa64: boolean;
  vhe: boolean;
}

export interface MachineConfig {
  ncpus: number;
  features: Features;
  /** Supported SVE vector lengths in bytes (16…256, powers of two), ascending. */
  sveVls: number[];
  /** Supported streaming (SME) vector lengths in bytes, ascending. */
  smeVls: number[];
}

/** The register banks of DESIGN.md: one symbolic value each. */
export interface Banks {
  /** Low 128 bits of Z0-Z31, i.e. V0-V31. */
  V: Val;
  /** Bits of Z0-Z31 above 128. */
  Zhi: Val;
  P: Val;
  FFR: Val;
  ZA: Val;
  ZT0: Val;
  /** FPSR and FPCR, which always move together. */
  FPSR: Val;
}

export const BANK_NAMES = ['V', 'Zhi', 'P', 'FFR', 'ZA', 'ZT0', 'FPSR'] as const;
export type BankName = (typeof BANK_NAMES)[number];

/** The physical system registers of one CPU (E2H redirection is applied on access, not stored). */
export interface CpuSysregs {
  cpacr_el1: number;
  cptr_el2: number;
  hcr_el2: number;
  zcr_el1: number;
  zcr_el2: number;
  smcr_el1: number;
  smcr_el2: number;
  /** PSTATE.SM (bit 0) and PSTATE.ZA (bit 1), accessed as SVCR. */
  svcr: number;
  tpidr2_el0: number;
  esr_el1: number;
  esr_el2: number;
  elr_el2: number;
  spsr_el2: number;
  fpexc32_el2: number;
}

export interface Cpu {
  index: number;
  /** Current exception level. The host kernel runs at EL2 with VHE, at EL1 without. */
  el: 0 | 1 | 2;
  /** Whose code runs at EL0/EL1: the host's or a guest's (EL2 is always the hypervisor's). */
  world: 'host' | 'guest';
  sys: CpuSysregs;
  regs: Banks;
}

export interface Machine {
  config: MachineConfig;
  cpus: Cpu[];
}

// Memory that the asm primitives read and write. Sizes and layouts are kept as vector-length
// quanta (vq = VL / 16) because a primitive run at a VL other than the layout's reads garbage.

/** The memory of struct user_fpsimd_state: V0-V31 and FPSR/FPCR. */
export interface FpsimdStorage {
  vregs: Val;
  fpsr: Val;
}

/** A task's or vcpu's sve_state buffer (Z, P, FFR laid out for one vector length). */
export interface SveBuffer {
  /** Capacity in vector quanta: kzalloc'ed for this VL. */
  capacityVq: number;
  /** The vq the contents were last written at; 0 while the buffer is all zero (any layout). */
  layoutVq: number;
  zlo: Val;
  zhi: Val;
  p: Val;
  ffr: Val;
}

/** A task's sme_state buffer: ZA (and ZT0 after it with SME2) for one streaming vector length. */
export interface SmeBuffer {
  capacityVq: number;
  layoutVq: number;
  za: Val;
  zt0: Val;
}
