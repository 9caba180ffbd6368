// Each mutant against its base revision on a small world: the same events, and the difference
// shows in fp_state, the register banks, SVCR and the host task's saved state.

import { describe, expect, it } from 'vitest';
import {
  E,
  fpsimdTesting,
  kernel_neon_begin,
  kernel_neon_end,
  TIF_FOREIGN_FPSTATE,
  withEntries,
} from '@kvmfp/fpsimd';
import { hypTesting, revisions } from '@kvmfp/hyp-switch';
import { ARM_EXCEPTION_TRAP, FP_STATE_FREE, FP_STATE_HOST_OWNED, kvmTesting } from '@kvmfp/kvm-fpsimd';
import { thisCpu } from '@kvmfp/machine';
import { esr_make, ESR_ELx_EC_FP_ASIMD, SVCR_SM_MASK } from '@kvmfp/sysreg';
import { mutants } from './mutants.js';

const { kvmRun, kvmWorld, untilGuest } = hypTesting;

/** The entry table of `mutant` (on its base revision), or undefined for the base itself. */
function tableOf(mutant: string | undefined) {
  return mutant ? withEntries(revisions[mutants[mutant].base], mutants[mutant].replace) : undefined;
}

const { hostLive, val, VMM, KNEON, hasFlag } = kvmTesting;
const { findingsOf } = fpsimdTesting;

describe('mutant registry', () => {
  it('names a base revision and replaces only existing entries', () => {
    for (const [name, m] of Object.entries(mutants)) {
      expect(revisions[m.base], name).toBeDefined();
      for (const k of Object.keys(m.replace)) expect(k in revisions[m.base], `${name}: ${k}`).toBe(true);
      expect(m.description.length).toBeGreaterThan(10);
    }
  });
});

describe('load-fp-leaves-sm', () => {
  /** The VMM calls KVM_RUN in streaming mode; the path runs to the first guest entry. */
  function run(mutant?: string) {
    const w = kvmWorld(mutants['load-fp-leaves-sm'].base, { vhe: true }, tableOf(mutant));
    hostLive(w.vmm, { sm: true, v: val(VMM, 1) });
    const path = kvmRun(w);
    const s = untilGuest(path);
    return { w, s, cpu: thisCpu() };
  }

  it('revision: streaming mode is left and the host state saved before the guest runs', () => {
    const { w, s, cpu } = run();
    expect(s.kind).toBe('guest');
    expect(cpu.sys.svcr).toBe(0);
    expect(w.vcpu.arch.fp_state).toBe(FP_STATE_FREE);
    expect(w.vmm.thread.sve_state?.zlo).toBe(val(VMM, 1));
    expect(hasFlag(w.vmm, TIF_FOREIGN_FPSTATE)).toBe(true);
  });

  it('mutant: the guest runs with the host PSTATE.SM, nothing saved, registers still "host-owned"', () => {
    const { w, s, cpu } = run('load-fp-leaves-sm');
    expect(s.kind).toBe('guest');
    expect(cpu.sys.svcr & SVCR_SM_MASK).toBe(SVCR_SM_MASK);
    expect(w.vcpu.arch.fp_state).toBe(FP_STATE_HOST_OWNED);
    expect(w.vmm.thread.sve_state?.zlo).not.toBe(val(VMM, 1));
    expect(hasFlag(w.vmm, TIF_FOREIGN_FPSTATE)).toBe(false);
  });
});

describe('ctxflush-ignores-foreign', () => {
  /**
   * After vcpu load, a softirq uses kernel-mode NEON at the loop's preemption point (saving the
   * VMM's registers and leaving its own values behind); then the guest's first FP access traps.
   */
  function run(mutant?: string) {
    const w = kvmWorld(mutants['ctxflush-ignores-foreign'].base, { vhe: false }, tableOf(mutant));
    hostLive(w.vmm, { v: val(VMM, 1) });
    const path = kvmRun(w);
    untilGuest(path, undefined, (label) => {
      if (label !== 'kvm_arch_vcpu_ioctl_run:loop top') return;
      const pcpu = w.kernel.percpu[0];
      pcpu.in_softirq = true;
      kernel_neon_begin();
      thisCpu().regs.V = val(KNEON, 1);
      kernel_neon_end();
      pcpu.in_softirq = false;
    });
    const fpStateAtEntry = w.vcpu.arch.fp_state;
    thisCpu().sys.esr_el2 = esr_make(ESR_ELx_EC_FP_ASIMD, 0x1e00000);
    untilGuest(path, ARM_EXCEPTION_TRAP);
    return { w, fpStateAtEntry };
  }

  it('revision: the registers are free at entry and the host task keeps its saved state', () => {
    const { w, fpStateAtEntry } = run();
    expect(fpStateAtEntry).toBe(FP_STATE_FREE);
    expect(w.vmm.thread.uw.fpsimd_state.vregs).toBe(val(VMM, 1));
    expect(findingsOf(w)).toEqual([]);
  });

  it("mutant: the hypervisor saves kernel-mode NEON's values over the host task's state", () => {
    const { w, fpStateAtEntry } = run('ctxflush-ignores-foreign');
    expect(fpStateAtEntry).toBe(FP_STATE_HOST_OWNED);
    expect(w.vmm.thread.uw.fpsimd_state.vregs).toBe(val(KNEON, 1));
  });

  it('the mutant table differs from its base in that entry only', () => {
    const base: Record<string, unknown> = { ...revisions['v6.4'] };
    const table: Record<string, unknown> = { ...base, ...mutants['ctxflush-ignores-foreign'].replace };
    const differing = Object.keys(table).filter((k) => table[k] !== base[k]);
    expect(differing).toEqual(['kvm_arch_vcpu_ctxflush_fp']);
    expect(E).toBeDefined();
  });
});
