// SPDX-License-Identifier: GPL-2.0-only
//
// The UNDEF injection of arch/arm64/kvm/inject_fault.c (Linux v6.4): how the host makes a guest
// take an undefined-instruction exception for an FP/SVE/SME access it may not make. The exception
// is only made pending here; the hypervisor delivers it on the next guest entry (__kvm_adjust_pc).
// Nested virtualization is not modelled, so the target is always the guest's EL1.

import { ESR_ELx_EC_SHIFT, ESR_ELx_EC_UNKNOWN, ESR_ELx_IL } from '@kvmfp/sysreg';
import { kvm_pend_exception, kvm_vcpu_trap_il_is32bit, vcpu_el1_is_32bit } from './kvm_emulate.js';
import {
  ESR_EL1,
  EXCEPT_AA32_UND,
  EXCEPT_AA64_EL1_SYNC,
  EXCEPT_MASK,
  type kvm_vcpu,
  unpack_vcpu_flag,
  vcpu_get_flag,
  type vcpu_sysreg,
} from './kvm_host.js';

// arch/arm64/kvm/inject_fault.c: pend_sync_exception (v6.4)
// Without nested virtualization the guest's EL1 is the only place a synchronous exception can go.
export function pend_sync_exception(vcpu: kvm_vcpu): void {
  kvm_pend_exception(vcpu, EXCEPT_AA64_EL1_SYNC);
}

// arch/arm64/kvm/inject_fault.c: match_target_el (v6.4)
export function match_target_el(vcpu: kvm_vcpu, target: number): boolean {
  return vcpu_get_flag(vcpu, EXCEPT_MASK) === target;
}

// arch/arm64/kvm/inject_fault.c: inject_undef64 (v6.4)
// An "unknown reason" syndrome, with IL copied from the trapped instruction's width.
export function inject_undef64(vcpu: kvm_vcpu): void {
  let esr = ESR_ELx_EC_UNKNOWN << ESR_ELx_EC_SHIFT;

  pend_sync_exception(vcpu);

  if (kvm_vcpu_trap_il_is32bit(vcpu)) esr |= ESR_ELx_IL;

  if (match_target_el(vcpu, unpack_vcpu_flag(EXCEPT_AA64_EL1_SYNC))) vcpu_write_sys_reg(vcpu, esr, ESR_EL1);
  // The other target (ESR_EL2 of a nested guest hypervisor) cannot arise without NV.
}

// arch/arm64/kvm/inject_fault.c: inject_undef32 (v6.4)
export function inject_undef32(vcpu: kvm_vcpu): void {
  kvm_pend_exception(vcpu, EXCEPT_AA32_UND);
}

// arch/arm64/kvm/inject_fault.c: kvm_inject_undefined (v6.4)
export function kvm_inject_undefined(vcpu: kvm_vcpu): void {
  if (vcpu_el1_is_32bit(vcpu)) inject_undef32(vcpu);
  else inject_undef64(vcpu);
}

// arch/arm64/kvm/sys_regs.c: vcpu_write_sys_reg (v6.4), reduced
// The kernel writes the CPU's copy while the vcpu's EL1 registers are loaded (VHE) and memory
// otherwise. The model's register switch only moves CPACR_EL1, so ESR_EL1 always lives in memory.
function vcpu_write_sys_reg(vcpu: kvm_vcpu, val: number, reg: vcpu_sysreg): void {
  vcpu.arch.ctxt.sys_regs[reg] = val;
}
