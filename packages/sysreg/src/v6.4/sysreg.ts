// Port of the FP-relevant parts of arch/arm64/include/asm/sysreg.h (Linux v6.4): the CPACR_EL1
// enable bits, the SVCR/SMSTART encodings, and the read_sysreg / write_sysreg family. The kernel's
// accessors compile to MRS/MSR on the executing CPU; here they go to whichever register file the
// machine has bound as "this CPU" (sysreg must not import machine, so machine registers itself).

import {
  BIT,
  SYS_CPACR_EL1,
  SYS_CPACR_EL12,
  SYS_SMCR_EL1,
  SYS_SMCR_EL12,
  SYS_SMCR_EL2,
  SYS_SVCR,
  SYS_ZCR_EL1,
  SYS_ZCR_EL12,
  SYS_ZCR_EL2,
  sys_reg,
} from './sysreg-defs.js';

export const CPACR_EL1_FPEN_EL1EN = BIT(20);
export const CPACR_EL1_FPEN_EL0EN = BIT(21);
export const CPACR_EL1_SMEN_EL1EN = BIT(24);
export const CPACR_EL1_SMEN_EL0EN = BIT(25);
export const CPACR_EL1_ZEN_EL1EN = BIT(16);
export const CPACR_EL1_ZEN_EL0EN = BIT(17);
export const CPACR_EL1_FPEN = CPACR_EL1_FPEN_EL1EN | CPACR_EL1_FPEN_EL0EN;
export const CPACR_EL1_ZEN = CPACR_EL1_ZEN_EL1EN | CPACR_EL1_ZEN_EL0EN;
export const CPACR_EL1_SMEN = CPACR_EL1_SMEN_EL1EN | CPACR_EL1_SMEN_EL0EN;

export const SYS_SVCR_SMSTOP_SM_EL0 = sys_reg(0, 3, 4, 2, 3);
export const SYS_SVCR_SMSTART_SM_EL0 = sys_reg(0, 3, 4, 3, 3);
export const SYS_SVCR_SMSTOP_SMZA_EL0 = sys_reg(0, 3, 4, 6, 3);
export const SYS_TPIDR2_EL0 = sys_reg(3, 3, 13, 0, 5);
export const SYS_FPEXC32_EL2 = sys_reg(3, 4, 5, 3, 0);

/** The registers the ported code and the machine name; lower case, as the kernel's tokens. */
export const SYSREG_NAMES = [
  'cpacr_el1',
  'cptr_el2',
  'hcr_el2',
  'zcr_el1',
  'zcr_el2',
  'smcr_el1',
  'smcr_el2',
  'svcr',
  'tpidr2_el0',
  'esr_el1',
  'esr_el2',
  'elr_el2',
  'spsr_el2',
  'fpexc32_el2',
  'cpacr_el12',
  'zcr_el12',
  'smcr_el12',
  'id_aa64pfr0_el1',
  'id_aa64pfr1_el1',
  'id_aa64smfr0_el1',
] as const;
export type SysregName = (typeof SYSREG_NAMES)[number];

/** What the machine provides for "this CPU". */
export interface SysregFile {
  read(name: SysregName): number;
  write(name: SysregName, value: number): void;
}

let thisCpuRegs: SysregFile | undefined;

/** Called by the machine (and only by it) when it switches the CPU that code runs on. */
export function bindSysregFile(file: SysregFile | undefined): void {
  thisCpuRegs = file;
}

function regs(): SysregFile {
  if (!thisCpuRegs) throw new Error('sysreg: no CPU bound (the machine binds one before running code)');
  return thisCpuRegs;
}

// The _EL12 encodings keep their own names: at EL2 with E2H set, a plain _EL1 access is redirected
// to the EL2 register while the _EL12 one reaches the EL1 copy (the machine applies both rules).
const BY_ENCODING = new Map<number, SysregName>([
  [SYS_CPACR_EL1, 'cpacr_el1'],
  [SYS_CPACR_EL12, 'cpacr_el12'],
  [SYS_ZCR_EL1, 'zcr_el1'],
  [SYS_ZCR_EL12, 'zcr_el12'],
  [SYS_ZCR_EL2, 'zcr_el2'],
  [SYS_SMCR_EL1, 'smcr_el1'],
  [SYS_SMCR_EL12, 'smcr_el12'],
  [SYS_SMCR_EL2, 'smcr_el2'],
  [SYS_SVCR, 'svcr'],
  [SYS_TPIDR2_EL0, 'tpidr2_el0'],
  [SYS_FPEXC32_EL2, 'fpexc32_el2'],
]);

function byEncoding(enc: number): SysregName {
  const name = BY_ENCODING.get(enc);
  if (!name) throw new Error(`sysreg: encoding ${enc.toString(16)} is not modelled`);
  return name;
}

/** Values are kept as non-negative numbers; a 32-bit bitwise result with bit 31 set is made unsigned. */
function u64(v: number): number {
  return v < 0 ? v + 2 ** 32 : v;
}

export function read_sysreg(name: SysregName): number {
  return regs().read(name);
}

export function write_sysreg(value: number, name: SysregName): void {
  regs().write(name, u64(value));
}

export function read_sysreg_s(enc: number): number {
  return regs().read(byEncoding(enc));
}

export function write_sysreg_s(value: number, enc: number): void {
  regs().write(byEncoding(enc), u64(value));
}

/** Read-modify-write that skips the write when nothing changes, as the kernel's macro does. */
export function sysreg_clear_set(name: SysregName, clear: number, set: number): void {
  const val = read_sysreg(name);
  const next = or64(and64(val, not64(clear)), set);
  if (next !== val) write_sysreg(next, name);
}

export function sysreg_clear_set_s(enc: number, clear: number, set: number): void {
  sysreg_clear_set(byEncoding(enc), clear, set);
}

// 64-bit-safe bit operations for values above bit 31 (HCR_EL2.E2H, ID register fields).
const HI = 2 ** 32;
const split = (v: number): [number, number] => [Math.floor(v / HI) >>> 0, v >>> 0];
const join = (hi: number, lo: number): number => (hi >>> 0) * HI + (lo >>> 0);

export function and64(a: number, b: number): number {
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return join(ah & bh, al & bl);
}

export function or64(a: number, b: number): number {
  const [ah, al] = split(a);
  const [bh, bl] = split(b);
  return join(ah | bh, al | bl);
}

/** Complement within the 53 bits a JS number holds exactly (enough for every modelled field). */
export function not64(a: number): number {
  const [ah, al] = split(a);
  return join(~ah & 0x1fffff, ~al);
}

export function test_bits64(v: number, mask: number): boolean {
  return and64(v, mask) !== 0;
}

/** Extracts an unsigned field (shift, width) from a value of up to 53 bits. */
export function field_get64(v: number, shift: number, width: number): number {
  return Math.floor(v / 2 ** shift) % 2 ** width;
}
