// Port of the FP/SIMD, SVE, SME and TPIDR2 parts of arch/arm64/kernel/process.c (Linux v6.4): what
// exec resets, what fork copies and what it drops, how TLS registers follow a context switch, and
// what freeing a task releases. Functions are in the kernel's order; the parts of these functions
// that touch no FP state (hardware breakpoints, MTE, pointer authentication, SSBS, errata, TPIDR_EL0
// and TPIDRRO_EL0, which the model machine does not have) are left out.

import type { SmeBuffer } from '@kvmfp/machine';
import { read_sysreg_s, SYS_TPIDR2_EL0, write_sysreg_s } from '@kvmfp/sysreg';
import { sme_state_size, thread_za_enabled } from './asm-fpsimd.js';
import {
  fpsimd_flush_task_state,
  fpsimd_flush_thread,
  fpsimd_preserve_current_state,
  fpsimd_release_task,
  fpsimd_thread_switch,
  sve_state_size,
} from './fpsimd.js';
import {
  clear_tsk_thread_flag,
  current,
  current_pt_regs,
  GFP_KERNEL,
  is_compat_task,
  kernelState,
  kfree,
  kzalloc_sme_state,
  kzalloc_sve_state,
  type KernelPath,
  point,
  smp_processor_id,
} from './linux.js';
import { ENOMEM, system_supports_tpidr2 } from './signal.js';
import { FP_STATE_FPSIMD, type task_struct, type thread_struct, TIF_SME, TIF_SVE } from './types.js';

/** clone() flag: the new thread gets the given TLS pointer (include/uapi/linux/sched.h). */
export const CLONE_SETTLS = 0x00080000;

/** struct kernel_clone_args, as far as copy_thread reads it. */
export interface kernel_clone_args {
  flags: number;
  stack: number;
  tls: number;
  /** Set for a kernel thread (its entry function); absent for a user fork/clone. */
  fn?: unknown;
}

// arch/arm64/kernel/process.c: tls_thread_flush (v6.4)
// Exec starts with TPIDR2_EL0 cleared (TPIDR_EL0 likewise, outside the model).
export function tls_thread_flush(): void {
  if (system_supports_tpidr2()) write_sysreg_s(0, SYS_TPIDR2_EL0);

  // Compat tasks also clear their saved TLS; the model has AArch64 tasks only.
  if (is_compat_task()) current().thread.uw.tp_value = 0;
}

// arch/arm64/kernel/process.c: flush_thread (v6.4)
// Exec: FP state back to its initial form, then the TLS registers.
export function* flush_thread(): KernelPath {
  yield* fpsimd_flush_thread();
  tls_thread_flush();
}

// arch/arm64/kernel/process.c: arch_release_task_struct (v6.4)
// A dead task's SVE and SME buffers are freed with it.
export function arch_release_task_struct(tsk: task_struct): void {
  fpsimd_release_task(tsk);
}

/**
 * `*dst = *src` for the model task_struct: embedded structures are copied by value, pointers
 * (sve_state, sme_state) are copied as pointers, exactly as a structure assignment in C. The
 * pt_regs object stands for the task's own kernel stack copy, so it is copied by value too.
 */
function task_struct_assign(dst: task_struct, src: task_struct): void {
  const t: thread_struct = src.thread;
  Object.assign(dst, src);
  dst.thread = {
    ...t,
    uw: { ...t.uw, fpsimd_state: { ...t.uw.fpsimd_state } },
    vl: [...t.vl] as [number, number],
    vl_onexec: [...t.vl_onexec] as [number, number],
  };
  dst.regs = structuredClone(src.regs);
}

/** kmemdup() of an sme_state: a new buffer of `size` bytes holding a copy of the old one. */
function kmemdup_sme_state(src: SmeBuffer | null, size: number, flags: number): SmeBuffer | null {
  const dst = kzalloc_sme_state(size, flags);
  if (!dst || !src) return dst;
  Object.assign(dst, { layoutVq: src.layoutVq, za: src.za, zt0: src.zt0 });
  return dst;
}

