// SPDX-License-Identifier: GPL-2.0-only
//
// The exception delivery of arch/arm64/kvm/hyp/exception.c (Linux v6.4): an exception the host
// made pending (kvm_inject_undefined) is delivered to the guest on its next entry. The guest's
// PC, PSTATE and vector are not modelled; delivery is recorded in the vcpu context for the guest
// model to see (kvm_cpu_context.regs.exception_taken). Shared by both revisions.

import {
  ESR_EL1,
  EXCEPT_AA32_UND,
  EXCEPT_AA64_EL1_SYNC,
  EXCEPT_MASK,
  INCREMENT_PC,
  type kvm_vcpu,
  PENDING_EXCEPTION,
  unpack_vcpu_flag,
  vcpu_clear_flag,
  vcpu_el1_is_32bit_hyp,
  vcpu_get_flag,
} from '@kvmfp/kvm-fpsimd';
import { ESR_ELx_EC_SHIFT, ESR_ELx_EC_UNKNOWN } from '@kvmfp/sysreg';

// arch/arm64/kvm/hyp/exception.c: kvm_inject_exception (v6.4)
// Only the exceptions the FP paths inject are modelled: UNDEF for AArch32, a synchronous exception
// to EL1 for AArch64.
export function kvm_inject_exception(vcpu: kvm_vcpu): void {
  if (vcpu_el1_is_32bit_hyp(vcpu)) {
    switch (vcpu_get_flag(vcpu, EXCEPT_MASK)) {
      case unpack_vcpu_flag(EXCEPT_AA32_UND):
        enter_exception(vcpu, ESR_ELx_EC_UNKNOWN << ESR_ELx_EC_SHIFT);
        break;
      default:
        // Other AArch32 exceptions: not modelled.
        break;
    }
  } else {
    switch (vcpu_get_flag(vcpu, EXCEPT_MASK)) {
      case unpack_vcpu_flag(EXCEPT_AA64_EL1_SYNC):
        enter_exception(vcpu, vcpu.arch.ctxt.sys_regs[ESR_EL1]);
        break;
      default:
        // IRQ/FIQ/SError and EL2 targets: not modelled.
        break;
    }
  }
}

/**
 * Stand-in for enter_exception64/enter_exception32: the guest will resume at its exception vector
 * with this syndrome (AArch32 UNDEF has none; it is recorded as the unknown class).
 */
function enter_exception(vcpu: kvm_vcpu, esr: number): void {
  vcpu.arch.ctxt.regs.exception_taken = esr;
}

// arch/arm64/kvm/hyp/exception.c: __kvm_adjust_pc (v6.4)
// A pending exception is delivered (and its flags consumed); otherwise a requested skip of the
// trapped instruction is done. The two share iflags bits, so only one can be pending.
export function __kvm_adjust_pc(vcpu: kvm_vcpu): void {
  if (vcpu_get_flag(vcpu, PENDING_EXCEPTION)) {
    kvm_inject_exception(vcpu);
    vcpu_clear_flag(vcpu, PENDING_EXCEPTION);
    vcpu_clear_flag(vcpu, EXCEPT_MASK);
  } else if (vcpu_get_flag(vcpu, INCREMENT_PC)) {
    // kvm_skip_instr: the guest PC is not modelled.
    vcpu_clear_flag(vcpu, INCREMENT_PC);
  }
}
