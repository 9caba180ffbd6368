// SPDX-License-Identifier: GPL-2.0-only
//
// The FP-relevant parts of arch/arm64/kvm/hyp/nvhe/hyp-main.c (Linux v6.4): the hypercall that
// runs a vcpu, and the host's own traps to EL2, of which one is FP: after an SVE guest ran, the
// host runs with SVE trapped to EL2 (see __deactivate_traps) and its first SVE access lands here.
// Protected KVM is not modelled. Shared by both revisions.

import { BUG_ON, E, isb, type KernelPath, sve_cond_update_zcr_vq } from '@kvmfp/fpsimd';
import {
  is_protected_kvm_enabled,
  type kvm_cpu_context,
  kvm_this_cpu_ptr,
  type kvm_vcpu,
  read_sysreg_el2,
  SYS_ESR,
} from '@kvmfp/kvm-fpsimd';
import { thisCpu } from '@kvmfp/machine';
import {
  CPTR_EL2_TZ,
  ESR_ELx_EC,
  ESR_ELx_EC_SVE,
  sysreg_clear_set,
  SYS_ZCR_EL2,
  write_sysreg,
  ZCR_ELx_LEN_MASK,
} from '@kvmfp/sysreg';
import { __kvm_vcpu_run } from './nvhe-switch.js';

const ESR_ELx_EC_HVC64 = 0x16;
const ESR_ELx_EC_SMC64 = 0x17;
const ESR_ELx_EC_IABT_LOW = 0x20;
const ESR_ELx_EC_DABT_LOW = 0x24;

// arch/arm64/kvm/hyp/nvhe/hyp-main.c: handle___kvm_vcpu_run (v6.4)
// The kernel takes the vcpu pointer from the host's saved x1 and returns the exit code in it; the
// model passes and returns them directly.
export function* handle___kvm_vcpu_run(host_vcpu: kvm_vcpu): KernelPath<number> {
  let ret: number;

  if (is_protected_kvm_enabled()) {
    // pkvm_load_hyp_vcpu / flush_hyp_vcpu / sync_hyp_vcpu: protected KVM is not modelled.
    throw new Error('handle___kvm_vcpu_run: protected KVM is not modelled');
  } else {
    // The host is trusted: its vcpu runs as it is.
    ret = yield* __kvm_vcpu_run(host_vcpu);
  }

  return ret;
}

// arch/arm64/kvm/hyp/nvhe/hyp-main.c: handle_trap (v6.4), the SVE case
// The host's first SVE use after an SVE guest ran: untrap SVE and give EL2 the largest VL again
// (the guest run left it at the vcpu's), so that the host's EL1 sees its own ZCR_EL1 unconstrained.
export function handle_trap(_host_ctxt: kvm_cpu_context): void {
  const esr = read_sysreg_el2(SYS_ESR);

  switch (ESR_ELx_EC(esr)) {
    case ESR_ELx_EC_HVC64:
      // handle_host_hcall: the one hypercall modelled (running a vcpu) is entered through
      // kvm_call_hyp_ret, not through this path.
      break;
    case ESR_ELx_EC_SMC64:
      // handle_host_smc: not modelled.
      break;
    case ESR_ELx_EC_SVE:
      sysreg_clear_set('cptr_el2', CPTR_EL2_TZ, 0);
      isb();
      sve_cond_update_zcr_vq(ZCR_ELx_LEN_MASK, SYS_ZCR_EL2);
      break;
    case ESR_ELx_EC_IABT_LOW:
    case ESR_ELx_EC_DABT_LOW:
      // handle_host_mem_abort: not modelled.
      break;
    default:
      BUG_ON(true);
  }
}

// arch/arm64/kvm/hyp/nvhe/host.S: __kvm_hyp_host_vector (v6.4), synchronous entry, stand-in
// What the machine does when the nVHE host (EL0 or EL1) takes a synchronous exception to EL2:
// ESR_EL2 is written, the CPU enters EL2, handle_trap runs with the host context, and the
// exception return puts the CPU back where it was. The instruction is then retried by the caller.
export function __kvm_hyp_host_vector_sync(esr: number): void {
  const cpu = thisCpu();
  const from = cpu.el;

  cpu.el = 2;
  write_sysreg(esr, 'esr_el2');
  E.handle_trap(kvm_this_cpu_ptr('kvm_host_data').host_ctxt);
  thisCpu().el = from;
}
