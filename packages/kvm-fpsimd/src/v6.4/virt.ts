// SPDX-License-Identifier: GPL-2.0-only
//
// The mode predicates of arch/arm64/include/asm/virt.h (Linux v6.4) that the KVM FP paths test.
// Which hypervisor mode runs is machine configuration: VHE or nVHE, never protected KVM.

import { has_vhe } from '@kvmfp/fpsimd';

// arch/arm64/include/asm/virt.h: is_kernel_in_hyp_mode (v6.4)
// The host kernel runs at EL2 exactly when it uses VHE.
export function is_kernel_in_hyp_mode(): boolean {
  return has_vhe();
}

// arch/arm64/include/asm/virt.h: is_protected_kvm_enabled (v6.4)
// Protected KVM (kvm-arm.mode=protected) is not modelled, so every branch it guards is dead here.
export function is_protected_kvm_enabled(): boolean {
  return false;
}
