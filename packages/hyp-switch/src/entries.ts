// The entries this package adds to a revision's entry table: the hypervisor functions other
// kernel files (and the shared VHE/nVHE files) call, and the ones the kvm-fpsimd package declares
// and calls but cannot provide (it must not depend on this package).

import type { KernelPath } from '@kvmfp/fpsimd';
import type { kvm_cpu_context, kvm_vcpu } from '@kvmfp/kvm-fpsimd';
import type { u64_ptr } from './v6.4/hyp-link.js';
import { kvm_call_hyp, kvm_call_hyp_ret } from './v6.4/hyp-call.js';
import { __kvm_hyp_host_vector_sync, handle_trap } from './v6.4/hyp-main.js';
import { kvm_vcpu_load_sysregs_vhe, kvm_vcpu_put_sysregs_vhe } from './v6.4/vhe-sysreg-sr.js';
import * as switch63 from './v6.3/switch.js';
import * as switch64 from './v6.4/switch.js';

declare module '@kvmfp/fpsimd' {
  interface EntryTable {
    // arch/arm64/kvm/hyp/include/hyp/switch.h (differs between v6.3 and v6.4)
    guest_owns_fp_regs: (vcpu: kvm_vcpu) => boolean;
    __fpsimd_save_fpexc32: (vcpu: kvm_vcpu) => void;
    __activate_traps_fpsimd32: (vcpu: kvm_vcpu) => void;
    ___activate_traps: (vcpu: kvm_vcpu) => void;
    kvm_hyp_handle_fpsimd: (vcpu: kvm_vcpu, exit_code: u64_ptr) => boolean;
    fixup_guest_exit: (vcpu: kvm_vcpu, exit_code: u64_ptr) => boolean;
    // arch/arm64/kvm/hyp/nvhe/hyp-main.c and host.S: the nVHE host's traps to EL2
    handle_trap: (host_ctxt: kvm_cpu_context) => void;
    /** What the sim runs when an nVHE host instruction traps to EL2 (ESR_EL2 = esr). */
    __kvm_hyp_host_vector_sync: (esr: number) => void;
  }
}

export type HypRevision = 'v6.3' | 'v6.4';

function switchEntries(sw: typeof switch64) {
  return {
    guest_owns_fp_regs: sw.guest_owns_fp_regs,
    __fpsimd_save_fpexc32: sw.__fpsimd_save_fpexc32,
    __activate_traps_fpsimd32: sw.__activate_traps_fpsimd32,
    ___activate_traps: sw.___activate_traps,
    kvm_hyp_handle_fpsimd: sw.kvm_hyp_handle_fpsimd,
    fixup_guest_exit: sw.fixup_guest_exit,
  };
}

/** E.__kvm_vcpu_run: the host's kvm_call_hyp_ret(__kvm_vcpu_run, vcpu). */
function callKvmVcpuRun(vcpu: kvm_vcpu): KernelPath<number> {
  return kvm_call_hyp_ret('__kvm_vcpu_run', vcpu);
}

/** E.__kvm_adjust_pc: the host's kvm_call_hyp(__kvm_adjust_pc, vcpu). */
function callKvmAdjustPc(vcpu: kvm_vcpu): void {
  kvm_call_hyp('__kvm_adjust_pc', vcpu);
}

/** The entries of the files both revisions share. */
const shared = {
  __kvm_vcpu_run: callKvmVcpuRun,
  __kvm_adjust_pc: callKvmAdjustPc,
  kvm_vcpu_load_sysregs_vhe,
  kvm_vcpu_put_sysregs_vhe,
  handle_trap,
  __kvm_hyp_host_vector_sync,
};

export type HypEntries = typeof shared & ReturnType<typeof switchEntries>;

/** This package's entries for each revision. */
export const hypEntries: Record<HypRevision, HypEntries> = {
  'v6.3': { ...shared, ...switchEntries(switch63) },
  'v6.4': { ...shared, ...switchEntries(switch64) },
};
