// Paths of kernel/fpsimd.c that no scenario drives (EFI runtime calls, the default-VL sysctl, the
// VL getters, the cause of a trapped FP exception, and machines without FP/SIMD). Each test here
// was written for mutants that Stryker showed surviving the corpus (fixtures/mutants.md).

import { symbolic, ZERO } from '@kvmfp/machine';
import { ESR_ELx_FP_EXC_TFV, read_sysreg_s, SVCR_SM_MASK, SYS_SVCR, write_sysreg_s } from '@kvmfp/sysreg';
import { describe, expect, it } from 'vitest';
import { createTestWorld, findingsOf, setCurrent, type TestWorld, userWrites } from './testing.js';
import {
  __efi_fpsimd_begin,
  __efi_fpsimd_end,
  ARM64_VEC_SME,
  ARM64_VEC_SVE,
  do_fpsimd_exc,
  EINVAL,
  FPE_FLTDIV,
  FPE_FLTINV,
  FPE_FLTOVF,
  FPE_FLTRES,
  FPE_FLTUND,
  FPEXC_DZF,
  FPEXC_IOF,
  FPEXC_IXF,
  FPEXC_OFF,
  FPEXC_UFF,
  fpsimd_flush_task_state,
  fpsimd_preserve_current_state,
  fpsimd_restore_current_state,
  fpsimd_save_and_flush_cpu_state,
  fpsimd_thread_switch,
  fpsimd_update_current_state,
  kernel_neon_begin,
  kernel_neon_end,
  NO_SYSCALL,
  NR_CPUS,
  sme_get_current_vl,
  sve_get_current_vl,
  TIF_FOREIGN_FPSTATE,
  vec_proc_do_default_vl,
} from './index.js';

const user = (n: number) => symbolic(1, n);

/** A live user task on CPU 0 whose banks all hold distinct values, with EFI SVE storage set up. */
function liveTaskWithEfi(opts: Parameters<typeof createTestWorld>[0] = {}): TestWorld {
  const w = createTestWorld(opts);
  const a = w.users[0];
  a.thread.vl = [64, 32];
  setCurrent(w, a, 0);
  fpsimd_restore_current_state();
  w.kernel.efi_sve_state = w.machine.cpus.map(() => ({
    capacityVq: 4,
    layoutVq: 0,
    zlo: ZERO,
    zhi: ZERO,
    p: ZERO,
    ffr: ZERO,
  }));
  return w;
}

