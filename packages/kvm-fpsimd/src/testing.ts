// A small KVM world for the tests of this package and of hyp-switch (a test helper, not a kernel
// file): the fpsimd test world, a VMM task inside a KVM_RUN ioctl on CPU 0, one VM with one vcpu,
// and a helper that leaves a host task's FP state live in the registers in a given shape.

import { type Val, symbolic, thisCpu } from '@kvmfp/machine';
import {
  fpsimd_restore_current_state,
  FP_STATE_FPSIMD,
  FP_STATE_SVE,
  fpsimdTesting,
  sme_alloc,
  sve_alloc,
  type task_struct,
  TIF_FOREIGN_FPSTATE,
  TIF_SME,
  TIF_SVE,
} from '@kvmfp/fpsimd';
import { SVCR_SM_MASK, SVCR_ZA_MASK } from '@kvmfp/sysreg';
import { createKvm, createVcpu } from './create.js';
import type { kvm, kvm_vcpu } from './v6.4/kvm_host.js';

export interface KvmWorldOptions extends fpsimdTesting.TestWorldOptions {
  /** The vcpu has SVE. */
  guestSve?: boolean;
  guestSveMaxVl?: number;
  /** The VM is AArch32 at EL1. */
  aarch32?: boolean;
  /** The guest's own CPACR_EL1 (default: FP, and SVE if it has it, enabled by the guest kernel). */
  guestCpacrEl1?: number;
}

export interface KvmWorld extends fpsimdTesting.TestWorld {
  vmm: task_struct;
  vm: kvm;
  vcpu: kvm_vcpu;
}

/** The syscall number of ioctl(2) on arm64: the VMM is inside KVM_RUN. */
const NR_IOCTL = 29;

/** Writers of symbolic values: the VMM, the guest, kernel-mode NEON. */
export const VMM = 1;
export const GUEST = 2;
export const KNEON = 3;

export const val = (writer: number, seq: number): Val => symbolic(writer, seq);

export function createKvmWorld(opts: KvmWorldOptions = {}): KvmWorld {
  const w = fpsimdTesting.createTestWorld({ users: 2, ...opts });
  const vmm = w.users[0];
  vmm.comm = 'vmm';
  vmm.regs.syscallno = NR_IOCTL;
  fpsimdTesting.setCurrent(w, vmm, 0);
  const vm = createKvm({ aarch32: opts.aarch32 });
  const vcpu = createVcpu(vm, 0, w.machine.config, {
    sve: opts.guestSve,
    sveMaxVl: opts.guestSveMaxVl,
    guestCpacrEl1: opts.guestCpacrEl1,
  });
  return { ...w, vmm, vm, vcpu };
}

export interface HostShape {
  /** TIF_SVE with SVE-format state. */
  sve?: boolean;
  sm?: boolean;
  za?: boolean;
  /** The value then written into V (and Zhi, P with SVE or SM). */
  v?: Val;
}

/**
 * Leaves `task`'s FP state live on the bound CPU with the given shape, as after its own return to
 * user space: flags and buffers as the access traps set them, the state loaded by the port's
 * restore, then the registers written as user code would.
 */
export function hostLive(task: task_struct, shape: HostShape = {}): void {
  const set = (flag: number) => (task.flags |= 1 << flag);
  if (shape.sve || shape.sm || shape.za) sve_alloc(task, true);
  if (shape.sve) {
    set(TIF_SVE);
    task.thread.fp_type = FP_STATE_SVE;
  }
  if (shape.sm || shape.za) {
    sme_alloc(task);
    set(TIF_SME);
    task.thread.svcr = (shape.sm ? SVCR_SM_MASK : 0) | (shape.za ? SVCR_ZA_MASK : 0);
    if (shape.sm) task.thread.fp_type = FP_STATE_SVE;
  }
  if (!shape.sve && !shape.sm) task.thread.fp_type = FP_STATE_FPSIMD;
  set(TIF_FOREIGN_FPSTATE);
  fpsimd_restore_current_state();
  if (shape.v !== undefined) {
    const { regs } = thisCpu();
    regs.V = shape.v;
    if (shape.sve || shape.sm) {
      regs.Zhi = shape.v;
      regs.P = shape.v;
    }
    if (shape.za) regs.ZA = shape.v;
  }
}

export const hasFlag = (t: task_struct, flag: number): boolean => (t.flags & (1 << flag)) !== 0;
export const setFlag = (t: task_struct, flag: number, on = true): void => {
  if (on) t.flags |= 1 << flag;
  else t.flags &= ~(1 << flag);
};
