// SPDX-License-Identifier: GPL-2.0-only
//
// Port of kernel/entry/kvm.c and include/linux/entry-kvm.h (Linux v6.4): the work a vcpu thread
// does between guest runs while it is still preemptible: leave for a signal, reschedule, run the
// notify-resume work. This is how the host's scheduler and signals interleave with KVM_RUN, and
// how the sim brings a VMM back to user space (a pending signal). Shared by both revisions.

import {
  clear_thread_flag,
  current,
  type KernelPath,
  point,
  TIF_NEED_RESCHED,
  TIF_NOTIFY_RESUME,
  TIF_NOTIFY_SIGNAL,
  TIF_SIGPENDING,
} from '@kvmfp/fpsimd';
import { type kvm_vcpu, KVM_EXIT_INTR } from './kvm_host.js';

const _TIF = (flag: number) => 1 << flag;
export const EINTR = 4;

/** include/linux/entry-kvm.h XFER_TO_GUEST_MODE_WORK (arm64 adds no work of its own). */
export const XFER_TO_GUEST_MODE_WORK =
  _TIF(TIF_NEED_RESCHED) | _TIF(TIF_SIGPENDING) | _TIF(TIF_NOTIFY_SIGNAL) | _TIF(TIF_NOTIFY_RESUME);

// include/linux/thread_info.h: read_thread_flags (v6.4)
function read_thread_flags(): number {
  return current().flags;
}

// kernel/entry/kvm.c: xfer_to_guest_mode_work (v6.4)
// A signal ends the run with -EINTR at once; rescheduling and notify-resume work are done in
// place, and the flags are read again until no work is left.
export function* xfer_to_guest_mode_work(vcpu: kvm_vcpu, ti_work: number): KernelPath<number> {
  do {
    if (ti_work & (_TIF(TIF_SIGPENDING) | _TIF(TIF_NOTIFY_SIGNAL))) {
      kvm_handle_signal_exit(vcpu);
      return -EINTR;
    }

    if (ti_work & _TIF(TIF_NEED_RESCHED)) yield* schedule();

    if (ti_work & _TIF(TIF_NOTIFY_RESUME)) resume_user_mode_work(null);

    const ret = arch_xfer_to_guest_mode_handle_work(vcpu, ti_work);
    if (ret) return ret;

    ti_work = read_thread_flags();
  } while (ti_work & XFER_TO_GUEST_MODE_WORK || need_resched());
  return 0;
}

// kernel/entry/kvm.c: xfer_to_guest_mode_handle_work (v6.4)
// Called from the top of the run loop with interrupts and preemption enabled.
export function* xfer_to_guest_mode_handle_work(vcpu: kvm_vcpu): KernelPath<number> {
  const ti_work = read_thread_flags();
  if (!(ti_work & XFER_TO_GUEST_MODE_WORK)) return 0;

  return yield* xfer_to_guest_mode_work(vcpu, ti_work);
}

// include/linux/entry-kvm.h: xfer_to_guest_mode_work_pending (v6.4)
// The last check before entry, with interrupts off: any such work sends the loop round again.
export function xfer_to_guest_mode_work_pending(): boolean {
  const ti_work = read_thread_flags();
  return (ti_work & XFER_TO_GUEST_MODE_WORK) !== 0;
}

// include/linux/kvm_host.h: kvm_handle_signal_exit (v6.4)
export function kvm_handle_signal_exit(vcpu: kvm_vcpu): void {
  vcpu.run.exit_reason = KVM_EXIT_INTR;
}

// include/linux/entry-kvm.h: arch_xfer_to_guest_mode_handle_work (v6.4)
// arm64 defines no arch-specific transfer work.
function arch_xfer_to_guest_mode_handle_work(_vcpu: kvm_vcpu, _ti_work: number): number {
  return 0;
}

// kernel/sched/core.c: schedule (v6.4), stand-in
// A voluntary reschedule: the sim may switch to another task at this point (by its own rules);
// when the task runs again its need-resched flag is clear, as __schedule() leaves the task it
// switched away from.
function* schedule(): KernelPath {
  yield* point('xfer_to_guest_mode_work:schedule');
  clear_thread_flag(TIF_NEED_RESCHED);
}

// include/linux/sched.h: need_resched (v6.4)
function need_resched(): boolean {
  return (read_thread_flags() & _TIF(TIF_NEED_RESCHED)) !== 0;
}

// include/linux/resume_user_mode.h: resume_user_mode_work (v6.4)
// Notify-resume callbacks are not modelled; the flag is consumed.
function resume_user_mode_work(_regs: null): void {
  clear_thread_flag(TIF_NOTIFY_RESUME);
}
