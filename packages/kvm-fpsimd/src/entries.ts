// The entries this package adds to a revision's entry table (the kernel functions other kernel
// files call), and the entries it calls but does not provide: the hypervisor's, which the
// hyp-switch package implements. A revision's table is assembled in hyp-switch (revisions.ts).

import type { KernelPath } from '@kvmfp/fpsimd';
import type { kvm_vcpu } from './v6.4/kvm_host.js';
import * as arm from './v6.4/arm.js';
import * as fpsimd63 from './v6.3/fpsimd.js';
import * as fpsimd64 from './v6.4/fpsimd.js';
import * as handleExit from './v6.4/handle_exit.js';
import * as kvmMain from './v6.4/kvm_main.js';

declare module '@kvmfp/fpsimd' {
  interface EntryTable {
    // arch/arm64/kvm/fpsimd.c
    kvm_arch_vcpu_run_map_fp: (vcpu: kvm_vcpu) => number;
    kvm_arch_vcpu_load_fp: (vcpu: kvm_vcpu) => void;
    kvm_arch_vcpu_ctxflush_fp: (vcpu: kvm_vcpu) => void;
    kvm_arch_vcpu_ctxsync_fp: (vcpu: kvm_vcpu) => void;
    kvm_arch_vcpu_put_fp: (vcpu: kvm_vcpu) => void;
    // arch/arm64/kvm/arm.c
    kvm_arch_vcpu_load: (vcpu: kvm_vcpu, cpu: number) => void;
    kvm_arch_vcpu_put: (vcpu: kvm_vcpu) => void;
    kvm_arch_vcpu_run_pid_change: (vcpu: kvm_vcpu) => number;
    kvm_arch_vcpu_ioctl_run: (vcpu: kvm_vcpu) => KernelPath<number>;
    // arch/arm64/kvm/handle_exit.c
    handle_exit: (vcpu: kvm_vcpu, exception_index: number) => number;
    handle_exit_early: (vcpu: kvm_vcpu, exception_index: number) => void;
    // virt/kvm/kvm_main.c: what the sim calls for KVM_RUN and from the scheduler's notifiers
    kvm_vcpu_ioctl: (vcpu: kvm_vcpu, ioctl: number, arg: number) => KernelPath<number>;
    kvm_sched_in: (vcpu: kvm_vcpu, cpu: number) => void;
    kvm_sched_out: (vcpu: kvm_vcpu) => void;
    // Provided by @kvmfp/hyp-switch. __kvm_vcpu_run stands for kvm_call_hyp_ret(__kvm_vcpu_run,
    // vcpu): the VHE function, or the hypercall into the nVHE one. It yields a GuestEntry at each
    // guest entry and returns the exit code (ARM_EXCEPTION_*).
    __kvm_vcpu_run: (vcpu: kvm_vcpu) => KernelPath<number>;
    /** kvm_call_hyp(__kvm_adjust_pc, vcpu). */
    __kvm_adjust_pc: (vcpu: kvm_vcpu) => void;
    kvm_vcpu_load_sysregs_vhe: (vcpu: kvm_vcpu) => void;
    kvm_vcpu_put_sysregs_vhe: (vcpu: kvm_vcpu) => void;
  }
}

export type KvmRevision = 'v6.3' | 'v6.4';

const kvmFpsimd64 = {
  kvm_arch_vcpu_run_map_fp: fpsimd64.kvm_arch_vcpu_run_map_fp,
  kvm_arch_vcpu_load_fp: fpsimd64.kvm_arch_vcpu_load_fp,
  kvm_arch_vcpu_ctxflush_fp: fpsimd64.kvm_arch_vcpu_ctxflush_fp,
  kvm_arch_vcpu_ctxsync_fp: fpsimd64.kvm_arch_vcpu_ctxsync_fp,
  kvm_arch_vcpu_put_fp: fpsimd64.kvm_arch_vcpu_put_fp,
};

const kvmFpsimd63: typeof kvmFpsimd64 = {
  kvm_arch_vcpu_run_map_fp: fpsimd63.kvm_arch_vcpu_run_map_fp,
  kvm_arch_vcpu_load_fp: fpsimd63.kvm_arch_vcpu_load_fp,
  kvm_arch_vcpu_ctxflush_fp: fpsimd63.kvm_arch_vcpu_ctxflush_fp,
  kvm_arch_vcpu_ctxsync_fp: fpsimd63.kvm_arch_vcpu_ctxsync_fp,
  kvm_arch_vcpu_put_fp: fpsimd63.kvm_arch_vcpu_put_fp,
};

/** The entries of the files both revisions share. */
const shared = {
  kvm_arch_vcpu_load: arm.kvm_arch_vcpu_load,
  kvm_arch_vcpu_put: arm.kvm_arch_vcpu_put,
  kvm_arch_vcpu_run_pid_change: arm.kvm_arch_vcpu_run_pid_change,
  kvm_arch_vcpu_ioctl_run: arm.kvm_arch_vcpu_ioctl_run,
  handle_exit: handleExit.handle_exit,
  handle_exit_early: handleExit.handle_exit_early,
  kvm_vcpu_ioctl: kvmMain.kvm_vcpu_ioctl,
  kvm_sched_in: kvmMain.kvm_sched_in,
  kvm_sched_out: kvmMain.kvm_sched_out,
};

export type KvmEntries = typeof shared & typeof kvmFpsimd64;

/** This package's entries for each revision. */
export const kvmEntries: Record<KvmRevision, KvmEntries> = {
  'v6.3': { ...shared, ...kvmFpsimd63 },
  'v6.4': { ...shared, ...kvmFpsimd64 },
};
