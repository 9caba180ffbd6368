// SPDX-License-Identifier: GPL-2.0-only
//
// Stand-in for arch/arm64/kvm/hyp/vhe/sysreg-sr.c (Linux v6.4): with VHE the guest's EL1 registers
// stay on the CPU from vcpu load to vcpu put (the host runs at EL2 and never uses them), reduced to
// the CPACR_EL1 switch of sysreg-sr.h. Not FP code; shared by both revisions.

import { type kvm_vcpu, SYSREGS_ON_CPU, vcpu_clear_flag, vcpu_set_flag } from '@kvmfp/kvm-fpsimd';
import { __sysreg_restore_el1_state, __sysreg_save_el1_state } from './sysreg-sr.js';

// arch/arm64/kvm/hyp/vhe/sysreg-sr.c: kvm_vcpu_load_sysregs_vhe (v6.4)
export function kvm_vcpu_load_sysregs_vhe(vcpu: kvm_vcpu): void {
  const guest_ctxt = vcpu.arch.ctxt;

  // Host EL0 state save, AArch32 and EL0 state restore: not FP.
  __sysreg_restore_el1_state(guest_ctxt);

  vcpu_set_flag(vcpu, SYSREGS_ON_CPU);

  // activate_traps_vhe_load: PMU and the SME fine-grained traps (SMPRI_EL1, TPIDR2_EL0) are not
  // modelled.
}

// arch/arm64/kvm/hyp/vhe/sysreg-sr.c: kvm_vcpu_put_sysregs_vhe (v6.4)
export function kvm_vcpu_put_sysregs_vhe(vcpu: kvm_vcpu): void {
  const guest_ctxt = vcpu.arch.ctxt;

  // deactivate_traps_vhe_put: not modelled.

  __sysreg_save_el1_state(guest_ctxt);
  // EL0 and AArch32 state save, host EL0 state restore: not FP.

  vcpu_clear_flag(vcpu, SYSREGS_ON_CPU);
}
