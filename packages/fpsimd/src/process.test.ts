import { ZERO } from '@kvmfp/machine';
import { SVCR_SM_MASK, SVCR_ZA_MASK } from '@kvmfp/sysreg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  arch_dup_task_struct,
  arch_release_task_struct,
  CLONE_SETTLS,
  copy_thread,
  ENOMEM,
  flush_thread,
  FP_STATE_FPSIMD,
  FP_STATE_SVE,
  KernelBug,
  newUserMemory,
  NR_CPUS,
  poke,
  ptrace_regset,
  PTRACE_SETREGSET,
  NT_ARM_SSVE,
  NT_ARM_SVE,
  SVE_PT_REGS_SVE,
  SVE_PT_SIZE,
  SVE_SIG_REGS_SIZE,
  type task_struct,
  TIF_FOREIGN_FPSTATE,
  TIF_SME,
  TIF_SVE,
} from './index.js';
import { createTestWorld, findingsOf, newTask, onCpu, runPath, type TestWorld } from './testing.js';
import {
  enterUser,
  hasFlag,
  liveRegs,
  returnToUser,
  switchTo,
  symbolic,
  syscallEntry,
} from './testing-host.js';

const u = (n: number) => symbolic(1, n);
const t = (n: number) => symbolic(4, n);
const values = { V: u(1), Zhi: u(2), P: u(3), FFR: u(4), FPSR: u(5), ZA: u(6), ZT0: u(7) };
const NR_CLONE = 220;

/** fork() by the task current on `cpu`, from inside the clone syscall: the child is not yet running. */
function fork(w: TestWorld, cpu: number, flags = 0, tls = 0): { child: task_struct; ret: number } {
  onCpu(w, cpu);
  const parent = w.kernel.percpu[cpu].current;
  const child = newTask(200 + w.kernel.tasks.length, true, cpu, [0, 0]);
  let ret = runPath(arch_dup_task_struct(child, parent)).result;
  if (ret === 0) {
    child.pid = 200 + w.kernel.tasks.length;
    ret = copy_thread(child, { flags, stack: 0, tls });
    w.kernel.tasks.push(child);
  }
  return { child, ret };
}

