// Port of the subset of arch/arm64/tools/sysreg (Linux v6.4) that the FP/SVE/SME code uses, as data.
// The kernel generates C macros from that file (gen-sysreg.awk); here the same table drives the
// same names, so `tools/sysreg-check` can compare every position and width with any kernel tree.

export interface FieldDef {
  name: string;
  msb: number;
  lsb: number;
  /** Enumerated values of an Enum/UnsignedEnum field, by the kernel's value name. */
  values?: Record<string, number>;
}

export interface SysregDef {
  name: string;
  /** op0, op1, CRn, CRm, op2 as the sysreg file gives them; absent for SysregFields blocks. */
  encoding?: [number, number, number, number, number];
  /** A `Fields NAME` line: the register shares the layout of a SysregFields block. */
  fieldsFrom?: string;
  fields: FieldDef[];
}

const CPACR_ELx_FIELDS: FieldDef[] = [
  { name: 'TTA', msb: 28, lsb: 28 },
  { name: 'SMEN', msb: 25, lsb: 24 },
  { name: 'FPEN', msb: 21, lsb: 20 },
  { name: 'ZEN', msb: 17, lsb: 16 },
];
const ZCR_ELx_FIELDS: FieldDef[] = [{ name: 'LEN', msb: 3, lsb: 0 }];
const SMCR_ELx_FIELDS: FieldDef[] = [
  { name: 'FA64', msb: 31, lsb: 31 },
  { name: 'EZT0', msb: 30, lsb: 30 },
  { name: 'LEN', msb: 3, lsb: 0 },
];

/** SysregFields blocks: layouts shared by several registers (the *_ELx names). */
export const SYSREG_FIELDS: SysregDef[] = [
  { name: 'CPACR_ELx', fields: CPACR_ELx_FIELDS },
  { name: 'ZCR_ELx', fields: ZCR_ELx_FIELDS },
  { name: 'SMCR_ELx', fields: SMCR_ELx_FIELDS },
];

/** Sysreg blocks with an encoding. */
export const SYSREGS: SysregDef[] = [
  {
    name: 'ID_AA64PFR0_EL1',
    encoding: [3, 0, 0, 4, 0],
    fields: [
      { name: 'SVE', msb: 35, lsb: 32, values: { NI: 0, IMP: 1 } },
      { name: 'AdvSIMD', msb: 23, lsb: 20, values: { IMP: 0, FP16: 1, NI: 0xf } },
      { name: 'FP', msb: 19, lsb: 16, values: { IMP: 0, FP16: 1, NI: 0xf } },
    ],
  },
  {
    name: 'ID_AA64PFR1_EL1',
    encoding: [3, 0, 0, 4, 1],
    fields: [{ name: 'SME', msb: 27, lsb: 24, values: { NI: 0, IMP: 1, SME2: 2 } }],
  },
  {
    name: 'ID_AA64SMFR0_EL1',
    encoding: [3, 0, 0, 4, 5],
    fields: [
      { name: 'FA64', msb: 63, lsb: 63, values: { NI: 0, IMP: 1 } },
      { name: 'SMEver', msb: 59, lsb: 56, values: { SME: 0, SME2: 1, SME2p1: 2 } },
    ],
  },
  { name: 'CPACR_EL1', encoding: [3, 0, 1, 0, 2], fieldsFrom: 'CPACR_ELx', fields: CPACR_ELx_FIELDS },
  { name: 'ZCR_EL1', encoding: [3, 0, 1, 2, 0], fieldsFrom: 'ZCR_ELx', fields: ZCR_ELx_FIELDS },
  { name: 'SMCR_EL1', encoding: [3, 0, 1, 2, 6], fieldsFrom: 'SMCR_ELx', fields: SMCR_ELx_FIELDS },
  {
    name: 'SVCR',
    encoding: [3, 3, 4, 2, 2],
    fields: [
      { name: 'ZA', msb: 1, lsb: 1 },
      { name: 'SM', msb: 0, lsb: 0 },
    ],
  },
  { name: 'ZCR_EL2', encoding: [3, 4, 1, 2, 0], fieldsFrom: 'ZCR_ELx', fields: ZCR_ELx_FIELDS },
  { name: 'SMCR_EL2', encoding: [3, 4, 1, 2, 6], fieldsFrom: 'SMCR_ELx', fields: SMCR_ELx_FIELDS },
  { name: 'CPACR_EL12', encoding: [3, 5, 1, 0, 2], fieldsFrom: 'CPACR_ELx', fields: CPACR_ELx_FIELDS },
  { name: 'ZCR_EL12', encoding: [3, 5, 1, 2, 0], fieldsFrom: 'ZCR_ELx', fields: ZCR_ELx_FIELDS },
  { name: 'SMCR_EL12', encoding: [3, 5, 1, 2, 6], fieldsFrom: 'SMCR_ELx', fields: SMCR_ELx_FIELDS },
];

