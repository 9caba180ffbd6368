// Tests of the host events: each drives the ported paths through the entry table and shows the
// ABI outcome in the program's view, the kernel's data and user memory.

import { describe, expect, it } from 'vitest';
import {
  FPSIMD_MAGIC,
  peek,
  SIGFRAME_FIELDS,
  SIGSEGV,
  SVE_PT_REGS_SVE,
  TIF_FOREIGN_FPSTATE,
  TIF_SME,
  TIF_SVE,
  type task_struct,
} from '@kvmfp/fpsimd';
import { formatVal, ZERO } from '@kvmfp/machine';
import { applyEvent, bootstrap, type Event, EventError } from './events.js';
import { frameRecords, TRACER_BUF } from './events-host.js';
import { Explorer } from './explore.js';
import { fullAlphabet } from './explore-config.js';
import { checkInvariants } from './invariants.js';
import { attachVcpus } from './kvm.js';
import { resolveTable } from './revisions.js';
import { Runtime } from './runtime.js';
import { type Scenario, worldConfig } from './scenario.js';
import { getAllowed } from './view.js';
import { createWorld, type UserProgram, type World } from './world.js';

type Machine = Scenario['machine'];

function scenario(tasks: Scenario['tasks'], events: Event[], machine: Machine = { cpus: 2 }): Scenario {
  return { title: 't', claim: 'a host-event test', machine, tasks, events, expect: { violations: [] } };
}

/** Runs a scenario as runScenario does, but keeps the runtime for inspection. */
function drive(s: Scenario): Runtime {
  const cfg = worldConfig(s);
  const rt = new Runtime(createWorld(cfg, 'v6.4', null), resolveTable('v6.4', null), true);
  attachVcpus(rt, cfg);
  bootstrap(rt);
  for (const ev of s.events) {
    rt.record = { event: ev.do, functions: [], moves: [] };
    applyEvent(rt, ev);
    checkInvariants(rt.world);
  }
  return rt;
}

const prog = (w: World, name: string): UserProgram => w.users.find((u) => u.name === name)!;
const task = (w: World, name: string): task_struct => w.kernel.tasks.find((t) => t.comm === name)!;
const violations = (w: World) => w.violations.map((v) => `${v.invariant}: ${v.detail}`);
const val = (w: World, v: number) => formatVal(v, w.writers);