describe('__efi_fpsimd_begin / __efi_fpsimd_end', () => {
  it('outside streaming mode: stash the live SVE registers at the maximum VL and restore them', () => {
    const w = liveTaskWithEfi();
    userWrites(w, 0);
    w.kernel.percpu[0].irqs_disabled = true;
    __efi_fpsimd_begin();
    expect(w.kernel.efi_sve_state![0]).toMatchObject({ zlo: user(1), layoutVq: 4 });
    w.machine.cpus[0].regs.V = symbolic(3, 1);
    __efi_fpsimd_end();
    expect(w.machine.cpus[0].regs.V).toBe(user(1));
    expect(w.machine.cpus[0].regs.FFR).toBe(user(4));
    expect(w.kernel.findings).toEqual([]);
  });

  it('in streaming mode without FA64: leave SM for the call without saving FFR, re-enter it after', () => {
    const w = liveTaskWithEfi({ sve: true, sme: true, fa64: false });
    write_sysreg_s(SVCR_SM_MASK, SYS_SVCR);
    userWrites(w, 0);
    w.kernel.percpu[0].irqs_disabled = true;
    __efi_fpsimd_begin();
    expect(read_sysreg_s(SYS_SVCR) & SVCR_SM_MASK).toBe(0);
    expect(w.kernel.percpu[0].efi_sm_state).toBe(true);
    expect(w.kernel.efi_sve_state![0]).toMatchObject({ zlo: user(1), p: user(3), ffr: ZERO });
    w.machine.cpus[0].regs.V = symbolic(3, 1);
    __efi_fpsimd_end();
    expect(read_sysreg_s(SYS_SVCR) & SVCR_SM_MASK).toBe(SVCR_SM_MASK);
    expect(w.machine.cpus[0].regs.V).toBe(user(1));
    expect(w.kernel.percpu[0].efi_sve_state_used).toBe(false);
    expect(w.kernel.findings).toEqual([]);
  });

  it('in streaming mode with FA64: FFR exists, so it is saved and restored', () => {
    const w = liveTaskWithEfi({ sve: true, sme: true, fa64: true });
    write_sysreg_s(SVCR_SM_MASK, SYS_SVCR);
    userWrites(w, 0);
    w.kernel.percpu[0].irqs_disabled = true;
    __efi_fpsimd_begin();
    expect(w.kernel.efi_sve_state![0].ffr).toBe(user(4));
    w.machine.cpus[0].regs.FFR = symbolic(3, 2);
    __efi_fpsimd_end();
    expect(w.machine.cpus[0].regs.FFR).toBe(user(4));
  });

  it('with SVE but no SME: FFR is saved and restored outside any streaming logic', () => {
    const w = liveTaskWithEfi({ sve: true, sme: false });
    userWrites(w, 0);
    w.kernel.percpu[0].irqs_disabled = true;
    __efi_fpsimd_begin();
    expect(w.kernel.efi_sve_state![0]).toMatchObject({ zlo: user(1), ffr: user(4) });
    w.machine.cpus[0].regs.FFR = symbolic(3, 2);
    __efi_fpsimd_end();
    expect(w.machine.cpus[0].regs.FFR).toBe(user(4));
  });

  it('without EFI SVE storage only the FPSIMD registers are stashed', () => {
    const w = liveTaskWithEfi();
    w.kernel.efi_sve_state = null;
    userWrites(w, 0);
    w.kernel.percpu[0].irqs_disabled = true;
    __efi_fpsimd_begin();
    expect(w.kernel.percpu[0].efi_sve_state_used).toBeFalsy();
    expect(w.kernel.percpu[0].efi_fpsimd_state_used).toBe(true);
    w.machine.cpus[0].regs.V = symbolic(3, 1);
    __efi_fpsimd_end();
    expect(w.machine.cpus[0].regs.V).toBe(user(1));
    expect(w.kernel.percpu[0].efi_fpsimd_state_used).toBe(false);
  });

  it('where kernel-mode NEON is allowed it is used: the task state is saved and marked foreign', () => {
    const w = liveTaskWithEfi();
    userWrites(w, 0);
    w.kernel.percpu[0].preempt_count = 1;
    __efi_fpsimd_begin();
    expect(w.kernel.percpu[0].efi_fpsimd_state_used).toBeFalsy();
    expect(w.users[0].thread.uw.fpsimd_state.vregs).toBe(user(1));
    expect(w.users[0].flags & (1 << TIF_FOREIGN_FPSTATE)).not.toBe(0);
    expect(w.kernel.percpu[0].fpsimd_context_busy).toBe(true);
    __efi_fpsimd_end();
    expect(w.kernel.percpu[0].fpsimd_context_busy).toBe(false);
    expect(w.kernel.findings).toEqual([]);
  });
});

describe('the default-VL sysctl and the VL getters', () => {
  it('reads the default, takes -1 as the maximum, rounds to a supported VL and rejects invalid ones', () => {
    const w = createTestWorld();
    setCurrent(w, w.users[0], 0);
    const table = { extra1: w.kernel.vl_info[ARM64_VEC_SVE] };
    const buf = { value: 0 };
    expect(vec_proc_do_default_vl(table, false, buf)).toBe(0);
    expect(buf.value).toBe(w.kernel.default_vl[ARM64_VEC_SVE]);
    expect(vec_proc_do_default_vl(table, true, { value: -1 })).toBe(0);
    expect(w.kernel.default_vl[ARM64_VEC_SVE]).toBe(64);
    expect(vec_proc_do_default_vl(table, true, { value: 48 })).toBe(0);
    expect(w.kernel.default_vl[ARM64_VEC_SVE]).toBe(32);
    expect(vec_proc_do_default_vl(table, true, { value: 40 })).toBe(-EINVAL);
    expect(w.kernel.default_vl[ARM64_VEC_SVE]).toBe(32);
    const sme = { extra1: w.kernel.vl_info[ARM64_VEC_SME] };
    expect(vec_proc_do_default_vl(sme, true, { value: 16 })).toBe(0);
    expect(w.kernel.default_vl).toEqual([32, 16]);
  });

  it('PR_SVE_GET_VL and PR_SME_GET_VL return the VL, or -EINVAL without the feature', () => {
    const w = createTestWorld();
    w.users[0].thread.vl = [32, 16];
    setCurrent(w, w.users[0], 0);
    expect(sve_get_current_vl()).toBe(32);
    expect(sme_get_current_vl()).toBe(16);
    const bare = createTestWorld({ sve: false, sme: false });
    setCurrent(bare, bare.users[0], 0);
    expect(sve_get_current_vl()).toBe(-EINVAL);
    expect(sme_get_current_vl()).toBe(-EINVAL);
  });
});

