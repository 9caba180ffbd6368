// SPDX-License-Identifier: GPL-2.0-only
//
// Stand-in for the world switch of arch/arm64/kvm/hyp/entry.S (Linux v6.4). The assembly saves the
// host's general registers, loads the guest's and erets to the guest's EL1; the next exception
// from the guest brings the CPU back to EL2 with an exit code. The model has no general registers:
// it moves the CPU to the guest's EL1 and hands control to the sim, which runs the guest and
// resumes this path with the exit code. Not FP code; shared by both revisions.

import type { KernelPath } from '@kvmfp/fpsimd';
import type { kvm_vcpu } from '@kvmfp/kvm-fpsimd';
import { thisCpu } from '@kvmfp/machine';

// arch/arm64/kvm/hyp/entry.S: __guest_enter (v6.4), stand-in
// The sim resumes with ARM_EXCEPTION_TRAP (after writing ESR_EL2 for the trapped instruction) or
// ARM_EXCEPTION_IRQ (an interrupt ended the guest's run).
export function* __guest_enter(vcpu: kvm_vcpu): KernelPath<number> {
  const cpu = thisCpu();
  cpu.el = 1;
  cpu.world = 'guest';

  const exit_code = yield { kind: 'guest', vcpuId: vcpu.vcpu_id };
  if (typeof exit_code !== 'number')
    throw new Error(`__guest_enter: resumed without an exit code (${String(exit_code)})`);

  // The exception that ended the guest's run was taken to EL2 on this CPU.
  thisCpu().el = 2;
  return exit_code;
}

/**
 * Stand-in: the point of a guest run after which the EL0/EL1 context on the CPU is the host's
 * again (its EL1 registers restored, or with VHE, the host's EL2&0 regime back in force).
 */
export function __guest_world_is_host_again(): void {
  thisCpu().world = 'host';
}