describe('signal delivery and sigreturn', () => {
  it('a round trip gives the interrupted program its registers back', () => {
    const rt = drive(
      scenario(
        [{ name: 'a', cpu: 0 }],
        [
          { do: 'user', task: 'a', op: 'sve' },
          { do: 'user', task: 'a', op: 'smstart_za' },
          { do: 'user', task: 'a', op: 'za' },
          { do: 'signal', task: 'a' },
        ],
      ),
    );
    const w = rt.world;
    const a = prog(w, 'a');
    // In the handler: ZA off (sme.rst section 5), one frame, and the frame holds the context.
    expect(a.frames).toHaveLength(1);
    expect(a.view.za).toBe(false);
    expect(w.machine.cpus[0].sys.svcr).toBe(0);
    const recs = frameRecords(a.mm, a.frames[0].frame);
    expect(peek(a.mm, recs.fpsimd!, 4, 'num')).toBe(FPSIMD_MAGIC);
    expect(val(w, peek(a.mm, recs.fpsimd! + SIGFRAME_FIELDS.fpsimd_vregs.off, 512, 'vregs'))).toBe('a#1');
    expect(recs.sve).toBeDefined();
    expect(recs.za).toBeDefined();
    // The stack pointer moved down to the frame.
    const regs = task(w, 'a').regs as unknown as { sp: number };
    expect(regs.sp).toBe(a.frames[0].frame);
    const spBefore = a.frames[0].sp;

    for (const ev of [
      { do: 'user', task: 'a', op: 'fpsimd' },
      { do: 'user', task: 'a', op: 'sve' },
      { do: 'sigreturn', task: 'a' },
      { do: 'user', task: 'a', op: 'sve', check: true },
      { do: 'user', task: 'a', op: 'za', check: true },
    ] as Event[]) {
      applyEvent(rt, ev);
      checkInvariants(w);
    }
    expect(violations(w)).toEqual([]);
    expect(a.frames).toHaveLength(0);
    expect(regs.sp).toBe(spBefore);
    const c = w.machine.cpus[0];
    expect(val(w, c.regs.V)).toBe('a#1');
    expect(val(w, c.regs.ZA)).toBe('a#3');
    expect(c.sys.svcr).toBe(2);
  });

  it('a handler that rewrites V in fpsimd_context gets the new V on return', () => {
    const rt = drive(
      scenario(
        [{ name: 'a', cpu: 0 }],
        [
          { do: 'user', task: 'a', op: 'sve' },
          { do: 'signal', task: 'a' },
          { do: 'sigreturn', task: 'a', edit: 'set_v' },
          { do: 'user', task: 'a', op: 'sve', check: true },
        ],
      ),
    );
    expect(violations(rt.world)).toEqual([]);
    expect(val(rt.world, rt.world.machine.cpus[0].regs.V)).toBe('a#2');
  });

  for (const edit of ['wrong_vl', 'drop_fpsimd', 'bad_magic', 'truncate'] as const) {
    it(`a frame with edit ${edit} is refused with SIGSEGV, which the task takes in its handler`, () => {
      const rt = drive(
        scenario(
          [{ name: 'a', cpu: 0 }],
          [
            { do: 'user', task: 'a', op: 'sve' },
            { do: 'signal', task: 'a' },
            { do: 'sigreturn', task: 'a', edit },
          ],
        ),
      );
      const w = rt.world;
      const a = prog(w, 'a');
      expect(violations(w)).toEqual([]);
      expect(w.kernel.findings.map((f) => `${f.kind} ${f.where}: ${f.detail}`)).toEqual([
        `signal arm64_notify_segfault: signal ${SIGSEGV}`,
      ]);
      expect(a.signals).toEqual([SIGSEGV]);
      expect(a.frames.map((f) => f.sig)).toEqual([SIGSEGV]);
      expect(a.mode).toBe('user');
    });
  }

  it('a signal to a task running a guest kicks it out of KVM_RUN and is delivered', () => {
    const s = scenario(
      [{ name: 'vmm', vmm: true, cpu: 0 }],
      [
        { do: 'user', task: 'vmm', op: 'fpsimd' },
        { do: 'kvm_run', task: 'vmm' },
        { do: 'guest', vcpu: 'g0', op: 'fpsimd' },
        { do: 'signal', task: 'vmm' },
        { do: 'user', task: 'vmm', op: 'fpsimd', check: true },
        { do: 'sigreturn', task: 'vmm' },
        { do: 'user', task: 'vmm', op: 'fpsimd', check: true },
      ],
      { cpus: 1 },
    );
    s.vcpus = [{ name: 'g0', vmm: 'vmm', sve: false }];
    const rt = drive(s);
    expect(violations(rt.world)).toEqual([]);
    expect(prog(rt.world, 'vmm').mode).toBe('user');
    expect(rt.world.machine.cpus[0].world).toBe('host');
  });

  it('sigreturn outside a handler is not an event the task can take', () => {
    const rt = drive(scenario([{ name: 'a', cpu: 0 }], []));
    expect(() => applyEvent(rt, { do: 'sigreturn', task: 'a' })).toThrow(EventError);
  });
});

describe('ptrace', () => {
  const tasks = [
    { name: 'a', cpu: 0 },
    { name: 'dbg', cpu: 1 },
  ];

  it('a stop takes the target off its CPU; only then can a tracer read it', () => {
    const rt = drive(scenario(tasks, [{ do: 'user', task: 'a', op: 'fpsimd' }]));
    expect(() => applyEvent(rt, { do: 'ptrace_get', tracer: 'dbg', task: 'a', regset: 'fpr' })).toThrow(
      EventError,
    );
    applyEvent(rt, { do: 'ptrace_stop', task: 'a' });
    const w = rt.world;
    expect(prog(w, 'a').stop).toBe('signal');
    expect(prog(w, 'a').kpath).toBe('ptrace_stop:schedule');
    expect(w.kernel.percpu[0].current.comm).toBe('swapper/0');
    applyEvent(rt, { do: 'ptrace_get', tracer: 'dbg', task: 'a', regset: 'fpr' });
    checkInvariants(w);
    expect(violations(w)).toEqual([]);
    expect(val(w, peek(prog(w, 'dbg').mm, TRACER_BUF, 512, 'vregs'))).toBe('a#1');
  });

  it('a set then a get returns what the tracer wrote, and the target resumes with it', () => {
    const rt = drive(
      scenario(tasks, [
        { do: 'user', task: 'a', op: 'sve' },
        { do: 'ptrace_stop', task: 'a' },
        { do: 'ptrace_set', tracer: 'dbg', task: 'a', regset: 'sve' },
        { do: 'ptrace_get', tracer: 'dbg', task: 'a', regset: 'sve' },
      ]),
    );
    const w = rt.world;
    const header = peek(prog(w, 'dbg').mm, TRACER_BUF, 16, 'header');
    expect(header.flags & SVE_PT_REGS_SVE).toBe(SVE_PT_REGS_SVE);
    expect(header.size).toBeGreaterThan(16);
    applyEvent(rt, { do: 'ptrace_set', tracer: 'dbg', task: 'a', regset: 'za' });
    applyEvent(rt, { do: 'ptrace_get', tracer: 'dbg', task: 'a', regset: 'za' });
    checkInvariants(w);
    expect(violations(w)).toEqual([]);
    const a = task(w, 'a');
    expect(a.flags & (1 << TIF_FOREIGN_FPSTATE)).not.toBe(0);
    expect(a.flags & (1 << TIF_SME)).not.toBe(0);
    expect(getAllowed(prog(w, 'a').view, 'ZA')).toEqual([a.thread.sme_state!.za]);
    applyEvent(rt, { do: 'ptrace_cont', task: 'a' });
    applyEvent(rt, { do: 'user', task: 'a', op: 'sve', check: true });
    applyEvent(rt, { do: 'user', task: 'a', op: 'za', check: true });
    checkInvariants(w);
    expect(violations(w)).toEqual([]);
    expect(writerName(w, w.machine.cpus[0].regs.V)).toBe('dbg');
    expect(writerName(w, w.machine.cpus[0].regs.ZA)).toBe('dbg');
  });
});

