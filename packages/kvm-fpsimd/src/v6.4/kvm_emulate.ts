// SPDX-License-Identifier: GPL-2.0-only
//
// The helpers of arch/arm64/include/asm/kvm_emulate.h (Linux v6.4) that the FP paths use: the
// register width of the guest, its HCR_EL2 reset value, the trap syndrome accessors and the
// pending-exception macro. Not touched by the series; shared by both revisions.
//
// v6.4 has no kvm_reset_cptr_el2() here (it arrived in v6.5): the guest's CPTR_EL2 value is set
// once by KVM_ARM_VCPU_INIT (arm.c: vcpu->arch.cptr_el2 = CPTR_EL2_DEFAULT) and the nVHE switch
// code builds the live value from it.

import { WARN_ON, WARN_ON_ONCE } from '@kvmfp/fpsimd';
import { and64, ESR_ELx_EC, ESR_ELx_IL, HCR_E2H, HCR_RW, not64, or64, test_bits64 } from '@kvmfp/sysreg';
import {
  INCREMENT_PC,
  KVM_ARCH_FLAG_EL1_32BIT,
  KVM_ARCH_FLAG_REG_WIDTH_CONFIGURED,
  PENDING_EXCEPTION,
  type kvm_vcpu,
  vcpu_get_flag,
  vcpu_set_flag,
  type vcpu_flag,
} from './kvm_host.js';
import { is_kernel_in_hyp_mode } from './virt.js';

const test_bit = (nr: number, flags: number) => (flags & (1 << nr)) !== 0;

// arch/arm64/include/asm/kvm_emulate.h: vcpu_el1_is_32bit (v6.4), host definition
// The host asks the VM: the register width is a VM-wide choice fixed before the first run.
export function vcpu_el1_is_32bit(vcpu: kvm_vcpu): boolean {
  const kvm = vcpu.kvm;

  WARN_ON_ONCE(!test_bit(KVM_ARCH_FLAG_REG_WIDTH_CONFIGURED, kvm.arch.flags));

  return test_bit(KVM_ARCH_FLAG_EL1_32BIT, kvm.arch.flags);
}

// arch/arm64/include/asm/kvm_emulate.h: vcpu_el1_is_32bit (v6.4), hypervisor definition
// The hypervisor cannot trust or reach the VM structure, so it reads the answer back from the
// HCR_EL2 value the host computed for the guest (RW clear means AArch32 EL1).
export function vcpu_el1_is_32bit_hyp(vcpu: kvm_vcpu): boolean {
  return !test_bits64(vcpu.arch.hcr_el2, HCR_RW);
}

// arch/arm64/include/asm/kvm_emulate.h: vcpu_reset_hcr (v6.4)
// Only the bits the model reads are kept from HCR_GUEST_FLAGS: RW (cleared for AArch32 guests)
// and, on a VHE host, E2H (the guest runs with the host's register layout selected). TGE is never
// set for a guest, which is what takes guest EL0/EL1 out of the host's EL2&0 regime.
export function vcpu_reset_hcr(vcpu: kvm_vcpu): void {
  vcpu.arch.hcr_el2 = HCR_GUEST_FLAGS;
  if (is_kernel_in_hyp_mode()) vcpu.arch.hcr_el2 = or64(vcpu.arch.hcr_el2, HCR_E2H);
  // RAS, FWB/TVM and MTE bits: not FP, not modelled.

  if (vcpu_el1_is_32bit(vcpu)) vcpu.arch.hcr_el2 = and64(vcpu.arch.hcr_el2, not64(HCR_RW));
}

/** HCR_GUEST_FLAGS, reduced to the bits the model reads. */
export const HCR_GUEST_FLAGS = HCR_RW;

// arch/arm64/include/asm/kvm_emulate.h: kvm_vcpu_get_esr (v6.4)
export function kvm_vcpu_get_esr(vcpu: kvm_vcpu): number {
  return vcpu.arch.fault.esr_el2;
}

// arch/arm64/include/asm/kvm_emulate.h: kvm_vcpu_trap_il_is32bit (v6.4)
export function kvm_vcpu_trap_il_is32bit(vcpu: kvm_vcpu): boolean {
  return (kvm_vcpu_get_esr(vcpu) & ESR_ELx_IL) !== 0;
}

// arch/arm64/include/asm/kvm_emulate.h: kvm_vcpu_trap_get_class (v6.4)
export function kvm_vcpu_trap_get_class(vcpu: kvm_vcpu): number {
  return ESR_ELx_EC(kvm_vcpu_get_esr(vcpu));
}

// arch/arm64/include/asm/kvm_emulate.h: kvm_pend_exception (v6.4)
// An exception and a PC increment cannot both be pending (they share iflags bits), hence the WARN.
export function kvm_pend_exception(v: kvm_vcpu, e: vcpu_flag): void {
  WARN_ON(vcpu_get_flag(v, INCREMENT_PC) !== 0);
  vcpu_set_flag(v, PENDING_EXCEPTION);
  vcpu_set_flag(v, e);
}
