import { UNKNOWN, ZERO } from '@kvmfp/machine';
import { SVCR_SM_MASK, SVCR_ZA_MASK } from '@kvmfp/sysreg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addFault,
  aarch64_fp_regsets,
  EFAULT,
  EINVAL,
  EIO,
  FP_STATE_FPSIMD,
  FP_STATE_SVE,
  fpr_active,
  newUserMemory,
  NT_ARM_SSVE,
  NT_ARM_SVE,
  NT_ARM_TLS,
  NT_ARM_ZA,
  NT_ARM_ZT,
  NT_PRFPREG,
  peek,
  poke,
  ptrace_regset,
  PTRACE_GETREGSET,
  PTRACE_SETREGSET,
  type RegsetHeader,
  SVE_PT_REGS_FPSIMD,
  SVE_PT_REGS_SVE,
  SVE_PT_SIZE,
  SVE_PT_SVE_FPSR_OFFSET,
  SVE_PT_VL_INHERIT,
  SVE_SIG_REGS_SIZE,
  type task_struct,
  TIF_FOREIGN_FPSTATE,
  TIF_SME,
  TIF_SVE,
  TIF_SVE_VL_INHERIT,
  type UserMemory,
  ZA_PT_SIZE,
  ZA_SIG_REGS_SIZE,
} from './index.js';
import { createTestWorld, onCpu, runPath, type TestWorld } from './testing.js';
import { enterUser, hasFlag, liveRegs, returnToUser, switchTo, symbolic } from './testing-host.js';

const u = (n: number) => symbolic(1, n);
const t = (n: number) => symbolic(4, n);
const BUF = 0x8000;
const values = { V: u(1), Zhi: u(2), P: u(3), FFR: u(4), FPSR: u(5), ZA: u(6), ZT0: u(7) };

/** Target runs on CPU 0 with the given shape, then stops (switched out); the tracer runs on CPU 1. */
function stoppedTarget(w: TestWorld, shape: Parameters<typeof enterUser>[3]): task_struct {
  const target = w.users[0];
  enterUser(w, target, 0, shape);
  switchTo(w, 0, w.idle[0]);
  enterUser(w, w.users[1], 1);
  return target;
}

function getRegset(
  target: task_struct,
  type: number,
  len: number,
): { ret: number; mm: UserMemory; len: number } {
  const mm = newUserMemory();
  const kiov = { iov: { mm, addr: BUF }, iov_len: len };
  const ret = runPath(ptrace_regset(target, PTRACE_GETREGSET, type, kiov)).result;
  return { ret, mm, len: kiov.iov_len };
}

function setRegset(target: task_struct, type: number, mm: UserMemory, len: number): number {
  return runPath(ptrace_regset(target, PTRACE_SETREGSET, type, { iov: { mm, addr: BUF }, iov_len: len }))
    .result;
}

const header = (mm: UserMemory) => peek(mm, BUF, 16, 'header');

function writeHeader(mm: UserMemory, h: Partial<RegsetHeader>) {
  poke(mm, BUF, 16, 'header', { size: 0, max_size: 0, vl: 0, max_vl: 0, flags: 0, ...h });
}

/** The target back on CPU 0 and in user space: what it sees in its registers. */
function resume(w: TestWorld, target: task_struct) {
  switchTo(w, 0, target);
  returnToUser(w, 0);
  return liveRegs(w, 0);
}

