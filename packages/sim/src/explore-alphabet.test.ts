// The race alphabet: each new kind of candidate is generated in a state where the kernel allows it,
// only when its switch is on, and every generated event is enabled (applying it raises no
// EventError). A few explorations check that the kinds reach states end to end.

import { describe, expect, it } from 'vitest';
import type { WorldConfig } from './config.js';
import { applyEvent, bootstrap, type Event, EventError } from './events.js';
import { Explorer } from './explore.js';
import { fullAlphabet } from './explore-config.js';
import type { Alphabet } from './explore.js';
import { attachVcpus } from './kvm.js';
import { resolveTable } from './revisions.js';
import { Runtime } from './runtime.js';
import { createWorld } from './world.js';

const FEATURES = { fpsimd: true, sve: true, sme: true, sme2: true, fa64: false, vhe: true };

function config(over: Partial<WorldConfig> & { features?: Partial<typeof FEATURES> } = {}): WorldConfig {
  return {
    machine: { ncpus: 2, features: { ...FEATURES, ...over.features }, sveVls: [16, 32], smeVls: [16, 32] },
    tasks: over.tasks ?? [
      { name: 'a', cpu: 0 },
      { name: 'dbg', cpu: 1 },
    ],
    vcpus: over.vcpus ?? [],
  };
}

/** A runtime in the state the events lead to, from the world the explorer starts from. */
function stateAfter(cfg: WorldConfig, events: Event[]): Runtime {
  const w = createWorld(cfg, 'v6.4', null);
  const rt = new Runtime(w, resolveTable('v6.4', null), false);
  attachVcpus(rt, cfg);
  bootstrap(rt);
  for (const e of events) applyEvent(rt, e);
  return rt;
}

/** The candidates at that state, with the given switches on. */
function candidates(cfg: WorldConfig, events: Event[], alphabet: Partial<Alphabet>): Event[] {
  const ex = new Explorer(cfg, resolveTable('v6.4', null), fullAlphabet(alphabet), 'v6.4', null);
  return ex.candidates(stateAfter(cfg, events).world);
}

/** Every candidate matching `pick` applies without an EventError in that state. */
function expectEnabled(cfg: WorldConfig, events: Event[], cands: Event[]): void {
  expect(cands.length).toBeGreaterThan(0);
  for (const c of cands) {
    const rt = stateAfter(cfg, events);
    try {
      applyEvent(rt, c);
    } catch (e) {
      if (e instanceof EventError) throw new Error(`${JSON.stringify(c)} is not enabled: ${e.message}`);
      throw e;
    }
  }
}

const has = (cands: Event[], pred: (e: Event) => boolean) => cands.filter(pred);

