// SPDX-License-Identifier: GPL-2.0-only
//
// The parts of virt/kvm/kvm_main.c (Linux v6.4) that decide when the arm64 vcpu load/put hooks
// run: vcpu_load/vcpu_put around an ioctl, the preempt notifiers that put the vcpu when its task
// is scheduled out and load it again when it comes back, and the KVM_RUN case of the vcpu ioctl
// (which remaps the FP storage when another task starts running the vcpu). Shared by both
// revisions; the arch hooks are called through the entry table.

import {
  current,
  E,
  type KernelPath,
  point,
  preempt_disable,
  preempt_enable,
  smp_processor_id,
} from '@kvmfp/fpsimd';
import { type kvm_vcpu, kvm_this_cpu_write } from './kvm_host.js';

export const KVM_RUN = 0xae80;
const EINVAL = 22;
const ENOTTY = 25;

// virt/kvm/kvm_main.c: vcpu_load (v6.4)
// The preempt notifier is registered before the arch load, both with preemption off, so from
// here on every switch away from this task puts the vcpu and every switch back loads it.
export function vcpu_load(vcpu: kvm_vcpu): void {
  const cpu = get_cpu();

  kvm_this_cpu_write('kvm_running_vcpu', vcpu);
  preempt_notifier_register(vcpu);
  E.kvm_arch_vcpu_load(vcpu, cpu);
  put_cpu();
}

// virt/kvm/kvm_main.c: vcpu_put (v6.4)
export function vcpu_put(vcpu: kvm_vcpu): void {
  preempt_disable();
  E.kvm_arch_vcpu_put(vcpu);
  preempt_notifier_unregister(vcpu);
  kvm_this_cpu_write('kvm_running_vcpu', null);
  preempt_enable();
}

// virt/kvm/kvm_main.c: kvm_sched_in (v6.4)
// The scheduler calls this (through the task's preempt notifier) on the CPU the task resumes on,
// with preemption disabled, before the task runs again.
export function kvm_sched_in(vcpu: kvm_vcpu, cpu: number): void {
  // preempted/ready hints for directed yield: not modelled.
  kvm_this_cpu_write('kvm_running_vcpu', vcpu);
  // kvm_arch_sched_in is empty on arm64.
  E.kvm_arch_vcpu_load(vcpu, cpu);
}

// virt/kvm/kvm_main.c: kvm_sched_out (v6.4)
// Called by the scheduler on the old CPU, preemption disabled, as the task is switched away.
export function kvm_sched_out(vcpu: kvm_vcpu): void {
  E.kvm_arch_vcpu_put(vcpu);
  kvm_this_cpu_write('kvm_running_vcpu', null);
}

// virt/kvm/kvm_main.c: kvm_vcpu_ioctl (v6.4), the KVM_RUN case
// A change of the task issuing KVM_RUN goes through the arch pid-change hook first (which maps
// the new task's FP storage for the hypervisor); then the arch run loop runs.
export function* kvm_vcpu_ioctl(vcpu: kvm_vcpu, ioctl: number, arg: number): KernelPath<number> {
  let r: number;

  // mutex_lock_killable(&vcpu->mutex): one task per vcpu in the model.
  switch (ioctl) {
    case KVM_RUN: {
      r = -EINVAL;
      if (arg) break;
      const oldpid = vcpu.pid;
      if (oldpid !== current().pid) {
        r = E.kvm_arch_vcpu_run_pid_change(vcpu);
        if (r) break;

        vcpu.pid = current().pid;
        // A sleeping wait for readers of the old pid: a preemption point.
        if (oldpid !== -1) yield* point('kvm_vcpu_ioctl:synchronize_rcu');
      }
      r = yield* E.kvm_arch_vcpu_ioctl_run(vcpu);
      break;
    }
    default:
      r = -ENOTTY;
  }
  return r;
}

// include/linux/smp.h: get_cpu (v6.4)
// Preemption off, and the CPU it pins.
function get_cpu(): number {
  preempt_disable();
  return smp_processor_id();
}

// include/linux/smp.h: put_cpu (v6.4)
function put_cpu(): void {
  preempt_enable();
}

// kernel/sched/core.c: preempt_notifier_register (v6.4), stand-in
// The sim runs kvm_sched_out/kvm_sched_in around switches of a task whose vcpu has one.
function preempt_notifier_register(vcpu: kvm_vcpu): void {
  vcpu.preempt_notifier_registered = true;
}

// kernel/sched/core.c: preempt_notifier_unregister (v6.4), stand-in
function preempt_notifier_unregister(vcpu: kvm_vcpu): void {
  vcpu.preempt_notifier_registered = false;
}