describe('NT_PRFPREG', () => {
  it('reads the FPSIMD view, from the SVE buffer when the saved state is SVE', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { sve: true, values });
    const r = getRegset(a, NT_PRFPREG, 528);
    expect(r.ret).toBe(0);
    expect(peek(r.mm, BUF, 512, 'vregs')).toBe(u(1));
    expect(peek(r.mm, BUF + 512, 8, 'fpsr')).toBe(u(5));
    expect(fpr_active(a, aarch64_fp_regsets[0])).toBe(132);
  });

  it('writes V/FPSR: an SVE target keeps SVE format with the other bits zeroed, and reloads', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { sve: true, values });
    const mm = newUserMemory();
    poke(mm, BUF, 512, 'vregs', t(1));
    poke(mm, BUF + 512, 8, 'fpsr', t(2));
    expect(setRegset(a, NT_PRFPREG, mm, 528)).toBe(0);
    expect(hasFlag(a, TIF_FOREIGN_FPSTATE)).toBe(true);
    expect(resume(w, a)).toMatchObject({ V: t(1), Zhi: ZERO, P: ZERO, FFR: ZERO, FPSR: t(2) });
  });

  it('keeps the old values after a short write, and fails on a faulting buffer', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { values });
    const mm = newUserMemory();
    poke(mm, BUF, 512, 'vregs', t(1));
    expect(setRegset(a, NT_PRFPREG, mm, 512)).toBe(0);
    expect(a.thread.uw.fpsimd_state).toEqual({ vregs: t(1), fpsr: u(5) });
    addFault(mm, BUF, BUF + 16);
    expect(setRegset(a, NT_PRFPREG, mm, 528)).toBe(-EFAULT);
    expect(a.thread.uw.fpsimd_state).toEqual({ vregs: t(1), fpsr: u(5) });
  });

  it('refuses a length that is not a whole number of 32-bit words', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, {});
    expect(getRegset(a, NT_PRFPREG, 6).ret).toBe(-EINVAL);
  });
});

