import type { cpu_fp_state } from './v6.4/types.js';
import { symbolic, thisCpu, ZERO } from '@kvmfp/machine';
import {
  CPACR_EL1_SMEN_EL0EN,
  CPACR_EL1_ZEN_EL0EN,
  esr_make,
  ESR_ELx_FP_EXC_TFV,
  ESR_ELx_EC_SME,
  ESR_ELx_SME_ISS_SM_DISABLED,
  ESR_ELx_SME_ISS_SME_DISABLED,
  read_sysreg,
  read_sysreg_s,
  SMCR_ELx_LEN_MASK,
  SVCR_SM_MASK,
  SVCR_ZA_MASK,
  SYS_SMCR_EL1,
  SYS_SVCR,
  SYS_ZCR_EL1,
  write_sysreg_s,
  ZCR_ELx_LEN_MASK,
} from '@kvmfp/sysreg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createTestWorld,
  findingsOf,
  onCpu,
  runPath,
  setCurrent,
  type TestWorld,
  userWrites,
} from './testing.js';
import {
  ARM64_VEC_SME,
  ARM64_VEC_SVE,
  do_fpsimd_exc,
  do_sme_acc,
  do_sve_acc,
  find_supported_vector_length,
  FP_STATE_CURRENT,
  FP_STATE_FPSIMD,
  FP_STATE_SVE,
  fpsimd_bind_state_to_cpu,
  fpsimd_bind_task_to_cpu,
  fpsimd_cpu_dead,
  fpsimd_flush_task_state,
  fpsimd_flush_thread,
  fpsimd_kvm_prepare,
  fpsimd_restore_current_state,
  fpsimd_save,
  fpsimd_save_and_flush_cpu_state,
  fpsimd_signal_preserve_current_state,
  fpsimd_thread_switch,
  get_cpu_fpsimd_context,
  kernel_neon_begin,
  kernel_neon_end,
  KernelBug,
  may_use_simd,
  NO_SYSCALL,
  NR_CPUS,
  put_cpu_fpsimd_context,
  sme_alloc,
  sve_alloc,
  sve_set_current_vl,
  sme_set_current_vl,
  type task_struct,
  TIF_FOREIGN_FPSTATE,
  TIF_SME,
  TIF_SVE,
  vec_set_vector_length,
  PR_SVE_SET_VL_ONEXEC,
} from './index.js';

const has = (t: task_struct, flag: number) => (t.flags & (1 << flag)) !== 0;
const setFlag = (t: task_struct, flag: number, on: boolean) => {
  if (on) t.flags |= 1 << flag;
  else t.flags &= ~(1 << flag);
};
const user = (n: number) => symbolic(1, n);
const mem = (n: number) => symbolic(2, n);

/** A context switch on the bound CPU: the scheduler runs it with preemption off. */
function switchTo(w: TestWorld, cpu: number, next: task_struct) {
  w.kernel.percpu[cpu].preempt_count++;
  fpsimd_thread_switch(next);
  w.kernel.percpu[cpu].preempt_count--;
}

const el0Bits = () => read_sysreg('cpacr_el1') & (CPACR_EL1_ZEN_EL0EN | CPACR_EL1_SMEN_EL0EN);

