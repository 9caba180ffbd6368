// The preempt event when the context switch itself fails, and the guard that keeps an endless
// kernel path from hanging the tool. Both once hung the fixtures' kill table in CI: a BUG in
// fpsimd_thread_switch (through fpsimd_save) left `current` at the previous task, and the next
// task's return-to-user loop then waited forever for a TIF_FOREIGN_FPSTATE that only `current`'s
// restore clears.

import { describe, expect, it } from 'vitest';
import { point, type KernelPath } from '@kvmfp/fpsimd';
import { runTo } from './events.js';
import { runScenario } from './run.js';
import { Runtime } from './runtime.js';
import { resolveTable } from './revisions.js';
import { createWorld } from './world.js';
import { type Scenario, worldConfig } from './scenario.js';

const vmmPreemptedInKvmRun: Scenario = {
  title: 'a VMM with ZA on is preempted inside KVM_RUN',
  claim: 'the switch saves the VMM; with a load that leaves SM/ZA on, that save hits a BUG',
  revision: 'v6.4',
  machine: { cpus: 2, features: { sve: false, sme: true, vhe: true } },
  tasks: [{ name: 'vmm', vmm: true, cpu: 1 }, { name: 'other' }],
  vcpus: [{ name: 'g', vmm: 'vmm', sve: false }],
  events: [
    { do: 'user', task: 'vmm', op: 'smstart_za' },
    { do: 'user', task: 'vmm', op: 'za' },
    { do: 'kvm_run', task: 'vmm' },
    { do: 'guest', vcpu: 'g', op: 'fpsimd' },
    { do: 'guest_exit', vcpu: 'g', to: 'kvm_arch_vcpu_ioctl_run:after preempt_enable' },
    { do: 'preempt', cpu: 1, next: 'other' },
  ],
  expect: { violations: [] },
};

describe('preempt', () => {
  it('runs the switch on v6.4 and the next task returns to user space', () => {
    const r = runScenario(vmmPreemptedInKvmRun, { tracing: false });
    expect(r.failures).toEqual([]);
  });

  it('stops the world when the switch hits a BUG, and starts no task on that CPU', () => {
    const r = runScenario(vmmPreemptedInKvmRun, { mutant: 'load-fp-leaves-sm', tracing: false });
    expect(r.failures[0]).toBe('the world died: BUG at fpsimd_save: NULL dereference: last->sme_state');
  });
});

describe('runTo', () => {
  it('reports a kernel path that never finishes instead of looping for ever', () => {
    const cfg = worldConfig(vmmPreemptedInKvmRun);
    const rt = new Runtime(createWorld(cfg, 'v6.4', null), resolveTable('v6.4', null), false);
    function* endless(): KernelPath {
      for (;;) yield* point('endless:top');
    }
    const pid = rt.world.users[0].pid;
    expect(() => runTo(rt, pid, 0, rt.start(pid, 0, endless(), 'endless'), undefined)).toThrow(
      /passed 10000 preemption points without finishing \(at endless:top\)/,
    );
  });
});