describe('do_fpsimd_exc', () => {
  it('names each single cause, and the first one in IOF, DZF, OFF, UFF, IXF order', () => {
    const w = createTestWorld();
    setCurrent(w, w.users[0], 0);
    const causes = [FPEXC_IOF, FPEXC_DZF, FPEXC_OFF, FPEXC_UFF, FPEXC_IXF, FPEXC_UFF | FPEXC_IXF];
    for (const c of causes) do_fpsimd_exc(ESR_ELx_FP_EXC_TFV | c, { syscallno: NO_SYSCALL });
    const codes = [FPE_FLTINV, FPE_FLTDIV, FPE_FLTOVF, FPE_FLTUND, FPE_FLTRES, FPE_FLTUND];
    expect(findingsOf(w)).toEqual(codes.map((c) => `signal:do_fpsimd_exc:signal 8 code ${c} to pid 100`));
  });
});

describe('a machine without FP/SIMD', () => {
  /** The kernel and machine data, without the findings, as a comparable snapshot. */
  const snapshot = (w: TestWorld) => JSON.stringify({ k: { ...w.kernel, findings: [] }, m: w.machine });

  function bareWorld(): TestWorld {
    const w = createTestWorld();
    setCurrent(w, w.users[0], 0);
    fpsimd_restore_current_state();
    userWrites(w, 0);
    w.machine.config.features.fpsimd = false;
    w.kernel.percpu[0].preempt_count = 1;
    return w;
  }

  const quiet: [string, (w: TestWorld) => void][] = [
    ['fpsimd_thread_switch', (w) => fpsimd_thread_switch(w.users[1])],
    ['fpsimd_preserve_current_state', () => fpsimd_preserve_current_state()],
    ['fpsimd_save_and_flush_cpu_state', () => fpsimd_save_and_flush_cpu_state()],
    ['__efi_fpsimd_begin', () => __efi_fpsimd_begin()],
    ['__efi_fpsimd_end', () => __efi_fpsimd_end()],
    ['kernel_neon_end', () => kernel_neon_end()],
  ];
  it.each(quiet)('%s changes nothing', (_name, call) => {
    const w = bareWorld();
    const before = snapshot(w);
    call(w);
    expect(snapshot(w)).toBe(before);
    expect(w.kernel.findings).toEqual([]);
  });

  it('fpsimd_flush_task_state forgets the CPU but does not mark the state foreign', () => {
    const w = bareWorld();
    fpsimd_flush_task_state(w.users[0]);
    expect(w.users[0].thread.fpsimd_cpu).toBe(NR_CPUS);
    expect(w.users[0].flags & (1 << TIF_FOREIGN_FPSTATE)).toBe(0);
  });

  it('kernel_neon_begin and fpsimd_update_current_state warn and change nothing', () => {
    const w = bareWorld();
    const before = snapshot(w);
    kernel_neon_begin();
    fpsimd_update_current_state({ vregs: symbolic(3, 1), fpsr: symbolic(3, 2) });
    expect(snapshot(w)).toBe(before);
    expect(findingsOf(w).map((f) => f.split(':').slice(0, 2).join(':'))).toEqual([
      'WARN:kernel_neon_begin',
      'WARN:fpsimd_update_current_state',
    ]);
  });

  it('fpsimd_restore_current_state only clears TIF_FOREIGN_FPSTATE', () => {
    const w = bareWorld();
    w.users[0].flags |= 1 << TIF_FOREIGN_FPSTATE;
    w.machine.cpus[0].regs.V = symbolic(3, 1);
    fpsimd_restore_current_state();
    expect(w.users[0].flags & (1 << TIF_FOREIGN_FPSTATE)).toBe(0);
    expect(w.machine.cpus[0].regs.V).toBe(symbolic(3, 1));
  });
});