describe('NT_ARM_SVE and NT_ARM_SSVE', () => {
  it('reads the SVE registers of an SVE task at its VL', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { sve: true, values });
    a.flags |= 1 << TIF_SVE_VL_INHERIT;
    const r = getRegset(a, NT_ARM_SVE, 4096);
    expect(r.ret).toBe(0);
    expect(header(r.mm)).toEqual({
      size: SVE_PT_SIZE(4, SVE_PT_REGS_SVE),
      max_size: SVE_PT_SIZE(4, SVE_PT_REGS_SVE),
      vl: 64,
      max_vl: 64,
      flags: SVE_PT_REGS_SVE | SVE_PT_VL_INHERIT,
    });
    expect(peek(r.mm, BUF + 16, SVE_SIG_REGS_SIZE(4), 'sve', 4)).toEqual({
      vq: 4,
      zlo: u(1),
      zhi: u(2),
      p: u(3),
      ffr: u(4),
    });
    expect(peek(r.mm, BUF + SVE_PT_SVE_FPSR_OFFSET(4), 8, 'fpsr')).toBe(u(5));
  });

  it('reads an FPSIMD task in the FPSIMD layout, and the inactive SSVE view the same way', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { values });
    for (const type of [NT_ARM_SVE, NT_ARM_SSVE]) {
      const r = getRegset(a, type, 1024);
      expect(header(r.mm).flags).toBe(SVE_PT_REGS_FPSIMD);
      expect(header(r.mm).size).toBe(16 + 528);
      expect(peek(r.mm, BUF + 16, 512, 'vregs')).toBe(u(1));
    }
  });

  it('round-trips: what a tracer reads it can write back unchanged (property over shapes)', () => {
    fc.assert(
      fc.property(fc.record({ sve: fc.boolean(), sm: fc.boolean() }), (s) => {
        const w = createTestWorld();
        const a = stoppedTarget(w, { ...s, values });
        const type = s.sm ? NT_ARM_SSVE : NT_ARM_SVE;
        const r = getRegset(a, type, 16 * 1024);
        const len = Math.ceil(header(r.mm).size / 16) * 16;
        // Write it back to the (stopped) task after scribbling over its saved FPSIMD copy.
        a.thread.uw.fpsimd_state.vregs = t(9);
        expect(setRegset(a, type, r.mm, len)).toBe(0);
        const live = resume(w, a);
        expect(live.V).toBe(u(1));
        expect(live.FPSR).toBe(u(5));
        if (s.sve || s.sm) expect([live.Zhi, live.P]).toEqual([u(2), u(3)]);
      }),
      { numRuns: 16 },
    );
  });

  it('a write in the FPSIMD layout makes the task FPSIMD-only', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { sve: true, values });
    const mm = newUserMemory();
    writeHeader(mm, { vl: 64, flags: SVE_PT_REGS_FPSIMD });
    poke(mm, BUF + 16, 512, 'vregs', t(1));
    poke(mm, BUF + 16 + 512, 8, 'fpsr', t(2));
    expect(setRegset(a, NT_ARM_SVE, mm, 16 + 528)).toBe(0);
    expect(hasFlag(a, TIF_SVE)).toBe(false);
    expect(a.thread.fp_type).toBe(FP_STATE_FPSIMD);
    expect(resume(w, a)).toMatchObject({ V: t(1), FPSR: t(2), Zhi: ZERO });
  });

  it('a header-only SVE write turns SVE on with the current V values', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { values });
    const mm = newUserMemory();
    writeHeader(mm, { vl: 64, flags: SVE_PT_REGS_SVE });
    expect(setRegset(a, NT_ARM_SVE, mm, 16)).toBe(0);
    expect(hasFlag(a, TIF_SVE)).toBe(true);
    expect(a.thread.fp_type).toBe(FP_STATE_SVE);
    expect(resume(w, a)).toMatchObject({ V: u(1), Zhi: ZERO, P: ZERO, FPSR: u(5) });
  });

  it('changes the VL from the header, and refuses data for a VL that was not granted', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { sve: true, values });
    const mm = newUserMemory();
    writeHeader(mm, { vl: 32, flags: SVE_PT_REGS_SVE });
    poke(mm, BUF + 16, SVE_SIG_REGS_SIZE(2), 'sve', { vq: 2, zlo: t(1), zhi: t(2), p: t(3), ffr: t(4) });
    expect(setRegset(a, NT_ARM_SVE, mm, SVE_PT_SIZE(2, SVE_PT_REGS_SVE))).toBe(0);
    expect(a.thread.vl[0]).toBe(32);
    expect(resume(w, a)).toMatchObject({ V: t(1), Zhi: t(2), P: t(3), FFR: t(4) });

    // 48 bytes is a valid VL but not a supported one: 32 is granted and the data is refused.
    const w2 = createTestWorld();
    const b = stoppedTarget(w2, { sve: true, values });
    writeHeader(mm, { vl: 48, flags: SVE_PT_REGS_SVE });
    expect(setRegset(b, NT_ARM_SVE, mm, 512)).toBe(-EIO);
    expect(b.thread.vl[0]).toBe(32);
    expect(hasFlag(b, TIF_FOREIGN_FPSTATE)).toBe(true);
  });

  it('rejects a short header, unknown header flags, and a machine without the feature', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { values });
    const mm = newUserMemory();
    writeHeader(mm, { vl: 64, flags: SVE_PT_REGS_SVE });
    onCpu(w, 1);
    const regset = aarch64_fp_regsets.find((r) => r.core_note_type === NT_ARM_SVE)!;
    const set = regset.set(a, regset, 0, 8, null, { mm, addr: BUF });
    expect(typeof set === 'number' ? set : runPath(set).result).toBe(-EINVAL);
    writeHeader(mm, { vl: 64, flags: 0x8 | SVE_PT_REGS_SVE });
    expect(setRegset(a, NT_ARM_SVE, mm, 16)).toBe(-EINVAL);

    const w2 = createTestWorld({ sve: false });
    const b = stoppedTarget(w2, {});
    expect(getRegset(b, NT_ARM_SVE, 16).ret).toBe(-EINVAL);
  });

  it('an SSVE write puts the task in streaming mode and also sets TIF_SVE', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { sm: true, values });
    const mm = newUserMemory();
    writeHeader(mm, { vl: 32, flags: SVE_PT_REGS_SVE });
    poke(mm, BUF + 16, SVE_SIG_REGS_SIZE(2), 'sve', { vq: 2, zlo: t(1), zhi: t(2), p: t(3), ffr: t(4) });
    expect(setRegset(a, NT_ARM_SSVE, mm, SVE_PT_SIZE(2, SVE_PT_REGS_SVE))).toBe(0);
    expect(a.thread.svcr & SVCR_SM_MASK).toBe(SVCR_SM_MASK);
    expect(hasFlag(a, TIF_SVE)).toBe(true);
    expect(resume(w, a)).toMatchObject({ svcr: SVCR_SM_MASK, V: t(1), Zhi: t(2), P: t(3) });
  });

  it('an SSVE write to a task that never used SME loads at the wrong streaming VL', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { values });
    const mm = newUserMemory();
    writeHeader(mm, { vl: 32, flags: SVE_PT_REGS_SVE });
    poke(mm, BUF + 16, SVE_SIG_REGS_SIZE(2), 'sve', { vq: 2, zlo: t(1), zhi: t(2), p: t(3), ffr: t(4) });
    expect(setRegset(a, NT_ARM_SSVE, mm, SVE_PT_SIZE(2, SVE_PT_REGS_SVE))).toBe(0);
    // No TIF_SME, so the return to user does not set the streaming VL (still the boot 64 bytes)
    // before loading data laid out for 32.
    expect(hasFlag(a, TIF_SME)).toBe(false);
    const live = resume(w, a);
    expect(live.svcr).toBe(SVCR_SM_MASK);
    expect(live.V).toBe(UNKNOWN);
  });
});