describe('fork (arch_dup_task_struct, copy_thread)', () => {
  it('copies FPSIMD state and drops SVE: no buffer, no TIF_SVE, FPSIMD format', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0, { sve: true, values, tpidr2: u(8) });
    syscallEntry(w, 0, NR_CLONE);
    const { child, ret } = fork(w, 0);
    expect(ret).toBe(0);
    expect(child.thread.uw.fpsimd_state).toEqual({ vregs: u(1), fpsr: u(5) });
    expect(child.thread.uw.fpsimd_state).not.toBe(a.thread.uw.fpsimd_state);
    expect(child.thread.sve_state).toBeNull();
    expect(hasFlag(child, TIF_SVE)).toBe(false);
    expect(child.thread.fp_type).toBe(FP_STATE_FPSIMD);
    expect(hasFlag(child, TIF_FOREIGN_FPSTATE)).toBe(true);
    expect(child.thread.fpsimd_cpu).toBe(NR_CPUS);
    expect(child.thread.tpidr2_el0).toBe(u(8));
    // The parent keeps its SVE buffer and flag.
    expect(a.thread.sve_state).not.toBeNull();
    expect(hasFlag(a, TIF_SVE)).toBe(true);

    // The child runs: it sees the parent's V and FPSR, and zero above.
    switchTo(w, 1, child);
    returnToUser(w, 1);
    expect(liveRegs(w, 1)).toMatchObject({ V: u(1), Zhi: ZERO, FPSR: u(5), tpidr2: u(8) });
  });

  it('keeps ZA and ZT0 in a copy of sme_state, with a fresh zeroed SVE buffer beside it', () => {
    const w = createTestWorld({ sme2: true });
    const a = w.users[0];
    enterUser(w, a, 0, { za: true, values });
    syscallEntry(w, 0, NR_CLONE);
    const { child, ret } = fork(w, 0);
    expect(ret).toBe(0);
    expect(child.thread.sme_state).not.toBe(a.thread.sme_state);
    expect(child.thread.sme_state).toMatchObject({ za: u(6), zt0: u(7) });
    expect(child.thread.sve_state).not.toBeNull();
    expect(child.thread.sve_state).not.toBe(a.thread.sve_state);
    expect(child.thread.sve_state).toMatchObject({ zlo: ZERO, layoutVq: 0 });
    expect(hasFlag(child, TIF_SME)).toBe(true);
    expect(child.thread.svcr).toBe(SVCR_ZA_MASK);

    switchTo(w, 1, child);
    returnToUser(w, 1);
    expect(liveRegs(w, 1)).toMatchObject({ svcr: SVCR_ZA_MASK, ZA: u(6), ZT0: u(7), V: u(1) });
  });

  it('drops SME state when ZA is off', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0, { za: true, values });
    w.machine.cpus[0].sys.svcr = 0;
    syscallEntry(w, 0, NR_CLONE);
    const { child } = fork(w, 0);
    expect(child.thread.sme_state).toBeNull();
    expect(hasFlag(child, TIF_SME)).toBe(false);
    expect(child.thread.svcr).toBe(0);
  });

  it('fails with -ENOMEM when the child buffers cannot be allocated', () => {
    for (const failing of ['sve_state', 'sme_state']) {
      const w = createTestWorld();
      const a = w.users[0];
      enterUser(w, a, 0, { za: true, values });
      syscallEntry(w, 0, NR_CLONE);
      const child = newTask(300, true, 0, [0, 0]);
      // Make the SVE buffer allocation fail, or the sme_state copy after it.
      if (failing === 'sve_state') w.kernel.allocFailures = 1;
      const { result, points } = runPath(arch_dup_task_struct(child, a), (label) => {
        if (failing === 'sme_state' && label === 'arch_dup_task_struct:after sve_state kzalloc')
          w.kernel.allocFailures = 1;
      });
      expect(result).toBe(-ENOMEM);
      expect(child.thread.sve_state).toBeNull();
      expect(points.at(-1)).toBe(
        `arch_dup_task_struct:after ${failing === 'sve_state' ? 'sve_state kzalloc' : 'sme_state kmemdup'}`,
      );
    }
  });

  it('takes TPIDR2 from the register, and resets it with CLONE_SETTLS', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0, { tpidr2: u(8) });
    a.thread.tpidr2_el0 = ZERO;
    syscallEntry(w, 0, NR_CLONE);
    expect(fork(w, 0).child.thread.tpidr2_el0).toBe(u(8));
    const { child } = fork(w, 0, CLONE_SETTLS, 0x7000);
    expect(child.thread.tpidr2_el0).toBe(0);
    expect(child.thread.uw.tp_value).toBe(0x7000);
  });

  it('never shares a buffer between parent and child, for any shape (property)', () => {
    fc.assert(
      fc.property(fc.record({ sve: fc.boolean(), za: fc.boolean() }), (s) => {
        const w = createTestWorld();
        const a = w.users[0];
        enterUser(w, a, 0, { ...s, values });
        syscallEntry(w, 0, NR_CLONE);
        const { child } = fork(w, 0);
        if (child.thread.sve_state) expect(child.thread.sve_state).not.toBe(a.thread.sve_state);
        if (child.thread.sme_state) expect(child.thread.sme_state).not.toBe(a.thread.sme_state);
        expect(child.thread.fp_type).toBe(FP_STATE_FPSIMD);
        expect(child.thread.uw.fpsimd_state.vregs).toBe(u(1));
        expect(w.kernel.findings).toEqual([]);
      }),
      { numRuns: 16 },
    );
  });
});

describe('exec (flush_thread)', () => {
  it('resets FP state, SVE/SME flags, buffers, SVCR, VLs and TPIDR2', () => {
    const w = createTestWorld({ sme2: true });
    const a = w.users[0];
    a.thread.vl = [32, 16];
    a.thread.vl_onexec = [0, 0];
    enterUser(w, a, 0, { sve: true, za: true, values, tpidr2: u(8) });
    syscallEntry(w, 0, 221);
    runPath(flush_thread());
    expect(a.thread.uw.fpsimd_state).toEqual({ vregs: ZERO, fpsr: ZERO });
    expect(a.thread.sve_state).toBeNull();
    expect(a.thread.sme_state).toBeNull();
    expect(hasFlag(a, TIF_SVE) || hasFlag(a, TIF_SME)).toBe(false);
    expect(a.thread.svcr).toBe(0);
    expect(a.thread.fp_type).toBe(FP_STATE_FPSIMD);
    expect(a.thread.vl).toEqual(w.kernel.default_vl);
    expect(liveRegs(w, 0).tpidr2).toBe(0);
    returnToUser(w, 0);
    expect(liveRegs(w, 0)).toMatchObject({ V: ZERO, FPSR: ZERO, svcr: 0, tpidr2: 0 });
  });
});

