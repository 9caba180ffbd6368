// SPDX-License-Identifier: GPL-2.0-only
//
// The FP-relevant skeleton of arch/arm64/kvm/arm.c (Linux v6.4): where the vcpu load and put
// hooks sit among the other per-vcpu switches, how KVM_RUN's first run and task changes reach
// kvm_arch_vcpu_run_map_fp, and the order of the run loop around guest entry: preemption off, IRQs
// off, ctxflush, the hypervisor, ctxsync, IRQs on (interrupts and softirqs can run here, still
// without preemption), early exit handling, preemption on, exit handling. Work that is not about
// FP (VMID, vgic, timers, PMU, debug, stage 2) is left out, each place marked. The series did not
// touch this file; both revisions use it.
//
// Calls into other kernel files go through the entry table E, so a mutant can replace one hook.

import {
  E,
  has_vhe,
  isb,
  type KernelPath,
  local_irq_disable,
  local_irq_enable,
  point,
  preempt_disable,
  preempt_enable,
} from '@kvmfp/fpsimd';
import { ARM_EXCEPTION_CODE, ARM_EXCEPTION_IRQ } from './kvm_asm.js';
import {
  INCREMENT_PC,
  KVM_ARCH_FLAG_HAS_RAN_ONCE,
  KVM_EXIT_UNKNOWN,
  kvm_arm_vcpu_sve_finalized,
  type kvm_vcpu,
  PENDING_EXCEPTION,
  vcpu_get_flag,
  vcpu_has_sve,
  vcpu_on_unsupported_cpu,
} from './kvm_host.js';
import { EINTR, xfer_to_guest_mode_handle_work, xfer_to_guest_mode_work_pending } from './entry-kvm.js';
import { vcpu_load, vcpu_put } from './kvm_main.js';

const ENOEXEC = 8;
const EPERM = 1;

// arch/arm64/kvm/arm.c: kvm_arch_vcpu_load (v6.4)
// With VHE the guest's EL1 registers go onto the CPU at load time (the host never uses them), and
// only then are the FP registers marked as the host's.
export function kvm_arch_vcpu_load(vcpu: kvm_vcpu, cpu: number): void {
  // Stage-2 context invalidation for a vcpu new to this CPU: not FP.

  vcpu.cpu = cpu;

  // kvm_vgic_load, kvm_timer_vcpu_load: not FP.
  if (has_vhe()) E.kvm_vcpu_load_sysregs_vhe(vcpu);
  E.kvm_arch_vcpu_load_fp(vcpu);
  // PMU, steal time, WFx traps, ptrauth, debug flags, unsupported-CPU check: not FP.
}

// arch/arm64/kvm/arm.c: kvm_arch_vcpu_put (v6.4)
// The FP registers are dealt with before the VHE EL1 registers come off the CPU: put_fp reads the
// guest's ZCR_EL1 from the CPU.
export function kvm_arch_vcpu_put(vcpu: kvm_vcpu): void {
  // Debug state flags: not FP.
  E.kvm_arch_vcpu_put_fp(vcpu);
  if (has_vhe()) E.kvm_vcpu_put_sysregs_vhe(vcpu);
  // Timer, vgic, PMU, VMID, unsupported-CPU flag: not FP.
  vcpu.cpu = -1;
}

// arch/arm64/kvm/arm.c: kvm_vcpu_initialized (v6.4)
export function kvm_vcpu_initialized(vcpu: kvm_vcpu): boolean {
  return vcpu.arch.target >= 0;
}

// arch/arm64/kvm/arm.c: kvm_arch_vcpu_run_pid_change (v6.4)
// Runs on every change of the task issuing KVM_RUN (and on the first run): the FP storage mapping
// follows the task; the one-time set-up after it is not FP.
export function kvm_arch_vcpu_run_pid_change(vcpu: kvm_vcpu): number {
  const kvm = vcpu.kvm;

  if (!kvm_vcpu_initialized(vcpu)) return -ENOEXEC;

  if (!kvm_arm_vcpu_is_finalized(vcpu)) return -EPERM;

  const ret = E.kvm_arch_vcpu_run_map_fp(vcpu);
  if (ret) return ret;

  if (vcpu_has_run_once(vcpu)) return 0;

  // Debug, vgic, timer, PMU and protected-VM set-up: not FP.

  kvm.arch.flags |= 1 << KVM_ARCH_FLAG_HAS_RAN_ONCE;

  return ret;
}

// arch/arm64/kvm/arm.c: kvm_vcpu_exit_request (v6.4)
// The last look before entry, with IRQs off: work pending for the task sends the loop round.
// Userspace irqchip notifications and vcpu requests are not modelled.
export function kvm_vcpu_exit_request(vcpu: kvm_vcpu, _ret: { val: number }): boolean {
  if (vcpu_on_unsupported_cpu(vcpu)) {
    // KVM_EXIT_FAIL_ENTRY: asymmetric systems are not modelled.
    return true;
  }

  return kvm_request_pending(vcpu) || xfer_to_guest_mode_work_pending();
}

