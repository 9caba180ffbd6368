// SPDX-License-Identifier: GPL-2.0-only
//
// The host-to-hypervisor call macros of arch/arm64/include/asm/kvm_host.h (Linux v6.4), for the
// two hyp functions the FP model calls. With VHE the host kernel is the hypervisor and calls the
// function directly; without VHE it issues an HVC, the CPU enters EL2, the nVHE hypervisor's
// handler runs its own copy of the function, and the exception return brings the CPU back to EL1.
// Shared by both revisions.

import { has_vhe, isb, type KernelPath } from '@kvmfp/fpsimd';
import type { kvm_vcpu } from '@kvmfp/kvm-fpsimd';
import { thisCpu } from '@kvmfp/machine';
import { __kvm_adjust_pc } from './exception.js';
import { handle___kvm_vcpu_run } from './hyp-main.js';
import * as vhe from './vhe-switch.js';

// arch/arm64/include/asm/kvm_host.h: kvm_call_hyp_ret (v6.4)
// f is __kvm_vcpu_run, the only value-returning hyp call the model makes. The generator yields at
// each guest entry.
export function* kvm_call_hyp_ret(_f: '__kvm_vcpu_run', vcpu: kvm_vcpu): KernelPath<number> {
  let ret: number;

  if (has_vhe()) {
    ret = yield* vhe.__kvm_vcpu_run(vcpu);
    isb();
  } else {
    ret = yield* kvm_call_hyp_nvhe_ret(vcpu);
  }

  return ret;
}

// arch/arm64/include/asm/kvm_host.h: kvm_call_hyp (v6.4)
// f is __kvm_adjust_pc (the run loop's commit of a pending exception before returning to user).
export function kvm_call_hyp(_f: '__kvm_adjust_pc', vcpu: kvm_vcpu): void {
  if (has_vhe()) {
    __kvm_adjust_pc(vcpu);
  } else {
    const from = enter_el2();
    __kvm_adjust_pc(vcpu);
    return_from_el2(from);
  }
  isb();
}

// arch/arm64/include/asm/kvm_host.h: kvm_call_hyp_nvhe (v6.4), for __kvm_vcpu_run, stand-in
// The HVC and the host vector's dispatch (handle_host_hcall) reduce to entering EL2 and calling the
// handler; the result comes back as the HVC's return value.
function* kvm_call_hyp_nvhe_ret(vcpu: kvm_vcpu): KernelPath<number> {
  const from = enter_el2();
  const ret = yield* handle___kvm_vcpu_run(vcpu);
  return_from_el2(from);
  return ret;
}

/** The HVC: the CPU enters EL2; returns the EL to go back to. */
function enter_el2(): 0 | 1 | 2 {
  const cpu = thisCpu();
  const from = cpu.el;
  cpu.el = 2;
  return from;
}

/** The exception return to the host. */
function return_from_el2(to: 0 | 1 | 2): void {
  thisCpu().el = to;
}