describe('race alphabet candidates', () => {
  it('ptraceSyscall: PTRACE_SYSCALL for a stopped task, a stop asked of a task at a kernel point', () => {
    const cfg = config();
    const stopped: Event[] = [{ do: 'ptrace_stop', task: 'a' }];
    const on = candidates(cfg, stopped, { ptrace: true, ptraceSyscall: true });
    const cont = has(on, (e) => e.do === 'ptrace_cont' && e.syscall === true);
    expect(cont).toHaveLength(1);
    expectEnabled(cfg, stopped, cont);
    expect(
      has(candidates(cfg, stopped, { ptrace: true }), (e) => e.do === 'ptrace_cont' && !!e.syscall),
    ).toEqual([]);
    const inKernel: Event[] = [{ do: 'syscall', task: 'a', to: 'first' }];
    const stop = has(
      candidates(cfg, inKernel, { ptrace: true, ptraceSyscall: true }),
      (e) => e.do === 'ptrace_stop',
    );
    expect(stop.map((e) => (e as { task: string }).task)).toContain('a');
    expectEnabled(cfg, inKernel, stop);
  });

  it('deferredSoftirq: a softirq raised for the next softirq-disabled section of each CPU', () => {
    const cfg = config();
    const c = has(
      candidates(cfg, [], { deferredSoftirq: true }),
      (e) => e.do === 'softirq_neon' && !!e.deferred,
    );
    expect(c).toHaveLength(2);
    expectEnabled(cfg, [], c);
    expect(has(candidates(cfg, [], {}), (e) => e.do === 'softirq_neon')).toEqual([]);
  });

  it('signalInKernel: a signal for a task inside a syscall', () => {
    const cfg = config();
    const inKernel: Event[] = [{ do: 'syscall', task: 'a', to: 'first' }];
    const c = has(candidates(cfg, inKernel, { signalInKernel: true }), (e) => e.do === 'signal');
    expect(c).toEqual([{ do: 'signal', task: 'a', to: 'first' }]);
    expectEnabled(cfg, inKernel, c);
  });

  it('kvmExit: kick, signal and MMIO exit of a running guest; KVM_RUN with immediate_exit', () => {
    const cfg = config({
      tasks: [{ name: 'vmm', vmm: true, cpu: 0 }],
      vcpus: [{ name: 'g0', vmm: 'vmm', sve: true }],
    });
    const inGuest: Event[] = [{ do: 'kvm_run', task: 'vmm' }];
    const c = candidates(cfg, inGuest, { kvmExit: true });
    const exits = has(
      c,
      (e) => e.do === 'kick' || e.do === 'signal' || (e.do === 'guest_exit' && e.reason === 'mmio'),
    );
    expect(exits.map((e) => e.do).sort()).toEqual(['guest_exit', 'kick', 'signal']);
    expectEnabled(cfg, inGuest, exits);
    for (const e of exits) {
      const rt = stateAfter(cfg, inGuest);
      applyEvent(rt, { ...e, to: undefined } as Event);
      expect(rt.world.users[0].mode).toBe('user');
    }
    const imm = has(candidates(cfg, [], { kvmExit: true }), (e) => e.do === 'kvm_run' && !!e.immediateExit);
    expect(imm).toHaveLength(1);
    expectEnabled(cfg, [], imm);
  });

  it('guestZcr: the guest writes ZCR_EL1 for each length its vcpu allows', () => {
    const cfg = config({
      tasks: [{ name: 'vmm', vmm: true, cpu: 0 }],
      vcpus: [{ name: 'g0', vmm: 'vmm', sve: true, sveVl: 32 }],
    });
    const inGuest: Event[] = [{ do: 'kvm_run', task: 'vmm' }];
    const c = has(candidates(cfg, inGuest, { guestZcr: true }), (e) => e.do === 'guest_zcr');
    expect(c).toEqual([
      { do: 'guest_zcr', vcpu: 'g0', vl: 16 },
      { do: 'guest_zcr', vcpu: 'g0', vl: 32 },
    ]);
    expectEnabled(cfg, inGuest, c);
  });

  it('undefInsns (item 9): on SME without SVE, SVE outside streaming mode is offered only when asked', () => {
    const cfg = config({ features: { sve: false } });
    const off = candidates(cfg, [], { user: ['sve', 'fpsimd'] });
    expect(has(off, (e) => e.do === 'user' && e.op === 'sve')).toEqual([]);
    const on = has(candidates(cfg, [], { user: ['sve'], undefInsns: true }), (e) => e.do === 'user');
    expect(on).toHaveLength(2);
    expectEnabled(cfg, [], on);
    const streaming: Event[] = [{ do: 'user', task: 'a', op: 'smstart_sm' }];
    expect(
      has(
        candidates(cfg, streaming, { user: ['sve'] }),
        (e) => e.do === 'user' && 'task' in e && e.task === 'a',
      ),
    ).toHaveLength(1);
  });

  it('frameEdits: sigreturn with each configured edit from inside a handler', () => {
    const cfg = config();
    const inHandler: Event[] = [
      { do: 'user', task: 'a', op: 'sve' },
      { do: 'user', task: 'a', op: 'smstart_za' },
      { do: 'user', task: 'a', op: 'zt0' },
      { do: 'signal', task: 'a' },
    ];
    const edits = ['drop_sve', 'toggle_sm', 'drop_za', 'drop_zt', 'set_zt'] as const;
    const c = has(
      candidates(cfg, inHandler, { frameEdits: [...edits] }),
      (e) => e.do === 'sigreturn' && !!e.edit,
    );
    expect(c.map((e) => (e as { edit: string }).edit)).toEqual([...edits]);
    expectEnabled(cfg, inHandler, c);
  });

  it('ptracePayloads: SVE, SSVE and ZA writes at every length, FPSIMD-format and header-only', () => {
    const cfg = config();
    const stopped: Event[] = [{ do: 'ptrace_stop', task: 'a' }];
    const c = has(
      candidates(cfg, stopped, { ptrace: true, ptracePayloads: true }),
      (e) => e.do === 'ptrace_set' && ('vl' in e || 'data' in e),
    );
    const keys = c.map((e) => {
      const s = e as { regset: string; data?: string; vl?: number };
      return `${s.regset}:${s.data}:${s.vl ?? '-'}`;
    });
    expect(keys).toEqual([
      'sve:regs:16',
      'sve:regs:32',
      'sve:fpsimd:-',
      'sve:none:-',
      'ssve:regs:16',
      'ssve:regs:32',
      'ssve:fpsimd:-',
      'ssve:none:-',
      'za:regs:16',
      'za:regs:32',
      'za:none:-',
    ]);
    expectEnabled(cfg, stopped, c);
  });

  it('idle: a CPU switches to its idle task, and an idle CPU takes a runnable task', () => {
    const cfg = config();
    const c = has(candidates(cfg, [], { preempt: true, idle: true }), (e) => e.do === 'preempt' && !!e.idle);
    expect(c).toHaveLength(2);
    expectEnabled(cfg, [], c);
    const idle: Event[] = [{ do: 'preempt', cpu: 0, idle: true }];
    const back = has(
      candidates(cfg, idle, { preempt: true, idle: true }),
      (e) => e.do === 'preempt' && e.cpu === 0 && e.next === 'a',
    );
    expect(back).toHaveLength(1);
    expectEnabled(cfg, idle, back);
  });
});

describe('race alphabet exploration', () => {
  it('reaches states through every new kind within a small bound', () => {
    const cfg = config({
      tasks: [
        { name: 'vmm', vmm: true, cpu: 0 },
        { name: 't', cpu: 1 },
      ],
      vcpus: [{ name: 'g0', vmm: 'vmm', sve: true }],
    });
    const base = fullAlphabet({ user: ['sve'], kvmRun: true, preempt: true });
    const plain = new Explorer(cfg, resolveTable('v6.4', null), base, 'v6.4', null).explore({
      depth: 2,
      atomicPaths: true,
    });
    const races = new Explorer(
      cfg,
      resolveTable('v6.4', null),
      fullAlphabet({
        user: ['sve'],
        kvmRun: true,
        preempt: true,
        kvmExit: true,
        guestZcr: true,
        idle: true,
        deferredSoftirq: true,
      }),
      'v6.4',
      null,
    ).explore({ depth: 2, atomicPaths: true });
    expect(races.distinct).toBeGreaterThan(plain.distinct);
    expect(races.complete).toBe(true);
  });
});