// arch/arm64/kernel/process.c: arch_dup_task_struct (v6.4)
// Fork copies the whole task, so the parent's FP state is saved to memory first (only a user task
// has any). The child never shares the parent's buffers: SVE is dropped (no buffer, no TIF_SVE,
// FPSIMD format: the fork syscall only promises the FPSIMD subset). If ZA is on, the child keeps
// ZA/ZT in its own copy of sme_state, with a zeroed SVE buffer beside it since SME state always
// comes with one; otherwise it has no sme_state and no TIF_SME. SVCR and TPIDR2 are copied as
// they are.
export function* arch_dup_task_struct(dst: task_struct, src: task_struct): KernelPath<number> {
  if (current().mm) fpsimd_preserve_current_state();
  yield* point('arch_dup_task_struct:after fpsimd_preserve_current_state');
  task_struct_assign(dst, src);

  // The child's own buffers, if any, are allocated when it needs them.
  dst.thread.sve_state = null;
  clear_tsk_thread_flag(dst, TIF_SVE);

  if (thread_za_enabled(src.thread)) {
    dst.thread.sve_state = kzalloc_sve_state(sve_state_size(src), GFP_KERNEL);
    yield* point('arch_dup_task_struct:after sve_state kzalloc');
    if (!dst.thread.sve_state) return -ENOMEM;

    dst.thread.sme_state = kmemdup_sme_state(src.thread.sme_state, sme_state_size(src), GFP_KERNEL);
    yield* point('arch_dup_task_struct:after sme_state kmemdup');
    if (!dst.thread.sme_state) {
      kfree(dst.thread.sve_state);
      dst.thread.sve_state = null;
      return -ENOMEM;
    }
  } else {
    dst.thread.sme_state = null;
    clear_tsk_thread_flag(dst, TIF_SME);
  }

  dst.thread.fp_type = FP_STATE_FPSIMD;

  // TIF_MTE_ASYNC_FAULT is not modelled.

  return 0;
}

// arch/arm64/kernel/process.c: copy_thread (v6.4)
// The child's state must not be taken as live on any CPU (its task_struct may reuse a dead task's
// memory). A user child starts from the parent's registers and the parent's live TPIDR2_EL0 (the
// saved copy may be stale); with CLONE_SETTLS it gets the new TLS pointer and TPIDR2 is reset.
export function copy_thread(p: task_struct, args: kernel_clone_args): number {
  const clone_flags = args.flags;
  const tls = args.tls;

  fpsimd_flush_task_state(p);

  if (!args.fn) {
    p.regs = structuredClone(current_pt_regs());

    if (system_supports_tpidr2()) p.thread.tpidr2_el0 = read_sysreg_s(SYS_TPIDR2_EL0);

    // The new stack pointer (args.stack) is not modelled.

    if (clone_flags & CLONE_SETTLS) {
      p.thread.uw.tp_value = tls;
      p.thread.tpidr2_el0 = 0;
    }
  }
  // A kernel thread has no user registers to set up.

  return 0;
}

// arch/arm64/kernel/process.c: tls_preserve_current_state (v6.4)
// TPIDR2_EL0 is live while the task runs, so the saved copy is refreshed from the register.
export function tls_preserve_current_state(): void {
  if (system_supports_tpidr2() && !is_compat_task())
    current().thread.tpidr2_el0 = read_sysreg_s(SYS_TPIDR2_EL0);
}

// arch/arm64/kernel/process.c: tls_thread_switch (v6.4)
// TLS registers are switched eagerly on every context switch: save the outgoing task's, load the
// incoming task's.
export function tls_thread_switch(next: task_struct): void {
  tls_preserve_current_state();

  if (system_supports_tpidr2()) write_sysreg_s(next.thread.tpidr2_el0, SYS_TPIDR2_EL0);
}

/**
 * cpu_switch_to() (entry.S): from here on `current` on this CPU is `next`. The scheduler has set
 * task_cpu(next) before the switch. Returns the task switched away from.
 */
function cpu_switch_to(prev: task_struct, next: task_struct): task_struct {
  kernelState().percpu[smp_processor_id()].current = next;
  return prev;
}

// arch/arm64/kernel/process.c: __switch_to (v6.4)
// The FP bookkeeping comes first (it saves the outgoing task's live registers while `current` is
// still that task and decides whether next's registers are still loaded), then the TLS registers,
// then the actual switch. Runs with preemption and interrupts off.
export function __switch_to(prev: task_struct, next: task_struct): task_struct {
  fpsimd_thread_switch(next);
  tls_thread_switch(next);

  // Breakpoints, CONTEXTIDR, the entry task, SSBS, errata, pointer authentication, MTE and
  // SCTLR_EL1 are switched here too; none of them is FP state.

  const last = cpu_switch_to(prev, next);

  return last;
}