describe('fpsimd_save', () => {
  it('saves exactly the banks the bound state, the flags, the syscall and SVCR call for', () => {
    fc.assert(
      fc.property(
        fc.record({
          toSave: fc.constantFrom(FP_STATE_CURRENT, FP_STATE_FPSIMD, FP_STATE_SVE),
          tifSve: fc.boolean(),
          inSyscall: fc.boolean(),
          sme: fc.boolean(),
          sm: fc.boolean(),
          za: fc.boolean(),
          fa64: fc.boolean(),
          sme2: fc.boolean(),
          vhe: fc.boolean(),
        }),
        (p) => {
          const sm = p.sme && p.sm;
          const za = p.sme && p.za;
          const w = createTestWorld({ sme: p.sme, fa64: p.fa64 && p.sme, sme2: p.sme2 && p.sme, vhe: p.vhe });
          const a = w.users[0];
          a.thread.vl = [32, 64];
          setCurrent(w, a, 0);
          sve_alloc(a, true);
          if (p.sme) sme_alloc(a);
          setFlag(a, TIF_SVE, p.tifSve);
          setFlag(a, TIF_SME, sm || za);
          a.regs.syscallno = p.inSyscall ? 64 : NO_SYSCALL;

          get_cpu_fpsimd_context();
          fpsimd_bind_task_to_cpu();
          put_cpu_fpsimd_context();
          w.kernel.percpu[0].fpsimd_last_state.to_save = p.toSave;
          setFlag(a, TIF_FOREIGN_FPSTATE, false);
          const svcr = (sm ? SVCR_SM_MASK : 0) | (za ? SVCR_ZA_MASK : 0);
          if (p.sme) write_sysreg_s(svcr, SYS_SVCR);
          write_sysreg_s((read_sysreg_s(SYS_ZCR_EL1) & ~ZCR_ELx_LEN_MASK) | 1, SYS_ZCR_EL1);
          if (p.sme) write_sysreg_s((read_sysreg_s(SYS_SMCR_EL1) & ~SMCR_ELx_LEN_MASK) | 3, SYS_SMCR_EL1);
          userWrites(w, 0);

          get_cpu_fpsimd_context();
          fpsimd_save();
          put_cpu_fpsimd_context();

          const saveSve =
            (p.toSave === FP_STATE_CURRENT && p.tifSve && !p.inSyscall) || p.toSave === FP_STATE_SVE || sm;
          const st = a.thread.uw.fpsimd_state;
          const sve = a.thread.sve_state!;
          expect(w.kernel.findings).toEqual([]);
          expect(st.fpsr).toBe(user(7));
          if (saveSve) {
            expect(sve).toMatchObject({ zlo: user(1), zhi: user(2), p: user(3), layoutVq: sm ? 4 : 2 });
            expect(sve.ffr).toBe(!sm || p.fa64 ? user(4) : ZERO);
            expect(st.vregs).toBe(ZERO);
            expect(a.thread.fp_type).toBe(FP_STATE_SVE);
          } else {
            expect(st.vregs).toBe(user(1));
            expect(sve).toMatchObject({ zlo: ZERO, zhi: ZERO, p: ZERO, ffr: ZERO, layoutVq: 0 });
            expect(a.thread.fp_type).toBe(FP_STATE_FPSIMD);
          }
          expect(a.thread.svcr).toBe(p.sme ? svcr : 0);
          if (p.sme) {
            expect(a.thread.sme_state!.za).toBe(za ? user(5) : ZERO);
            expect(a.thread.sme_state!.zt0).toBe(za && p.sme2 ? user(6) : ZERO);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('saves nothing while TIF_FOREIGN_FPSTATE says the registers are not current', () => {
    const w = createTestWorld();
    const a = w.users[0];
    setCurrent(w, a, 0);
    userWrites(w, 0);
    get_cpu_fpsimd_context();
    fpsimd_bind_task_to_cpu();
    fpsimd_save();
    put_cpu_fpsimd_context();
    expect(a.thread.uw.fpsimd_state.vregs).toBe(ZERO);
  });

  it('kills the task instead of saving at a VL other than the bound one', () => {
    const w = createTestWorld({ sme: false });
    const a = w.users[0];
    a.thread.vl = [32, 0];
    setCurrent(w, a, 0);
    sve_alloc(a, true);
    setFlag(a, TIF_SVE, true);
    get_cpu_fpsimd_context();
    fpsimd_bind_task_to_cpu();
    setFlag(a, TIF_FOREIGN_FPSTATE, false);
    // ZCR still at the boot maximum (64 bytes), not the task's 32.
    userWrites(w, 0);
    fpsimd_save();
    put_cpu_fpsimd_context();
    expect(findingsOf(w)).toEqual(['WARN:fpsimd_save:WARN_ON', 'signal:fpsimd_save:signal 9']);
    expect(a.thread.sve_state!.zlo).toBe(ZERO);
    expect(a.thread.uw.fpsimd_state.vregs).toBe(ZERO);
  });

  it('warns when called without the FP context held', () => {
    const w = createTestWorld();
    setCurrent(w, w.users[0], 0);
    fpsimd_save();
    expect(findingsOf(w)).toContain('WARN:fpsimd_save:WARN_ON');
  });
});

describe('task_fpsimd_load (through fpsimd_restore_current_state)', () => {
  it('loads the saved format and sets VLs and EL0 traps as the flags imply', () => {
    fc.assert(
      fc.property(
        fc.record({
          fpType: fc.constantFrom(FP_STATE_FPSIMD, FP_STATE_SVE),
          tifSve: fc.boolean(),
          sme: fc.boolean(),
          sm: fc.boolean(),
          za: fc.boolean(),
          tifSme: fc.boolean(),
          fa64: fc.boolean(),
          sme2: fc.boolean(),
          vhe: fc.boolean(),
        }),
        (p) => {
          const sm = p.sme && p.sm;
          const za = p.sme && p.za;
          const tifSme = p.sme && (sm || za || p.tifSme);
          const w = createTestWorld({
            sme: p.sme,
            fa64: p.fa64 && p.sme,
            sme2: p.sme2 && p.sme,
            vhe: p.vhe,
            sveVls: [16, 32, 64, 128],
            smeVls: [16, 32, 64],
          });
          const a = w.users[0];
          a.thread.vl = [64, 32];
          setCurrent(w, a, 0);
          sve_alloc(a, true);
          if (p.sme) sme_alloc(a);
          a.thread.fp_type = p.fpType;
          a.thread.svcr = (sm ? SVCR_SM_MASK : 0) | (za ? SVCR_ZA_MASK : 0);
          setFlag(a, TIF_SVE, p.tifSve);
          setFlag(a, TIF_SME, tifSme);
          a.thread.uw.fpsimd_state.vregs = mem(1);
          a.thread.uw.fpsimd_state.fpsr = mem(7);
          Object.assign(a.thread.sve_state!, {
            zlo: mem(11),
            zhi: mem(12),
            p: mem(13),
            ffr: mem(14),
            layoutVq: sm ? 2 : 4,
          });
          if (p.sme) Object.assign(a.thread.sme_state!, { za: mem(15), zt0: mem(16), layoutVq: 2 });

          fpsimd_restore_current_state();

          const regs = w.machine.cpus[0].regs;
          const tifSveAfter = p.fpType === FP_STATE_SVE ? p.tifSve || !sm : false;
          expect(regs.FPSR).toBe(mem(7));
          if (p.fpType === FP_STATE_SVE) {
            expect([regs.V, regs.Zhi, regs.P]).toEqual([mem(11), mem(12), mem(13)]);
            if (!sm || p.fa64) expect(regs.FFR).toBe(mem(14));
          } else {
            expect([regs.V, regs.Zhi]).toEqual([mem(1), ZERO]);
          }
          if (za) expect(regs.ZA).toBe(mem(15));
          if (za && p.sme2) expect(regs.ZT0).toBe(mem(16));
          // The CPU's PSTATE.SM/ZA as the test sees them (an MRS of SVCR would be UNDEFINED without SME).
          expect(thisCpu().sys.svcr).toBe(a.thread.svcr);
          expect(has(a, TIF_SVE)).toBe(tifSveAfter);
          expect(el0Bits()).toBe(
            (tifSveAfter ? CPACR_EL1_ZEN_EL0EN : 0) | (tifSme ? CPACR_EL1_SMEN_EL0EN : 0),
          );
          if (tifSveAfter) expect(read_sysreg_s(SYS_ZCR_EL1) & ZCR_ELx_LEN_MASK).toBe(3);
          if (tifSme) expect(read_sysreg_s(SYS_SMCR_EL1) & SMCR_ELx_LEN_MASK).toBe(1);
          const last = w.kernel.percpu[0].fpsimd_last_state;
          expect(last.st).toBe(a.thread.uw.fpsimd_state);
          expect(last.sve_state).toBe(a.thread.sve_state);
          expect(a.thread.fpsimd_cpu).toBe(0);
          expect(has(a, TIF_FOREIGN_FPSTATE)).toBe(false);
          const warned = p.fpType === FP_STATE_SVE && !sm && !p.tifSve;
          expect(findingsOf(w)).toEqual(warned ? ['WARN:task_fpsimd_load:WARN_ON_ONCE'] : []);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('does nothing when the registers already hold current state', () => {
    const w = createTestWorld();
    const a = w.users[0];
    setCurrent(w, a, 0);
    fpsimd_restore_current_state();
    userWrites(w, 0);
    fpsimd_restore_current_state();
    expect(w.machine.cpus[0].regs.V).toBe(user(1));
  });
});

describe('fpsimd_thread_switch', () => {
  it("marks next's state foreign unless this CPU last held it and it last ran here", () => {
    fc.assert(
      fc.property(
        fc.constantFrom('next', 'prev', 'none'),
        fc.constantFrom(0, 1, NR_CPUS),
        (lastSt, nextCpu) => {
          const w = createTestWorld();
          const [prev, next] = w.users;
          setCurrent(w, prev, 0);
          const last = w.kernel.percpu[0].fpsimd_last_state;
          last.st =
            lastSt === 'next'
              ? next.thread.uw.fpsimd_state
              : lastSt === 'prev'
                ? prev.thread.uw.fpsimd_state
                : null;
          next.thread.fpsimd_cpu = nextCpu;
          setFlag(next, TIF_FOREIGN_FPSTATE, false);
          switchTo(w, 0, next);
          expect(has(next, TIF_FOREIGN_FPSTATE)).toBe(!(lastSt === 'next' && nextCpu === 0));
          expect(w.kernel.percpu[0].fpsimd_context_busy).toBe(false);
        },
      ),
    );
  });

  it('keeps a task live across a switch away and back, and invalidates it after migration', () => {
    const w = createTestWorld();
    const [a, b] = w.users;
    setCurrent(w, a, 0);
    fpsimd_restore_current_state();
    userWrites(w, 0);
    switchTo(w, 0, b);
    expect(a.thread.uw.fpsimd_state.vregs).toBe(user(1));
    expect(has(b, TIF_FOREIGN_FPSTATE)).toBe(true);
    setCurrent(w, b, 0);
    switchTo(w, 0, a);
    expect(has(a, TIF_FOREIGN_FPSTATE)).toBe(false);
    setCurrent(w, a, 0);
    // Now migrate a to CPU 1.
    switchTo(w, 0, w.idle[0]);
    setCurrent(w, w.idle[1], 1);
    switchTo(w, 1, a);
    expect(has(a, TIF_FOREIGN_FPSTATE)).toBe(true);
    expect(w.kernel.findings).toEqual([]);
  });
});

describe('kernel_neon_begin / kernel_neon_end', () => {
  it('saves the live state, leaves the CPU bound to nobody and holds the context until the end', () => {
    const w = createTestWorld();
    const a = w.users[0];
    setCurrent(w, a, 0);
    a.thread.svcr = SVCR_ZA_MASK;
    setFlag(a, TIF_SME, true);
    sme_alloc(a);
    fpsimd_restore_current_state();
    userWrites(w, 0);

    kernel_neon_begin();
    expect(a.thread.uw.fpsimd_state.vregs).toBe(user(1));
    expect(a.thread.sme_state!.za).toBe(user(5));
    expect(w.kernel.percpu[0].fpsimd_last_state.st).toBeNull();
    expect(has(a, TIF_FOREIGN_FPSTATE)).toBe(true);
    expect(read_sysreg_s(SYS_SVCR)).toBe(0);
    expect(may_use_simd()).toBe(false);
    expect(w.kernel.percpu[0].softirq_disable).toBe(1);
    kernel_neon_end();
    expect(may_use_simd()).toBe(true);
    expect(w.kernel.percpu[0].softirq_disable).toBe(0);
    // Back to user: the saved state comes back, ZA included.
    w.machine.cpus[0].regs.V = symbolic(3, 1);
    fpsimd_restore_current_state();
    expect(w.machine.cpus[0].regs.V).toBe(user(1));
    expect(w.machine.cpus[0].regs.ZA).toBe(user(5));
    expect(w.kernel.findings).toEqual([]);
  });

  it('is a BUG to nest it', () => {
    const w = createTestWorld();
    setCurrent(w, w.users[0], 0);
    kernel_neon_begin();
    expect(() => kernel_neon_begin()).toThrow(KernelBug);
    expect(findingsOf(w)).toEqual(['BUG:kernel_neon_begin:BUG_ON']);
  });
});

describe('do_sve_acc', () => {
  function fpsimdUser(w: TestWorld) {
    const a = w.users[0];
    a.thread.vl = [32, 32];
    setCurrent(w, a, 0);
    fpsimd_restore_current_state();
    userWrites(w, 0);
    return a;
  }

  it('turns on SVE for a live task: buffer, flag, trap open, high bits zeroed', () => {
    const w = createTestWorld({ sme: false });
    const a = fpsimdUser(w);
    const { points } = runPath(do_sve_acc(0, a.regs));
    expect(points).toEqual(['do_sve_acc:entry', 'do_sve_acc:after sve_alloc']);
    expect(has(a, TIF_SVE)).toBe(true);
    expect(a.thread.sve_state!.capacityVq).toBe(2);
    expect(el0Bits()).toBe(CPACR_EL1_ZEN_EL0EN);
    const regs = w.machine.cpus[0].regs;
    expect([regs.V, regs.Zhi, regs.P, regs.FFR]).toEqual([user(1), ZERO, ZERO, ZERO]);
    expect(read_sysreg_s(SYS_ZCR_EL1) & ZCR_ELx_LEN_MASK).toBe(1);
    expect(w.kernel.findings).toEqual([]);
  });

  it('converts the saved copy when a softirq took the registers at the allocation point', () => {
    const w = createTestWorld({ sme: false });
    const a = fpsimdUser(w);
    runPath(do_sve_acc(0, a.regs), (label) => {
      if (label !== 'do_sve_acc:after sve_alloc') return;
      w.kernel.percpu[0].in_softirq = true;
      kernel_neon_begin();
      w.machine.cpus[0].regs.V = symbolic(3, 1);
      kernel_neon_end();
      w.kernel.percpu[0].in_softirq = false;
    });
    expect(a.thread.fp_type).toBe(FP_STATE_SVE);
    expect(a.thread.sve_state).toMatchObject({ zlo: user(1), zhi: ZERO, layoutVq: 2 });
    fpsimd_restore_current_state();
    expect(w.machine.cpus[0].regs.V).toBe(user(1));
    expect(el0Bits()).toBe(CPACR_EL1_ZEN_EL0EN);
    expect(w.kernel.findings).toEqual([]);
  });

  // sve.rst: the bits of Z beyond V read as zero on a task's first SVE use after a discard. A task
  // that used SVE before keeps its buffer with the old high bits; the trap must clear it
  // (sve_alloc with flush), or the conversion below would hand the old bits back to user space.
  it('zeroes a stale buffer left from earlier SVE use before converting the saved copy', () => {
    const w = createTestWorld({ sme: false });
    const a = fpsimdUser(w);
    a.thread.sve_state = { capacityVq: 2, layoutVq: 2, zlo: mem(1), zhi: mem(2), p: mem(3), ffr: mem(4) };
    runPath(do_sve_acc(0, a.regs), (label) => {
      if (label !== 'do_sve_acc:after sve_alloc') return;
      w.kernel.percpu[0].in_softirq = true;
      kernel_neon_begin();
      kernel_neon_end();
      w.kernel.percpu[0].in_softirq = false;
    });
    expect(a.thread.sve_state).toMatchObject({ zlo: user(1), zhi: ZERO, p: ZERO, ffr: ZERO });
    expect(w.kernel.findings).toEqual([]);
  });

  it('sends SIGILL without SVE and SIGKILL when the buffer cannot be allocated', () => {
    const w = createTestWorld({ sve: false });
    const a = fpsimdUser(w);
    runPath(do_sve_acc(0, a.regs));
    expect(findingsOf(w)).toEqual(['signal:do_sve_acc:signal 4']);

    const w2 = createTestWorld({ sme: false });
    const b = fpsimdUser(w2);
    w2.kernel.allocFailures = 1;
    runPath(do_sve_acc(0, b.regs));
    expect(findingsOf(w2)).toEqual(['signal:do_sve_acc:signal 9']);
    expect(has(b, TIF_SVE)).toBe(false);
  });
});

describe('do_sme_acc', () => {
  it('turns on SME: both buffers, TIF_SME, the streaming VL, the EL0 trap open', () => {
    const w = createTestWorld();
    const a = w.users[0];
    a.thread.vl = [64, 32];
    setCurrent(w, a, 0);
    fpsimd_restore_current_state();
    const esr = esr_make(ESR_ELx_EC_SME, ESR_ELx_SME_ISS_SME_DISABLED);
    const { points } = runPath(do_sme_acc(esr, a.regs));
    expect(points).toEqual(['do_sme_acc:entry', 'do_sme_acc:after sve_alloc', 'do_sme_acc:after sme_alloc']);
    expect(has(a, TIF_SME)).toBe(true);
    expect(a.thread.sve_state!.capacityVq).toBe(4);
    expect(a.thread.sme_state!.capacityVq).toBe(2);
    expect(el0Bits()).toBe(CPACR_EL1_SMEN_EL0EN);
    expect(read_sysreg_s(SYS_SMCR_EL1) & SMCR_ELx_LEN_MASK).toBe(1);
    expect(w.kernel.findings).toEqual([]);
  });

  it('answers other SME syndromes with SIGILL', () => {
    const w = createTestWorld();
    const a = w.users[0];
    setCurrent(w, a, 0);
    runPath(do_sme_acc(esr_make(ESR_ELx_EC_SME, ESR_ELx_SME_ISS_SM_DISABLED), a.regs));
    expect(findingsOf(w)).toEqual(['signal:do_sme_acc:signal 4']);
    expect(a.thread.sme_state).toBeNull();
  });
});

describe('binding and flushing', () => {
  it('fpsimd_flush_task_state forgets the CPU and marks the state foreign', () => {
    const w = createTestWorld();
    const a = w.users[0];
    setCurrent(w, a, 0);
    fpsimd_restore_current_state();
    fpsimd_flush_task_state(a);
    expect(a.thread.fpsimd_cpu).toBe(NR_CPUS);
    expect(has(a, TIF_FOREIGN_FPSTATE)).toBe(true);
  });

  it('fpsimd_bind_state_to_cpu copies the record and insists on softirqs or irqs off', () => {
    const w = createTestWorld();
    setCurrent(w, w.users[0], 0);
    const guest = { vregs: mem(1), fpsr: mem(2) };
    const owner = { svcr: 0, fp_type: FP_STATE_FPSIMD as 0 | 1 | 2 };
    const state: cpu_fp_state = {
      st: guest,
      sve_state: null,
      sme_state: null,
      svcr: { obj: owner, key: 'svcr' as const },
      sve_vl: 16,
      sme_vl: 0,
      fp_type: { obj: owner, key: 'fp_type' as const },
      to_save: FP_STATE_FPSIMD,
    };
    fpsimd_bind_state_to_cpu(state);
    expect(findingsOf(w)).toEqual(['WARN:fpsimd_bind_state_to_cpu:WARN_ON']);
    w.kernel.percpu[0].irqs_disabled = true;
    fpsimd_bind_state_to_cpu(state);
    expect(findingsOf(w)).toHaveLength(1);
    const last = w.kernel.percpu[0].fpsimd_last_state;
    expect(last).not.toBe(state);
    expect(last.st).toBe(guest);
    // A save now lands in the bound (guest) storage.
    setFlag(w.users[0], TIF_FOREIGN_FPSTATE, false);
    userWrites(w, 0);
    w.kernel.percpu[0].irqs_disabled = false;
    get_cpu_fpsimd_context();
    fpsimd_save();
    put_cpu_fpsimd_context();
    expect(guest.vregs).toBe(user(1));
    expect(owner.fp_type).toBe(FP_STATE_FPSIMD);
  });

  it('fpsimd_save_and_flush_cpu_state saves, unbinds and stops SM/ZA; warns when preemptible', () => {
    const w = createTestWorld();
    const a = w.users[0];
    setCurrent(w, a, 0);
    fpsimd_restore_current_state();
    userWrites(w, 0);
    w.kernel.percpu[0].preempt_count = 1;
    fpsimd_save_and_flush_cpu_state();
    w.kernel.percpu[0].preempt_count = 0;
    expect(a.thread.uw.fpsimd_state.vregs).toBe(user(1));
    expect(w.kernel.percpu[0].fpsimd_last_state.st).toBeNull();
    expect(has(a, TIF_FOREIGN_FPSTATE)).toBe(true);
    expect(w.kernel.findings).toEqual([]);
    fpsimd_save_and_flush_cpu_state();
    // Both the caller's check and fpsimd_save's context check fire.
    expect(findingsOf(w)).toEqual([
      'WARN:fpsimd_save_and_flush_cpu_state:WARN_ON',
      'WARN:fpsimd_save:WARN_ON',
    ]);
  });

  it('fpsimd_cpu_dead unbinds a dead CPU', () => {
    const w = createTestWorld();
    const a = w.users[0];
    setCurrent(w, a, 1);
    fpsimd_restore_current_state();
    onCpu(w, 0);
    fpsimd_cpu_dead(1);
    expect(w.kernel.percpu[1].fpsimd_last_state.st).toBeNull();
  });

  it('fpsimd_kvm_prepare drops a live SVE state to FPSIMD format', () => {
    const w = createTestWorld({ sme: false });
    const a = w.users[0];
    a.thread.vl = [32, 0];
    setCurrent(w, a, 0);
    fpsimd_restore_current_state();
    runPath(do_sve_acc(0, a.regs));
    a.thread.sve_state!.zlo = mem(3);
    a.thread.sve_state!.layoutVq = 2;
    fpsimd_kvm_prepare();
    expect(has(a, TIF_SVE)).toBe(false);
    expect(a.thread.fp_type).toBe(FP_STATE_FPSIMD);
    expect(a.thread.uw.fpsimd_state.vregs).toBe(mem(3));
  });
});

describe('signals, exec and vector lengths', () => {
  it('fpsimd_signal_preserve_current_state refreshes the FPSIMD copy of an SVE user', () => {
    const w = createTestWorld({ sme: false });
    const a = w.users[0];
    a.thread.vl = [32, 0];
    setCurrent(w, a, 0);
    fpsimd_restore_current_state();
    runPath(do_sve_acc(0, a.regs));
    userWrites(w, 0);
    const { points } = runPath(fpsimd_signal_preserve_current_state());
    expect(points).toEqual(['fpsimd_signal_preserve_current_state:after preserve']);
    expect(a.thread.fp_type).toBe(FP_STATE_SVE);
    expect(a.thread.uw.fpsimd_state.vregs).toBe(user(1));
  });

  it('fpsimd_flush_thread resets state, flags and VLs', () => {
    const w = createTestWorld();
    const a = w.users[0];
    a.thread.vl = [32, 16];
    a.thread.vl_onexec = [16, 0];
    setCurrent(w, a, 0);
    sve_alloc(a, true);
    a.thread.svcr = SVCR_ZA_MASK;
    setFlag(a, TIF_SVE, true);
    setFlag(a, TIF_SME, true);
    a.thread.uw.fpsimd_state.vregs = mem(1);
    const { points } = runPath(fpsimd_flush_thread());
    expect(points).toEqual(['fpsimd_flush_thread:after put_cpu_fpsimd_context']);
    expect(a.thread).toMatchObject({
      sve_state: null,
      sme_state: null,
      svcr: 0,
      fp_type: FP_STATE_FPSIMD,
      vl: [16, 32],
      vl_onexec: [0, 0],
    });
    expect(a.thread.uw.fpsimd_state.vregs).toBe(ZERO);
    expect(has(a, TIF_SVE) || has(a, TIF_SME)).toBe(false);
    expect(has(a, TIF_FOREIGN_FPSTATE)).toBe(true);
  });

  it('find_supported_vector_length picks the largest supported VL within the limits', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom(16, 32, 48, 64, 128, 256), { minLength: 1 }),
        fc.integer({ min: 1, max: 64 }),
        (vls, vq) => {
          vls.sort((x, y) => x - y);
          const w = createTestWorld({ sveVls: vls, sme: false });
          onCpu(w, 0);
          const got = find_supported_vector_length(ARM64_VEC_SVE, vq * 16);
          const want = Math.max(...vls.filter((v) => v <= Math.max(vq * 16, vls[0])));
          expect(got).toBe(want);
        },
      ),
    );
  });

  it('prctl SVE VL change keeps the FPSIMD subset and frees the buffer', () => {
    const w = createTestWorld({ sme: false });
    const a = w.users[0];
    a.thread.vl = [32, 0];
    setCurrent(w, a, 0);
    fpsimd_restore_current_state();
    runPath(do_sve_acc(0, a.regs));
    userWrites(w, 0);
    const { result, points } = runPath(sve_set_current_vl(64));
    expect(result).toBe(64);
    expect(points).toEqual(['vec_set_vector_length:after put_cpu_fpsimd_context']);
    expect(a.thread.vl[ARM64_VEC_SVE]).toBe(64);
    expect(a.thread.sve_state).toBeNull();
    expect(has(a, TIF_SVE)).toBe(false);
    expect(a.thread.uw.fpsimd_state.vregs).toBe(user(1));
    fpsimd_restore_current_state();
    expect(w.machine.cpus[0].regs.V).toBe(user(1));
    expect(w.kernel.findings).toEqual([]);
    // Deferred to exec: only vl_onexec changes.
    expect(runPath(sve_set_current_vl(16 | PR_SVE_SET_VL_ONEXEC)).result).toBe(16);
    expect(a.thread.vl).toEqual([64, 0]);
    expect(a.thread.vl_onexec).toEqual([16, 0]);
  });

  it('v6.4: an SME VL change made by a tracer clears TIF_SME on the tracer, not the target', () => {
    const w = createTestWorld();
    const [tracer, target] = w.users;
    setFlag(tracer, TIF_SME, true);
    setFlag(target, TIF_SME, true);
    target.thread.svcr = SVCR_ZA_MASK;
    setCurrent(w, tracer, 0);
    runPath(vec_set_vector_length(target, ARM64_VEC_SME, 16, 0));
    expect(target.thread.svcr).toBe(0);
    expect(has(target, TIF_SME)).toBe(true);
    expect(has(tracer, TIF_SME)).toBe(false);
  });

  it('v6.4: an SVE VL change in streaming mode leaves SM on with no sve_state, and the next save oopses', () => {
    const w = createTestWorld();
    const a = w.users[0];
    a.thread.vl = [32, 32];
    setCurrent(w, a, 0);
    fpsimd_restore_current_state();
    runPath(do_sme_acc(esr_make(ESR_ELx_EC_SME, ESR_ELx_SME_ISS_SME_DISABLED), a.regs));
    // User space: SMSTART SM.
    write_sysreg_s(SVCR_SM_MASK, SYS_SVCR);
    userWrites(w, 0);
    runPath(sve_set_current_vl(64));
    expect(a.thread.svcr & SVCR_SM_MASK).toBe(SVCR_SM_MASK);
    expect(a.thread.sve_state).toBeNull();
    fpsimd_restore_current_state();
    expect(() => switchTo(w, 0, w.users[1])).toThrow(KernelBug);
    expect(findingsOf(w).at(-1)).toBe('fault:fpsimd_save:NULL dereference: sve_state');
  });

  it('sme_set_current_vl changes the streaming VL and ends SM/ZA', () => {
    const w = createTestWorld();
    const a = w.users[0];
    a.thread.vl = [32, 32];
    setCurrent(w, a, 0);
    a.thread.svcr = SVCR_ZA_MASK;
    setFlag(a, TIF_SME, true);
    expect(runPath(sme_set_current_vl(16)).result).toBe(16);
    expect(a.thread.vl[ARM64_VEC_SME]).toBe(16);
    expect(a.thread.svcr).toBe(0);
    expect(has(a, TIF_SME)).toBe(false);
  });
});

describe('FP exceptions (EFI: fpsimd-edges.test.ts)', () => {
  it('do_fpsimd_exc reports the first flagged cause', () => {
    const w = createTestWorld();
    setCurrent(w, w.users[0], 0);
    do_fpsimd_exc(ESR_ELx_FP_EXC_TFV | 0b110, { syscallno: NO_SYSCALL, pc: 0x1000 });
    do_fpsimd_exc(0b110, { syscallno: NO_SYSCALL });
    expect(findingsOf(w)).toEqual([
      'signal:do_fpsimd_exc:signal 8 code 3 to pid 100',
      'signal:do_fpsimd_exc:signal 8 code 14 to pid 100',
    ]);
  });
});
