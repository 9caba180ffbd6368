// Port of the FP part of arch/arm64/kernel/syscall.c (Linux v6.4): the register state a syscall
// may discard on entry, and where in the SVC path that happens. The syscall dispatch itself
// (tracing, the syscall table, the exit work) belongs to the sim.
//
// fp_user_discard runs before el0_svc_common unmasks interrupts, so nothing can preempt it: it is
// a plain function. The registers it acts on are the caller's live ones (the task has just come
// from user space, so its state is in the CPU).

import { sme_smstop_sm, sve_flush_live } from '@kvmfp/machine';
import { task_get_sve_vl } from './asm-processor.js';
import {
  current,
  type KernelPath,
  system_supports_sme,
  system_supports_sve,
  test_thread_flag,
} from './linux.js';
import { type pt_regs, TIF_SVE } from './types.js';
import { sve_vq_from_vl } from './uapi-sve-context.js';

// arch/arm64/kernel/syscall.c: fp_user_discard (v6.4)
// The syscall ABI keeps only the FPSIMD subset of the vector state and leaves streaming mode. So:
// SMSTOP SM (ZA is kept, and SVE/SME stay enabled for the task); then for a task using SVE, zero
// the live Z bits above 128, P and FFR at the task's SVE VL. TIF_SVE itself is left set, so the
// kernel still treats the state as SVE-format. Since no streaming state survives a syscall, KVM can
// assume there is none when it is entered through KVM_RUN.
export function fp_user_discard(): void {
  if (system_supports_sme()) sme_smstop_sm();

  if (!system_supports_sve()) return;

  if (test_thread_flag(TIF_SVE)) {
    const sve_vq_minus_one = sve_vq_from_vl(task_get_sve_vl(current())) - 1;
    sve_flush_live(true, sve_vq_minus_one);
  }
}

// arch/arm64/kernel/syscall.c: do_el0_svc (v6.4)
// The AArch64 SVC path: discard first, then record the syscall in the saved registers (which is
// what makes in_syscall() true for fpsimd_save) and hand over to the dispatcher. `scno` is the
// number the task put in x8; `dispatch` stands for the rest of el0_svc_common (the model's
// syscall body, run with interrupts enabled).
export function* do_el0_svc<R>(
  regs: pt_regs,
  scno: number,
  dispatch: (regs: pt_regs) => KernelPath<R>,
): KernelPath<R> {
  fp_user_discard();
  return yield* el0_svc_common(regs, scno, dispatch);
}

/** The FP-relevant start of el0_svc_common: the saved registers now say "in a syscall". */
function* el0_svc_common<R>(
  regs: pt_regs,
  scno: number,
  dispatch: (regs: pt_regs) => KernelPath<R>,
): KernelPath<R> {
  regs.syscallno = scno;
  return yield* dispatch(regs);
}