describe('NT_ARM_ZA and NT_ARM_ZT', () => {
  it('reads ZA while it is on, and only the header while it is off', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { za: true, values });
    const r = getRegset(a, NT_ARM_ZA, 4096);
    expect(header(r.mm)).toMatchObject({ vl: 32, size: ZA_PT_SIZE(2), max_size: ZA_PT_SIZE(2), max_vl: 64 });
    expect(peek(r.mm, BUF + 16, ZA_SIG_REGS_SIZE(2), 'za', 2)).toEqual({ vq: 2, za: u(6) });

    const w2 = createTestWorld();
    const b = stoppedTarget(w2, { values });
    const r2 = getRegset(b, NT_ARM_ZA, 4096);
    expect(header(r2.mm)).toMatchObject({ vl: 32, size: 16 });
  });

  it('writes ZA (turning SME and ZA on), and a header-only write turns ZA off', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { values });
    const mm = newUserMemory();
    writeHeader(mm, { vl: 32 });
    poke(mm, BUF + 16, ZA_SIG_REGS_SIZE(2), 'za', { vq: 2, za: t(6) });
    expect(setRegset(a, NT_ARM_ZA, mm, ZA_PT_SIZE(2))).toBe(0);
    expect(hasFlag(a, TIF_SME)).toBe(true);
    expect(resume(w, a)).toMatchObject({ svcr: SVCR_ZA_MASK, ZA: t(6), V: u(1) });

    switchTo(w, 0, w.idle[0]);
    onCpu(w, 1);
    expect(setRegset(a, NT_ARM_ZA, mm, 16)).toBe(0);
    expect(resume(w, a).svcr).toBe(0);
  });

  it('refuses ZA data for a streaming VL that was not granted', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { za: true, values });
    const mm = newUserMemory();
    writeHeader(mm, { vl: 48 });
    expect(setRegset(a, NT_ARM_ZA, mm, 1024)).toBe(-EIO);
    expect(a.thread.vl[1]).toBe(32);
  });

  it('reads ZT0 as zero while ZA is off', () => {
    const w = createTestWorld({ sme2: true });
    const a = stoppedTarget(w, { values });
    const r = getRegset(a, NT_ARM_ZT, 64);
    expect(peek(r.mm, BUF, 64, 'zt')).toBe(ZERO);
    const w2 = createTestWorld({ sme2: true });
    const b = stoppedTarget(w2, { za: true, values });
    expect(peek(getRegset(b, NT_ARM_ZT, 64).mm, BUF, 64, 'zt')).toBe(u(7));
  });

  it('a ZT0 write turns ZA on (zeroed) when it was off', () => {
    const w = createTestWorld({ sme2: true, users: 3 });
    const a = stoppedTarget(w, { values });
    a.flags |= 1 << TIF_SME;
    const mm = newUserMemory();
    poke(mm, BUF, 64, 'zt', t(7));
    expect(setRegset(a, NT_ARM_ZT, mm, 64)).toBe(0);
    expect(a.thread.svcr).toBe(SVCR_ZA_MASK);
    // Another task uses FP on CPU 0 first, so a's registers are reloaded from memory.
    switchTo(w, 0, w.users[2]);
    returnToUser(w, 0);
    expect(resume(w, a)).toMatchObject({ svcr: SVCR_ZA_MASK, ZA: ZERO, ZT0: t(7) });
  });

  it('a ZT0 write is lost if the target resumes on the CPU still holding its registers', () => {
    const w = createTestWorld({ sme2: true });
    const a = stoppedTarget(w, { za: true, values });
    const mm = newUserMemory();
    poke(mm, BUF, 64, 'zt', t(7));
    expect(setRegset(a, NT_ARM_ZT, mm, 64)).toBe(0);
    expect(a.thread.sme_state!.zt0).toBe(t(7));
    // Unlike the ZA and SVE setters this one does not flush: nothing else used FP on CPU 0, so
    // the switch back finds a's registers still loaded and keeps the old ZT0.
    expect(hasFlag(a, TIF_FOREIGN_FPSTATE)).toBe(false);
    expect(resume(w, a).ZT0).toBe(u(7));
    // The same happens to the ZA-on of a ZT0 write to a task with ZA off.
    const w2 = createTestWorld({ sme2: true });
    const b = stoppedTarget(w2, { values });
    b.flags |= 1 << TIF_SME;
    expect(setRegset(b, NT_ARM_ZT, mm, 64)).toBe(0);
    expect(b.thread.svcr).toBe(SVCR_ZA_MASK);
    expect(resume(w2, b).svcr).toBe(0);
  });
});