function writerName(w: World, v: number): string {
  return val(w, v).split('#')[0];
}

describe('prctl', () => {
  it('an SVE VL change keeps V; the next SVE use runs at the new length', () => {
    const rt = drive(
      scenario(
        [{ name: 'a', cpu: 0 }],
        [
          { do: 'user', task: 'a', op: 'fpsimd' },
          { do: 'prctl', task: 'a', op: 'sve_set_vl', vl: 32 },
          { do: 'user', task: 'a', op: 'fpsimd', check: true },
          { do: 'user', task: 'a', op: 'sve' },
          { do: 'user', task: 'a', op: 'sve', check: true },
        ],
        { cpus: 1 },
      ),
    );
    const w = rt.world;
    expect(violations(w)).toEqual([]);
    const a = task(w, 'a');
    expect(a.thread.vl[0]).toBe(32);
    expect(a.thread.sve_state).not.toBeNull();
    expect(a.flags & (1 << TIF_SVE)).not.toBe(0);
  });

  it('an SME VL change clears PSTATE.SM and PSTATE.ZA', () => {
    const rt = drive(
      scenario(
        [{ name: 'a', cpu: 0 }],
        [
          { do: 'user', task: 'a', op: 'smstart' },
          { do: 'user', task: 'a', op: 'za' },
          { do: 'prctl', task: 'a', op: 'sme_set_vl', vl: 16 },
        ],
        { cpus: 1 },
      ),
    );
    const w = rt.world;
    expect(violations(w)).toEqual([]);
    expect(task(w, 'a').thread.vl[1]).toBe(16);
    expect(prog(w, 'a').view.za).toBe(false);
    expect(w.machine.cpus[0].sys.svcr).toBe(0);
  });

  it('finding: an SVE VL change with ZA on frees the buffer streaming mode still needs', () => {
    // The first context switch in streaming mode saves to a NULL sve_state: the kernel oopses.
    const rt = drive(
      scenario(
        [
          { name: 'a', cpu: 0 },
          { name: 'dbg', cpu: 1 },
        ],
        [
          { do: 'user', task: 'a', op: 'smstart_za' },
          { do: 'prctl', task: 'a', op: 'sve_set_vl', vl: 32 },
          { do: 'user', task: 'a', op: 'smstart_sm' },
          { do: 'user', task: 'a', op: 'ssve' },
          { do: 'ptrace_stop', task: 'a' },
        ],
      ),
    );
    expect(rt.dead).toMatch(/NULL dereference: sve_state/);
  });
});