describe('context switch (__switch_to)', () => {
  it('saves the outgoing FP state and TPIDR2, loads the incoming TPIDR2, and changes current', () => {
    const w = createTestWorld();
    const [a, b] = w.users;
    enterUser(w, b, 0, { tpidr2: u(18), values: { V: u(11) } });
    switchTo(w, 0, w.idle[0]);
    enterUser(w, a, 0, { values, tpidr2: u(8) });
    switchTo(w, 0, b);
    expect(w.kernel.percpu[0].current).toBe(b);
    expect(a.thread.uw.fpsimd_state.vregs).toBe(u(1));
    expect(a.thread.tpidr2_el0).toBe(u(8));
    expect(liveRegs(w, 0).tpidr2).toBe(u(18));
    expect(hasFlag(b, TIF_FOREIGN_FPSTATE)).toBe(true);
    returnToUser(w, 0);
    expect(liveRegs(w, 0).V).toBe(u(11));
  });

  it('frees a dead task’s buffers', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0, { sve: true, za: true, values });
    switchTo(w, 0, w.idle[0]);
    arch_release_task_struct(a);
    expect(a.thread.sve_state).toBeNull();
    expect(a.thread.sme_state).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------
// v6.4 behaviour around fork that looks unintended.

/** The parent stops at syscall entry of clone (a ptrace stop): it is switched out on CPU 0. */
function stopAtSyscallEntry(w: TestWorld) {
  syscallEntry(w, 0, NR_CLONE);
  switchTo(w, 0, w.idle[0]);
  enterUser(w, w.users[1], 1);
}

function tracerWrites(a: task_struct, type: number, vl: number, vq: number) {
  const mm = newUserMemory();
  poke(mm, 0x8000, 16, 'header', { size: 0, max_size: 0, vl, max_vl: 0, flags: SVE_PT_REGS_SVE });
  poke(mm, 0x8010, SVE_SIG_REGS_SIZE(vq), 'sve', { vq, zlo: t(1), zhi: t(2), p: t(3), ffr: t(4) });
  const kiov = { iov: { mm, addr: 0x8000 }, iov_len: SVE_PT_SIZE(vq, SVE_PT_REGS_SVE) };
  expect(runPath(ptrace_regset(a, PTRACE_SETREGSET, type, kiov)).result).toBe(0);
}

describe('v6.4 behaviour worth knowing', () => {
  it('a child forked after a tracer wrote SVE registers gets the pre-ptrace V values', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0, { values });
    stopAtSyscallEntry(w);
    tracerWrites(a, NT_ARM_SVE, 64, 4);
    switchTo(w, 0, a);
    const { child } = fork(w, 0);
    // The parent's registers are in SVE format in sve_state; the child copies the stale FPSIMD copy.
    expect(a.thread.fp_type).toBe(FP_STATE_SVE);
    expect(child.thread.uw.fpsimd_state.vregs).toBe(u(1));
    returnToUser(w, 0);
    expect(liveRegs(w, 0).V).toBe(t(1));
  });

  it('a child forked after a tracer set streaming mode inherits SM with no SVE buffer', () => {
    for (const smeVl of [32, 64]) {
      const w = createTestWorld();
      const a = w.users[0];
      enterUser(w, a, 0, { values });
      stopAtSyscallEntry(w);
      tracerWrites(a, NT_ARM_SSVE, smeVl, smeVl / 16);
      switchTo(w, 0, a);
      const { child } = fork(w, 0);
      expect(child.thread.svcr & SVCR_SM_MASK).toBe(SVCR_SM_MASK);
      expect(child.thread.fp_type).toBe(FP_STATE_FPSIMD);
      expect(child.thread.sve_state).toBeNull();
      // The child runs in streaming mode (without TIF_SME, so at whatever streaming VL the CPU
      // has: the boot maximum, 64 bytes). Its first save either finds the VL wrong (WARN and
      // SIGKILL) or, when the VLs agree, has no buffer to save the streaming registers into.
      switchTo(w, 1, child);
      returnToUser(w, 1);
      expect(liveRegs(w, 1).svcr & SVCR_SM_MASK).toBe(SVCR_SM_MASK);
      if (smeVl === 32) {
        switchTo(w, 1, w.idle[1]);
        expect(findingsOf(w)).toEqual(['WARN:fpsimd_save:WARN_ON', 'signal:fpsimd_save:signal 9']);
      } else {
        expect(() => switchTo(w, 1, w.idle[1])).toThrow(KernelBug);
        expect(findingsOf(w).some((f) => f.startsWith('fault:'))).toBe(true);
      }
    }
  });
});