/** GENMASK(h, l) for fields below bit 53 (JS numbers are exact there). */
export function GENMASK(h: number, l: number): number {
  return 2 ** (h + 1) - 2 ** l;
}

export function BIT(n: number): number {
  return 2 ** n;
}

function fieldOf(block: string, field: string): FieldDef {
  const def = [...SYSREG_FIELDS, ...SYSREGS].find((r) => r.name === block);
  const f = def?.fields.find((x) => x.name === field);
  if (!f) throw new Error(`sysreg-defs: no field ${block}.${field}`);
  return f;
}

/** sys_reg(op0, op1, CRn, CRm, op2): the kernel's packed encoding (asm/sysreg.h). */
export function sys_reg(op0: number, op1: number, crn: number, crm: number, op2: number): number {
  return (op0 << 19) | (op1 << 16) | (crn << 12) | (crm << 8) | (op2 << 5);
}

function enc(name: string): number {
  const e = SYSREGS.find((r) => r.name === name)?.encoding;
  if (!e) throw new Error(`sysreg-defs: no encoding for ${name}`);
  return sys_reg(...e);
}

const shift = (b: string, f: string) => fieldOf(b, f).lsb;
const mask = (b: string, f: string) => GENMASK(fieldOf(b, f).msb, fieldOf(b, f).lsb);

// The generated names (gen-sysreg.awk emits <REG>_<FIELD>_{SHIFT,MASK,WIDTH} and SYS_<REG>).
export const SYS_ID_AA64PFR0_EL1 = enc('ID_AA64PFR0_EL1');
export const SYS_ID_AA64PFR1_EL1 = enc('ID_AA64PFR1_EL1');
export const SYS_ID_AA64SMFR0_EL1 = enc('ID_AA64SMFR0_EL1');
export const SYS_CPACR_EL1 = enc('CPACR_EL1');
export const SYS_ZCR_EL1 = enc('ZCR_EL1');
export const SYS_SMCR_EL1 = enc('SMCR_EL1');
export const SYS_SVCR = enc('SVCR');
export const SYS_ZCR_EL2 = enc('ZCR_EL2');
export const SYS_SMCR_EL2 = enc('SMCR_EL2');
export const SYS_CPACR_EL12 = enc('CPACR_EL12');
export const SYS_ZCR_EL12 = enc('ZCR_EL12');
export const SYS_SMCR_EL12 = enc('SMCR_EL12');

export const ID_AA64PFR0_EL1_SVE_SHIFT = shift('ID_AA64PFR0_EL1', 'SVE');
export const ID_AA64PFR1_EL1_SME_SHIFT = shift('ID_AA64PFR1_EL1', 'SME');
export const ID_AA64SMFR0_EL1_SMEver_SHIFT = shift('ID_AA64SMFR0_EL1', 'SMEver');

export const CPACR_ELx_ZEN_SHIFT = shift('CPACR_ELx', 'ZEN');
export const CPACR_ELx_ZEN_MASK = mask('CPACR_ELx', 'ZEN');
export const CPACR_ELx_FPEN_SHIFT = shift('CPACR_ELx', 'FPEN');
export const CPACR_ELx_FPEN_MASK = mask('CPACR_ELx', 'FPEN');
export const CPACR_ELx_SMEN_SHIFT = shift('CPACR_ELx', 'SMEN');
export const CPACR_ELx_SMEN_MASK = mask('CPACR_ELx', 'SMEN');
export const CPACR_ELx_TTA = mask('CPACR_ELx', 'TTA');

export const ZCR_ELx_LEN_SHIFT = shift('ZCR_ELx', 'LEN');
export const ZCR_ELx_LEN_MASK = mask('ZCR_ELx', 'LEN');
export const SMCR_ELx_LEN_SHIFT = shift('SMCR_ELx', 'LEN');
export const SMCR_ELx_LEN_MASK = mask('SMCR_ELx', 'LEN');
export const SMCR_ELx_FA64_MASK = mask('SMCR_ELx', 'FA64');
export const SMCR_ELx_EZT0_MASK = mask('SMCR_ELx', 'EZT0');

export const SVCR_SM_SHIFT = shift('SVCR', 'SM');
export const SVCR_SM_MASK = mask('SVCR', 'SM');
export const SVCR_ZA_SHIFT = shift('SVCR', 'ZA');
export const SVCR_ZA_MASK = mask('SVCR', 'ZA');
