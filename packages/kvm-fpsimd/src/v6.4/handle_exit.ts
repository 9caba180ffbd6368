// SPDX-License-Identifier: GPL-2.0-only
//
// The FP/SVE/SME part of arch/arm64/kvm/handle_exit.c (Linux v6.4): what the host does with a
// guest exit the hypervisor did not handle itself. The hypervisor resolves every FP or SVE trap it
// can (kvm_hyp_handle_fpsimd); the ones it declines reach the host, which answers with an UNDEF in
// the guest: an SVE access by a vcpu without SVE, FP/SIMD use on a system without FP, and SME use,
// which has no handler at all and falls to the unknown-class handler. Shared by both revisions.
//
// Only these exception classes are modelled, with the guest's data aborts (an MMIO access the VMM
// handles, so the run returns to user space); every other class lands on the default handler
// (kvm_handle_unknown_ec), as an unexpected class does in the kernel.

import { ESR_ELx_EC_FP_ASIMD, ESR_ELx_EC_SVE, ESR_ELx_EC } from '@kvmfp/sysreg';
import { kvm_handle_guest_abort } from './kvm_mmu.js';
import { kvm_inject_undefined } from './inject_fault.js';
import {
  ARM_EXCEPTION_CODE,
  ARM_EXCEPTION_EL1_SERROR,
  ARM_EXCEPTION_HYP_GONE,
  ARM_EXCEPTION_IL,
  ARM_EXCEPTION_IRQ,
  ARM_EXCEPTION_TRAP,
  ARM_SERROR_PENDING,
} from './kvm_asm.js';
import { kvm_vcpu_get_esr } from './kvm_emulate.js';
import { KVM_EXIT_FAIL_ENTRY, KVM_EXIT_INTERNAL_ERROR, type kvm_vcpu } from './kvm_host.js';

const EINVAL = 22;

export type exit_handle_fn = (vcpu: kvm_vcpu) => number;

// arch/arm64/kvm/handle_exit.c: handle_no_fpsimd (v6.4)
// FP/SIMD traps reach the host only when the system has no FP/SIMD (the hypervisor takes them
// otherwise); the guest gets an UNDEF.
export function handle_no_fpsimd(vcpu: kvm_vcpu): number {
  kvm_inject_undefined(vcpu);
  return 1;
}

// arch/arm64/kvm/handle_exit.c: kvm_handle_unknown_ec (v6.4)
// A class KVM has no handler for: the guest gets an UNDEF. SME accesses (EC 0x1d) end here.
export function kvm_handle_unknown_ec(vcpu: kvm_vcpu): number {
  // The kernel logs the unexpected class (kvm_pr_unimpl); the model does not.
  kvm_inject_undefined(vcpu);
  return 1;
}

// arch/arm64/kvm/handle_exit.c: handle_sve (v6.4)
// SVE traps reach the host only for a vcpu without SVE (or a system without it): UNDEF.
export function handle_sve(vcpu: kvm_vcpu): number {
  kvm_inject_undefined(vcpu);
  return 1;
}

/** ESR_ELx_EC_MAX. */
const ESR_ELx_EC_MAX = 0x3f;
/** ESR_ELx_EC_IABT_LOW, ESR_ELx_EC_DABT_LOW (asm/esr.h): aborts from the guest. */
export const ESR_ELx_EC_IABT_LOW = 0x20;
export const ESR_ELx_EC_DABT_LOW = 0x24;

// arch/arm64/kvm/handle_exit.c: arm_exit_handlers (v6.4), the FP/SVE and abort entries over the default
export const arm_exit_handlers: exit_handle_fn[] = Array.from({ length: ESR_ELx_EC_MAX + 1 }, (_, ec) => {
  switch (ec) {
    case ESR_ELx_EC_SVE:
      return handle_sve;
    case ESR_ELx_EC_FP_ASIMD:
      return handle_no_fpsimd;
    case ESR_ELx_EC_IABT_LOW:
    case ESR_ELx_EC_DABT_LOW:
      return kvm_handle_guest_abort;
    default:
      return kvm_handle_unknown_ec;
  }
});

// arch/arm64/kvm/handle_exit.c: kvm_get_exit_handler (v6.4)
export function kvm_get_exit_handler(vcpu: kvm_vcpu): exit_handle_fn {
  const esr = kvm_vcpu_get_esr(vcpu);
  const esr_ec = ESR_ELx_EC(esr);

  return arm_exit_handlers[esr_ec];
}

// arch/arm64/kvm/handle_exit.c: handle_trap_exceptions (v6.4)
// A trapped instruction whose condition failed is skipped instead of handled; AArch64 FP/SVE/SME
// instructions are unconditional, so the model always takes the handler.
export function handle_trap_exceptions(vcpu: kvm_vcpu): number {
  let handled: number;

  if (!kvm_condition_valid(vcpu)) {
    // kvm_incr_pc(vcpu): unreachable in the model.
    handled = 1;
  } else {
    const exit_handler = kvm_get_exit_handler(vcpu);
    handled = exit_handler(vcpu);
  }

  return handled;
}

// arch/arm64/kvm/handle_exit.c: handle_exit (v6.4)
// Positive: back into the guest; zero: to user space with run->exit_reason set; negative: error.
export function handle_exit(vcpu: kvm_vcpu, exception_index: number): number {
  const run = vcpu.run;

  // A pending SError was dealt with by handle_exit_early; the guest re-executes the instruction.
  if (ARM_SERROR_PENDING(exception_index)) return 1;

  exception_index = ARM_EXCEPTION_CODE(exception_index);

  switch (exception_index) {
    case ARM_EXCEPTION_IRQ:
      return 1;
    case ARM_EXCEPTION_EL1_SERROR:
      return 1;
    case ARM_EXCEPTION_TRAP:
      return handle_trap_exceptions(vcpu);
    case ARM_EXCEPTION_HYP_GONE:
      run.exit_reason = KVM_EXIT_FAIL_ENTRY;
      return 0;
    case ARM_EXCEPTION_IL:
      run.exit_reason = KVM_EXIT_FAIL_ENTRY;
      return -EINVAL;
    default:
      run.exit_reason = KVM_EXIT_INTERNAL_ERROR;
      return 0;
  }
}

// arch/arm64/kvm/handle_exit.c: handle_exit_early (v6.4)
// The part of exit handling that must run before preemption is re-enabled: SErrors only, which
// the model does not raise; the structure is kept so the run loop calls it where the kernel does.
export function handle_exit_early(_vcpu: kvm_vcpu, exception_index: number): void {
  if (ARM_SERROR_PENDING(exception_index)) {
    // kvm_handle_guest_serror / kvm_inject_vabt: not modelled.
    return;
  }

  exception_index = ARM_EXCEPTION_CODE(exception_index);

  if (exception_index === ARM_EXCEPTION_EL1_SERROR) {
    // kvm_handle_guest_serror: not modelled.
  }
}

// arch/arm64/include/asm/kvm_emulate.h: kvm_condition_valid (v6.4)
// AArch64 instructions always pass; the AArch32 condition check is not modelled.
function kvm_condition_valid(_vcpu: kvm_vcpu): boolean {
  return true;
}
