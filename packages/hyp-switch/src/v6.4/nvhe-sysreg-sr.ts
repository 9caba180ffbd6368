// SPDX-License-Identifier: GPL-2.0-only
//
// Stand-in for arch/arm64/kvm/hyp/nvhe/sysreg-sr.c (Linux v6.4): without VHE the host kernel and
// the guest share the EL1 registers, so the hypervisor saves one context and loads the other on
// every guest entry and exit. Reduced to the CPACR_EL1 switch of sysreg-sr.h; not FP code.

import type { kvm_cpu_context } from '@kvmfp/kvm-fpsimd';
import { __sysreg_restore_el1_state, __sysreg_save_el1_state } from './sysreg-sr.js';

// arch/arm64/kvm/hyp/nvhe/sysreg-sr.c: __sysreg_save_state_nvhe (v6.4)
export function __sysreg_save_state_nvhe(ctxt: kvm_cpu_context): void {
  __sysreg_save_el1_state(ctxt);
  // Common, EL0 and EL2-return state: not FP.
}

// arch/arm64/kvm/hyp/nvhe/sysreg-sr.c: __sysreg_restore_state_nvhe (v6.4)
export function __sysreg_restore_state_nvhe(ctxt: kvm_cpu_context): void {
  __sysreg_restore_el1_state(ctxt);
  // Common, EL0 and EL2-return state: not FP.
}
