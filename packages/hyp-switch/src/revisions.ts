// The complete entry table of each revision: the host FP entries of @kvmfp/fpsimd (one set: the
// series changed no host file), the KVM entries of @kvmfp/kvm-fpsimd and the hypervisor entries of
// this package. The sim calls the kernel only through one of these (or a mutant of one).

import {
  __switch_to,
  arch_dup_task_struct,
  copy_thread,
  do_fpsimd_acc,
  do_sme_acc,
  do_sve_acc,
  type EntryTable,
  flush_thread,
  fp_user_discard,
  fpsimd_flush_thread,
  fpsimd_restore_current_state,
  fpsimd_thread_switch,
  kernel_neon_begin,
  kernel_neon_end,
  may_use_simd,
  ptrace_regset,
  setup_rt_frame,
  sme_set_current_vl,
  sve_set_current_vl,
  sys_rt_sigreturn,
  vec_set_vector_length,
} from '@kvmfp/fpsimd';
import { kvmEntries } from '@kvmfp/kvm-fpsimd';
import { type HypRevision, hypEntries } from './entries.js';

declare module '@kvmfp/fpsimd' {
  interface EntryTable {
    // arch/arm64/kernel/signal.c: delivery (from the return-to-user work) and sigreturn
    setup_rt_frame: typeof setup_rt_frame;
    sys_rt_sigreturn: typeof sys_rt_sigreturn;
    // kernel/ptrace.c: PTRACE_GETREGSET / PTRACE_SETREGSET (the arm64 FP regsets behind it)
    ptrace_regset: typeof ptrace_regset;
    // arch/arm64/kernel/process.c: fork and exec
    arch_dup_task_struct: typeof arch_dup_task_struct;
    copy_thread: typeof copy_thread;
    flush_thread: typeof flush_thread;
    // arch/arm64/kernel/fpsimd.c: the prctl VL calls and what exec and ptrace reach
    fpsimd_flush_thread: typeof fpsimd_flush_thread;
    vec_set_vector_length: typeof vec_set_vector_length;
    sve_set_current_vl: typeof sve_set_current_vl;
    sme_set_current_vl: typeof sme_set_current_vl;
  }
}

/** The host-side entries (arch/arm64/kernel): the same for both revisions. */
const hostEntries = {
  fp_user_discard,
  fpsimd_restore_current_state,
  fpsimd_thread_switch,
  __switch_to,
  do_sve_acc,
  do_sme_acc,
  do_fpsimd_acc,
  kernel_neon_begin,
  kernel_neon_end,
  may_use_simd,
  setup_rt_frame,
  sys_rt_sigreturn,
  ptrace_regset,
  arch_dup_task_struct,
  copy_thread,
  flush_thread,
  fpsimd_flush_thread,
  vec_set_vector_length,
  sve_set_current_vl,
  sme_set_current_vl,
};

function table(rev: HypRevision): EntryTable {
  return { ...hostEntries, ...kvmEntries[rev], ...hypEntries[rev] };
}

export const revisions: Record<HypRevision, EntryTable> = {
  'v6.3': table('v6.3'),
  'v6.4': table('v6.4'),
};