describe('fork and exec', () => {
  it('the child is a copy with SM clear, ZA its own, and runs once a CPU takes it', () => {
    const rt = drive(
      scenario(
        [
          { name: 'a', cpu: 0 },
          { name: 'c', unborn: true },
        ],
        [
          { do: 'user', task: 'a', op: 'smstart' },
          { do: 'user', task: 'a', op: 'za' },
        ],
      ),
    );
    const w = rt.world;
    expect(prog(w, 'c').mode).toBe('unborn');
    expect(() => applyEvent(rt, { do: 'preempt', cpu: 1, next: 'c' })).toThrow(EventError);
    applyEvent(rt, { do: 'fork', task: 'a', child: 'c' });
    const parent = task(w, 'a');
    const child = task(w, 'c');
    expect(child).not.toBe(parent);
    expect(child.pid).toBe(prog(w, 'c').pid);
    expect(child.flags & (1 << TIF_SVE)).toBe(0);
    expect(child.flags & (1 << TIF_FOREIGN_FPSTATE)).not.toBe(0);
    expect(child.thread.sme_state).not.toBe(parent.thread.sme_state);
    expect(child.thread.sme_state?.za).toBe(parent.thread.sme_state?.za);
    expect(prog(w, 'c').view.sm).toBe(false);
    expect(prog(w, 'c').view.za).toBe(true);
    expect(w.runq).toContain(child.pid);
    applyEvent(rt, { do: 'preempt', cpu: 1, next: 'c' });
    applyEvent(rt, { do: 'user', task: 'c', op: 'za', check: true });
    checkInvariants(w);
    expect(violations(w)).toEqual([]);
    expect(w.machine.cpus[1].sys.svcr).toBe(2);
    expect(() => applyEvent(rt, { do: 'fork', task: 'a', child: 'c' })).toThrow(EventError);
  });

  it('exec resets the registers, drops SVE and SME state, and applies the on-exec VLs', () => {
    const rt = drive(
      scenario(
        [{ name: 'a', cpu: 0 }],
        [
          { do: 'prctl', task: 'a', op: 'sve_set_vl', vl: 16, onexec: true },
          { do: 'user', task: 'a', op: 'sve' },
          { do: 'user', task: 'a', op: 'smstart' },
          { do: 'user', task: 'a', op: 'za' },
          { do: 'signal', task: 'a' },
          { do: 'exec', task: 'a' },
        ],
        { cpus: 1 },
      ),
    );
    const w = rt.world;
    expect(violations(w)).toEqual([]);
    const a = task(w, 'a');
    expect(a.thread.vl[0]).toBe(16);
    expect(a.thread.sve_state).toBeNull();
    expect(a.thread.sme_state).toBeNull();
    expect(a.thread.svcr).toBe(0);
    expect(prog(w, 'a').frames).toEqual([]);
    expect(w.machine.cpus[0].regs.V).toBe(ZERO);
    expect(w.machine.cpus[0].sys.svcr).toBe(0);
  });
});

describe('nVHE host traps to EL2', () => {
  it('the hypervisor handles the host kernel SVE trap at vcpu put, so the VMM runs SVE untrapped', () => {
    const s = scenario(
      [{ name: 'vmm', vmm: true, cpu: 0 }],
      [
        { do: 'user', task: 'vmm', op: 'sve' },
        { do: 'kvm_run', task: 'vmm' },
        { do: 'guest', vcpu: 'g0', op: 'sve' },
        { do: 'guest_exit', vcpu: 'g0' },
        { do: 'kick', task: 'vmm' },
      ],
      { cpus: 1, features: { vhe: false, sme: false } },
    );
    s.vcpus = [{ name: 'g0', vmm: 'vmm', sve: true }];
    const rt = drive(s);
    // kvm_arch_vcpu_put_fp reads the guest's ZCR_EL1 with CPTR_EL2.TZ still set: that MRS traps
    // to the hypervisor (handle_trap clears TZ) before the VMM is back in user space.
    expect(rt.record?.functions).toEqual(
      expect.arrayContaining(['kvm_arch_vcpu_put_fp', '__kvm_hyp_host_vector_sync', 'handle_trap']),
    );
    rt.record = { event: 'user', functions: [], moves: [] };
    applyEvent(rt, { do: 'user', task: 'vmm', op: 'sve' });
    checkInvariants(rt.world);
    expect(violations(rt.world)).toEqual([]);
    expect(rt.record.functions).not.toContain('handle_trap');
    expect(val(rt.world, rt.world.machine.cpus[0].regs.V)).toBe('vmm#2');
  });
});

describe('explorer alphabet', () => {
  it('offers the host events behind their flags and finds the streaming signal-frame finding', () => {
    const cfg = worldConfig(
      scenario(
        [
          { name: 'a', cpu: 0 },
          { name: 'b', cpu: 1 },
          { name: 'c', unborn: true },
        ],
        [],
      ),
    );
    const table = resolveTable('v6.4', null);
    const off = new Explorer(cfg, table, fullAlphabet({}), 'v6.4', null);
    const on = new Explorer(
      cfg,
      table,
      fullAlphabet({ signal: true, ptrace: true, prctl: true, fork: true, exec: true }),
      'v6.4',
      null,
    );
    const w = off.rebuild(off.initial()).world;
    expect(off.candidates(w)).toEqual([]);
    const kinds = new Set(on.candidates(w).map((e) => e.do));
    expect([...kinds].sort()).toEqual(['exec', 'fork', 'prctl', 'ptrace_stop', 'signal']);

    const streaming = new Explorer(
      worldConfig(scenario([{ name: 'a', cpu: 0 }], [], { cpus: 1 })),
      table,
      fullAlphabet({ user: ['smstart_sm', 'ssve'], signal: true }),
      'v6.4',
      null,
    );
    const r = streaming.explore({ depth: 3, maxViolations: 1, atomicPaths: true });
    expect(r.violations[0]?.invariant).toBe('signal-frame-holds-context');
  });
});
