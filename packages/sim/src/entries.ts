// The entries the sim calls, by kernel name. A revision's table must provide each; a missing one
// is a configuration error reported by name when the table is checked.

import type { KernelPath, pt_regs, task_struct } from '@kvmfp/fpsimd';

export interface SimEntries {
  fp_user_discard(): void;
  fpsimd_restore_current_state(): void;
  fpsimd_thread_switch(next: task_struct): void;
  do_sve_acc(esr: number, regs: pt_regs): KernelPath;
  do_sme_acc(esr: number, regs: pt_regs): KernelPath;
  do_fpsimd_acc(esr: number, regs: pt_regs): void | KernelPath;
  kernel_neon_begin(): void;
  kernel_neon_end(): void;
  may_use_simd(): boolean;
}

export const SIM_ENTRY_NAMES: string[] = [
  'fp_user_discard',
  'fpsimd_restore_current_state',
  'fpsimd_thread_switch',
  'do_sve_acc',
  'do_sme_acc',
  'do_fpsimd_acc',
  'kernel_neon_begin',
  'kernel_neon_end',
  'may_use_simd',
  'kvm_vcpu_ioctl',
  'kvm_sched_in',
  'kvm_sched_out',
];

export function missingEntries(table: object): string[] {
  return SIM_ENTRY_NAMES.filter((n) => typeof (table as Record<string, unknown>)[n] !== 'function');
}
