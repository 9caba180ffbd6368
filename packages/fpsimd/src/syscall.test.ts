import { FPSR_RESET, ZERO } from '@kvmfp/machine';
import { SVCR_SM_MASK, SVCR_ZA_MASK } from '@kvmfp/sysreg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { do_el0_svc, FP_STATE_FPSIMD, fp_user_discard, NO_SYSCALL, point, TIF_SVE } from './index.js';
import { createTestWorld, onCpu, runPath } from './testing.js';
import { enterUser, hasFlag, liveRegs, switchTo, symbolic } from './testing-host.js';

const u = (n: number) => symbolic(1, n);
const values = { V: u(1), Zhi: u(2), P: u(3), FFR: u(4), FPSR: u(5), ZA: u(6), ZT0: u(7) };

describe('fp_user_discard', () => {
  it('zeroes Z above 128 bits, P and FFR of an SVE task and keeps V, FPSR and TIF_SVE', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0, { sve: true, values });
    fp_user_discard();
    expect(liveRegs(w, 0)).toMatchObject({ V: u(1), Zhi: ZERO, P: ZERO, FFR: ZERO, FPSR: u(5) });
    expect(hasFlag(a, TIF_SVE)).toBe(true);
  });

  it('leaves the registers of a task without TIF_SVE alone', () => {
    const w = createTestWorld();
    enterUser(w, w.users[0], 0, { values });
    fp_user_discard();
    expect(liveRegs(w, 0)).toMatchObject(values);
  });

  it('leaves streaming mode (the SVE state resets) but keeps ZA and the saved SVCR', () => {
    const w = createTestWorld({ sme2: true });
    const a = w.users[0];
    enterUser(w, a, 0, { sm: true, za: true, values });
    fp_user_discard();
    expect(liveRegs(w, 0)).toMatchObject({
      svcr: SVCR_ZA_MASK,
      V: ZERO,
      Zhi: ZERO,
      P: ZERO,
      FFR: ZERO,
      FPSR: FPSR_RESET,
      ZA: u(6),
      ZT0: u(7),
    });
    expect(a.thread.svcr).toBe(SVCR_SM_MASK | SVCR_ZA_MASK);
  });

  it('on SME without SVE only leaves streaming mode', () => {
    const w = createTestWorld({ sve: false });
    const a = w.users[0];
    enterUser(w, a, 0, { values });
    a.flags |= 1 << TIF_SVE;
    fp_user_discard();
    expect(liveRegs(w, 0)).toMatchObject({ Zhi: u(2), P: u(3), FFR: u(4) });
  });

  it('does not touch Z above 128 bits at a 128-bit VL (there is none)', () => {
    const w = createTestWorld();
    const a = w.users[0];
    a.thread.vl = [16, 16];
    enterUser(w, a, 0, { sve: true, values });
    w.machine.cpus[0].regs.Zhi = u(9);
    fp_user_discard();
    expect(liveRegs(w, 0)).toMatchObject({ Zhi: u(9), P: ZERO, FFR: ZERO });
  });

  it('discards exactly what the syscall ABI allows, for every shape (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          sve: fc.boolean(),
          sm: fc.boolean(),
          za: fc.boolean(),
          hasSve: fc.boolean(),
          hasSme: fc.boolean(),
        }),
        (s) => {
          if (!s.hasSve && !s.hasSme) return;
          const w = createTestWorld({ sve: s.hasSve, sme: s.hasSme });
          const shape = { sve: s.sve && s.hasSve, sm: s.sm && s.hasSme, za: s.za && s.hasSme, values };
          enterUser(w, w.users[0], 0, shape);
          const before = liveRegs(w, 0);
          fp_user_discard();
          const after = liveRegs(w, 0);
          expect(after.svcr).toBe(before.svcr & ~SVCR_SM_MASK);
          expect(after.ZA).toBe(before.ZA);
          if (shape.sm) {
            expect(after).toMatchObject({ V: ZERO, Zhi: ZERO, P: ZERO, FFR: ZERO, FPSR: FPSR_RESET });
          } else {
            expect([after.V, after.FPSR]).toEqual([before.V, before.FPSR]);
            const flushed = shape.sve;
            expect([after.Zhi, after.P, after.FFR]).toEqual(
              flushed ? [ZERO, ZERO, ZERO] : [before.Zhi, before.P, before.FFR],
            );
          }
          expect(w.kernel.findings).toEqual([]);
        },
      ),
      { numRuns: 64 },
    );
  });
});

describe('do_el0_svc', () => {
  it('discards first, then marks the registers as in a syscall, so a save inside keeps only FPSIMD', () => {
    const w = createTestWorld();
    const a = w.users[0];
    enterUser(w, a, 0, { sve: true, values });
    expect(a.regs.syscallno).toBe(NO_SYSCALL);
    const { result } = runPath(
      do_el0_svc(a.regs, 64, function* (regs) {
        expect(regs.syscallno).toBe(64);
        yield* point('syscall body');
        return 7;
      }),
      () => {
        // Preempted inside the syscall.
        switchTo(w, 0, w.idle[0]);
        switchTo(w, 0, a);
        onCpu(w, 0);
      },
    );
    expect(result).toBe(7);
    expect(a.thread.fp_type).toBe(FP_STATE_FPSIMD);
    expect(a.thread.uw.fpsimd_state.vregs).toBe(u(1));
  });
});