describe('NT_ARM_TLS', () => {
  it('reads TPIDR_EL0 and TPIDR2_EL0, and writes both saved copies', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { tpidr2: u(8) });
    a.thread.uw.tp_value = 0x1234;
    const r = getRegset(a, NT_ARM_TLS, 16);
    expect(peek(r.mm, BUF, 8, 'num')).toBe(0x1234);
    expect(peek(r.mm, BUF + 8, 8, 'tpidr2')).toBe(u(8));

    const mm = newUserMemory();
    poke(mm, BUF, 8, 'num', 0x5678);
    poke(mm, BUF + 8, 8, 'tpidr2', t(8));
    expect(setRegset(a, NT_ARM_TLS, mm, 16)).toBe(0);
    expect(a.thread.uw.tp_value).toBe(0x5678);
    expect(resume(w, a).tpidr2).toBe(t(8));
  });

  it('reads TPIDR2 as zero without SME', () => {
    const w = createTestWorld({ sme: false });
    const a = stoppedTarget(w, {});
    const r = getRegset(a, NT_ARM_TLS, 16);
    expect(peek(r.mm, BUF + 8, 8, 'num')).toBe(0);
  });
});

describe('buffers', () => {
  it('caps a read at the regset size and copies out the untouched tail as zeros', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { values });
    const r = getRegset(a, NT_PRFPREG, 4096);
    expect(r.len).toBe(528);
    expect(r.ret).toBe(0);
    const mm = newUserMemory();
    addFault(mm, BUF, BUF + 16);
    expect(
      runPath(ptrace_regset(a, PTRACE_GETREGSET, NT_PRFPREG, { iov: { mm, addr: BUF }, iov_len: 528 }))
        .result,
    ).toBe(-EFAULT);
  });

  it('a write whose data cuts a register image short leaves that image unknown', () => {
    const w = createTestWorld();
    const a = stoppedTarget(w, { sve: true, values });
    const mm = newUserMemory();
    writeHeader(mm, { vl: 64, flags: SVE_PT_REGS_SVE });
    poke(mm, BUF + 16, SVE_SIG_REGS_SIZE(4), 'sve', { vq: 4, zlo: t(1), zhi: t(2), p: t(3), ffr: t(4) });
    expect(setRegset(a, NT_ARM_SVE, mm, 256)).toBe(0);
    expect(a.thread.sve_state!.zlo).toBe(UNKNOWN);
    expect(a.thread.fp_type).toBe(FP_STATE_SVE);
  });
});
