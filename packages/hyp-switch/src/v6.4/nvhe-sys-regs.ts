// SPDX-License-Identifier: GPL-2.0-only
//
// The FP-relevant handler of arch/arm64/kvm/hyp/nvhe/sys_regs.c (Linux v6.4): an access a
// protected VM is not allowed (SVE, among others) is answered at EL2 with an UNDEF. Reachable only
// through pvm_exit_handlers, which v6.4 never selects. Shared by both revisions.

import { EXCEPT_AA64_EL1_SYNC, ESR_EL1, kvm_pend_exception, type kvm_vcpu } from '@kvmfp/kvm-fpsimd';
import { ESR_ELx_EC_SHIFT, ESR_ELx_EC_UNKNOWN } from '@kvmfp/sysreg';
import { __kvm_adjust_pc } from './exception.js';
import type { u64_ptr } from './hyp-link.js';

// arch/arm64/kvm/hyp/nvhe/sys_regs.c: inject_undef64 (v6.4)
// The exception is delivered at once, at EL2, without a trip through the host.
export function inject_undef64(vcpu: kvm_vcpu): void {
  const esr = ESR_ELx_EC_UNKNOWN << ESR_ELx_EC_SHIFT;

  // The guest PC and PSTATE are not modelled.

  kvm_pend_exception(vcpu, EXCEPT_AA64_EL1_SYNC);

  // The kernel writes ESR_EL1 on the CPU after delivery; the model's delivery reads the vcpu
  // context, so the syndrome goes there first.
  vcpu.arch.ctxt.sys_regs[ESR_EL1] = esr;

  __kvm_adjust_pc(vcpu);
}

// arch/arm64/kvm/hyp/nvhe/sys_regs.c: kvm_handle_pvm_restricted (v6.4)
export function kvm_handle_pvm_restricted(vcpu: kvm_vcpu, _exit_code: u64_ptr): boolean {
  inject_undef64(vcpu);
  return true;
}