// arch/arm64/kvm/arm.c: kvm_arm_vcpu_enter_exit (v6.4)
// The entry covers kvm_call_hyp_ret(__kvm_vcpu_run, vcpu): a direct call with VHE, a hypercall
// into the nVHE hypervisor without.
export function* kvm_arm_vcpu_enter_exit(vcpu: kvm_vcpu): KernelPath<number> {
  // guest_state_enter_irqoff: RCU and context tracking, not modelled.
  const ret = yield* E.__kvm_vcpu_run(vcpu);
  // guest_state_exit_irqoff.

  return ret;
}

// arch/arm64/kvm/arm.c: kvm_arch_vcpu_ioctl_run (v6.4)
// Loops guest runs until an exit needs user space, a signal is pending, or an error occurs. The
// vcpu is loaded for the whole call and put on the way out; the preempt notifiers put and reload
// it around every switch of this task in between.
export function* kvm_arch_vcpu_ioctl_run(vcpu: kvm_vcpu): KernelPath<number> {
  const run = vcpu.run;
  let ret: number;

  // Completion of an MMIO exit (KVM_EXIT_MMIO): not modelled.

  vcpu_load(vcpu);

  out: {
    if (run.immediate_exit) {
      ret = -EINTR;
      break out;
    }

    // kvm_sigset_activate: not modelled.

    ret = 1;
    run.exit_reason = KVM_EXIT_UNKNOWN;
    while (ret > 0) {
      // Preemptible: the task can be switched out here (and the vcpu put and reloaded around it).
      yield* point('kvm_arch_vcpu_ioctl_run:loop top', { ret });

      ret = yield* xfer_to_guest_mode_handle_work(vcpu);
      if (!ret) ret = 1;

      if (ret > 0) ret = check_vcpu_requests(vcpu);

      preempt_disable();

      // VMID update, PMU flush: not FP.

      local_irq_disable();

      // vgic flush, PMU events, vcpu->mode = IN_GUEST_MODE: not FP.

      const r = { val: ret };
      if (ret <= 0 || kvm_vcpu_exit_request(vcpu, r)) {
        ret = r.val;
        // vcpu->mode, PMU/timer/vgic sync: not FP.
        local_irq_enable();
        preempt_enable();
        continue;
      }

      // kvm_arm_setup_debug: not FP.
      E.kvm_arch_vcpu_ctxflush_fp(vcpu);

      ret = yield* kvm_arm_vcpu_enter_exit(vcpu);

      // vcpu->mode, exit statistics, debug clear, PMU/vgic/timer sync: not FP.

      E.kvm_arch_vcpu_ctxsync_fp(vcpu);

      // An IRQ that caused the exit is taken here, in a short window with IRQs on, so that it is
      // accounted as guest time: its handler (and softirqs on its way out) can use kernel-mode
      // NEON while the guest's registers are bound to this CPU.
      if (ARM_EXCEPTION_CODE(ret) === ARM_EXCEPTION_IRQ) {
        local_irq_enable();
        yield* point('kvm_arch_vcpu_ioctl_run:irq window after exit', { ret });
        isb();
        local_irq_disable();
      }

      // guest_timing_exit_irqoff.

      local_irq_enable();

      // Interrupts (and softirqs) can run from here on; preemption is still off.
      yield* point('kvm_arch_vcpu_ioctl_run:irqs on, preemption off', { ret });

      E.handle_exit_early(vcpu, ret);

      preempt_enable();

      // Preemptible again: a switch here puts the vcpu before the exit is handled.
      yield* point('kvm_arch_vcpu_ioctl_run:after preempt_enable', { ret });

      // vcpu_mode_is_bad_32bit: the guest's PSTATE is not modelled.

      ret = E.handle_exit(vcpu, ret);
    }

    // Userspace irqchip level updates, kvm_sigset_deactivate: not modelled.
  }

  // An exception made pending by the last exit is committed before user space sees the vcpu.
  if (vcpu_get_flag(vcpu, PENDING_EXCEPTION) || vcpu_get_flag(vcpu, INCREMENT_PC)) E.__kvm_adjust_pc(vcpu);

  vcpu_put(vcpu);
  return ret;
}

// arch/arm64/kvm/arm.c: check_vcpu_requests (v6.4)
// vcpu requests (sleep, reset, VMID, PMU, ...) are not modelled, so there is never one to act on
// and the loop goes on.
export function check_vcpu_requests(_vcpu: kvm_vcpu): number {
  return 1;
}

// include/linux/kvm_host.h: kvm_request_pending (v6.4)
// No requests in the model.
function kvm_request_pending(_vcpu: kvm_vcpu): boolean {
  return false;
}

// include/linux/kvm_host.h: vcpu_has_run_once (v6.4)
// A first KVM_RUN has recorded its task.
function vcpu_has_run_once(vcpu: kvm_vcpu): boolean {
  return vcpu.pid !== -1;
}

// arch/arm64/kvm/reset.c: kvm_arm_vcpu_is_finalized (v6.4)
// An SVE vcpu must have had its vector lengths finalized (and its sve_state allocated) before it
// can run.
export function kvm_arm_vcpu_is_finalized(vcpu: kvm_vcpu): boolean {
  if (vcpu_has_sve(vcpu) && !kvm_arm_vcpu_sve_finalized(vcpu)) return false;

  return true;
}
