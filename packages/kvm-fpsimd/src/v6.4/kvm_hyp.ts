// SPDX-License-Identifier: GPL-2.0-only
//
// The unified register accessors of arch/arm64/include/asm/kvm_hyp.h (Linux v6.4). The kernel
// patches each access at boot (an ALTERNATIVE on ARM64_HAS_VIRT_HOST_EXTN): without VHE the _EL1
// and _EL2 encodings are used as written; with VHE the code runs at EL2 with E2H set, so the
// guest's EL1 copy is reached through the _EL12 encoding and the EL2 register through the plain
// _EL1 encoding (which E2H redirects). Not touched by the series; shared by both revisions.

import { has_vhe } from '@kvmfp/fpsimd';
import {
  read_sysreg,
  read_sysreg_s,
  SYS_CPACR_EL1,
  SYS_CPACR_EL12,
  SYS_SMCR_EL1,
  SYS_SMCR_EL12,
  SYS_ZCR_EL1,
  SYS_ZCR_EL12,
  write_sysreg,
  write_sysreg_s,
} from '@kvmfp/sysreg';

/** The register names these accessors take, without their _ELx suffix (SYS_ZCR, SYS_CPACR, ...). */
export const SYS_ZCR = 'SYS_ZCR';
export const SYS_CPACR = 'SYS_CPACR';
export const SYS_SMCR = 'SYS_SMCR';
export const SYS_ESR = 'SYS_ESR';
export const SYS_ELR = 'SYS_ELR';
export const SYS_SPSR = 'SYS_SPSR';
export type el1_reg = typeof SYS_ZCR | typeof SYS_CPACR | typeof SYS_SMCR;
export type el2_reg = typeof SYS_ESR | typeof SYS_ELR | typeof SYS_SPSR;

/** [the non-VHE encoding, the VHE encoding] of each EL1 register. */
const EL1_ENC: Record<el1_reg, [number, number]> = {
  SYS_ZCR: [SYS_ZCR_EL1, SYS_ZCR_EL12],
  SYS_CPACR: [SYS_CPACR_EL1, SYS_CPACR_EL12],
  SYS_SMCR: [SYS_SMCR_EL1, SYS_SMCR_EL12],
};

/**
 * The EL2 registers by name. Without VHE the _EL2 encoding is used; with VHE the _EL1 encoding,
 * which E2H redirects to the same _EL2 register. The sysreg layer names these registers, not
 * encodings, so both choices land on the one name.
 */
const EL2_NAME = { SYS_ESR: 'esr_el2', SYS_ELR: 'elr_el2', SYS_SPSR: 'spsr_el2' } as const;

// arch/arm64/include/asm/kvm_hyp.h: read_sysreg_el1 (v6.4)
export function read_sysreg_el1(r: el1_reg): number {
  const [nvh, vh] = EL1_ENC[r];
  return read_sysreg_s(has_vhe() ? vh : nvh);
}

// arch/arm64/include/asm/kvm_hyp.h: write_sysreg_el1 (v6.4)
export function write_sysreg_el1(v: number, r: el1_reg): void {
  const [nvh, vh] = EL1_ENC[r];
  write_sysreg_s(v, has_vhe() ? vh : nvh);
}

// arch/arm64/include/asm/kvm_hyp.h: read_sysreg_el2 (v6.4)
export function read_sysreg_el2(r: el2_reg): number {
  return read_sysreg(EL2_NAME[r]);
}

// arch/arm64/include/asm/kvm_hyp.h: write_sysreg_el2 (v6.4)
export function write_sysreg_el2(v: number, r: el2_reg): void {
  write_sysreg(v, EL2_NAME[r]);
}
