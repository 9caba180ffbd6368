// SPDX-License-Identifier: GPL-2.0-only
//
// Stand-in for the EL1 register switch of arch/arm64/kvm/hyp/include/hyp/sysreg-sr.h (Linux
// v6.4), reduced to the one register the FP model needs: CPACR_EL1, whose FPEN/ZEN/SMEN fields
// decide which FP, SVE and SME instructions trap to EL1. The kernel switches some thirty EL1
// registers here; ZCR_EL1 is not among them (the FP code switches it). Not FP code itself.

import {
  CPACR_EL1,
  type kvm_cpu_context,
  read_sysreg_el1,
  SYS_CPACR,
  write_sysreg_el1,
} from '@kvmfp/kvm-fpsimd';

// arch/arm64/kvm/hyp/include/hyp/sysreg-sr.h: __sysreg_save_el1_state (v6.4), CPACR_EL1 only
export function __sysreg_save_el1_state(ctxt: kvm_cpu_context): void {
  ctxt.sys_regs[CPACR_EL1] = read_sysreg_el1(SYS_CPACR);
}

// arch/arm64/kvm/hyp/include/hyp/sysreg-sr.h: __sysreg_restore_el1_state (v6.4), CPACR_EL1 only
export function __sysreg_restore_el1_state(ctxt: kvm_cpu_context): void {
  write_sysreg_el1(ctxt.sys_regs[CPACR_EL1], SYS_CPACR);
}
