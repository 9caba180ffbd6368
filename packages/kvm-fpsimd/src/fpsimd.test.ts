// The vcpu FP hooks of arch/arm64/kvm/fpsimd.c, both revisions: which state is saved, flushed and
// bound, what fp_state becomes, which host flags and traps are recorded or restored.

import { describe, expect, it } from 'vitest';
import {
  FP_STATE_FPSIMD,
  FP_STATE_SVE,
  KernelBug,
  local_irq_disable,
  local_irq_enable,
  preempt_disable,
  preempt_enable,
  TIF_FOREIGN_FPSTATE,
  TIF_SVE,
  fpsimdTesting,
} from '@kvmfp/fpsimd';
import { thisCpu, ZERO } from '@kvmfp/machine';
import {
  CPACR_EL1_SMEN_EL0EN,
  CPACR_EL1_SMEN_EL1EN,
  CPACR_EL1_ZEN_EL0EN,
  read_sysreg,
  SVCR_SM_MASK,
} from '@kvmfp/sysreg';
import * as v63 from './v6.3/fpsimd.js';
import * as v64 from './v6.4/fpsimd.js';
import {
  FP_STATE_FREE,
  FP_STATE_GUEST_OWNED,
  FP_STATE_HOST_OWNED,
  HOST_SME_ENABLED,
  HOST_SVE_ENABLED,
  vcpu_get_flag,
} from './v6.4/kvm_host.js';
import { createKvmWorld, GUEST, hasFlag, hostLive, setFlag, val, VMM, type KvmWorld } from './testing.js';

const { findingsOf } = fpsimdTesting;

/** Preemption off around a hook, as vcpu_load/vcpu_put call it. */
function nonPreemptible<R>(body: () => R): R {
  preempt_disable();
  try {
    return body();
  } finally {
    preempt_enable();
  }
}

/** The guest's registers live and owned by it, as after the hypervisor's FP trap and an exit. */
function guestOwnsRegisters(w: KvmWorld, v: number): void {
  w.vcpu.arch.fp_state = FP_STATE_GUEST_OWNED;
  const { regs } = thisCpu();
  regs.V = v;
  regs.Zhi = v;
  regs.P = v;
  regs.FFR = v;
}

describe.each([
  ['v6.3', v63],
  ['v6.4', v64],
] as const)('kvm/fpsimd.c %s', (_rev, fp) => {
  describe('kvm_arch_vcpu_run_map_fp', () => {
    it("points the vcpu at the running task's FPSIMD storage", () => {
      const w = createKvmWorld();
      expect(fp.kvm_arch_vcpu_run_map_fp(w.vcpu)).toBe(0);
      expect(w.vcpu.arch.host_fpsimd_state).toBe(w.vmm.thread.uw.fpsimd_state);
    });
  });

  describe('kvm_arch_vcpu_load_fp', () => {
    it('marks live host FPSIMD state as host-owned and saves nothing', () => {
      const w = createKvmWorld();
      hostLive(w.vmm, { v: val(VMM, 1) });
      nonPreemptible(() => fp.kvm_arch_vcpu_load_fp(w.vcpu));
      expect(w.vcpu.arch.fp_state).toBe(FP_STATE_HOST_OWNED);
      expect(thisCpu().regs.V).toBe(val(VMM, 1));
      expect(w.vmm.thread.uw.fpsimd_state.vregs).toBe(ZERO);
      expect(hasFlag(w.vmm, TIF_FOREIGN_FPSTATE)).toBe(false);
      expect(findingsOf(w)).toEqual([]);
    });

    it('drops the host task to FPSIMD-only state and records that EL0 had SVE', () => {
      const w = createKvmWorld();
      hostLive(w.vmm, { sve: true, v: val(VMM, 1) });
      expect(read_sysreg('cpacr_el1') & CPACR_EL1_ZEN_EL0EN).not.toBe(0);
      nonPreemptible(() => fp.kvm_arch_vcpu_load_fp(w.vcpu));
      expect(hasFlag(w.vmm, TIF_SVE)).toBe(false);
      expect(w.vmm.thread.fp_type).toBe(FP_STATE_FPSIMD);
      expect(vcpu_get_flag(w.vcpu, HOST_SVE_ENABLED)).not.toBe(0);
      expect(w.vcpu.arch.fp_state).toBe(FP_STATE_HOST_OWNED);
    });

    it('records that EL0 had no SVE or SME for a plain FPSIMD task', () => {
      const w = createKvmWorld();
      hostLive(w.vmm, { v: val(VMM, 1) });
      nonPreemptible(() => fp.kvm_arch_vcpu_load_fp(w.vcpu));
      expect(vcpu_get_flag(w.vcpu, HOST_SVE_ENABLED)).toBe(0);
      expect(vcpu_get_flag(w.vcpu, HOST_SME_ENABLED)).toBe(0);
    });

    it('saves the state, leaves streaming mode and frees the registers when PSTATE.SM is set', () => {
      const w = createKvmWorld();
      hostLive(w.vmm, { sm: true, v: val(VMM, 1) });
      expect(thisCpu().sys.svcr & SVCR_SM_MASK).not.toBe(0);
      nonPreemptible(() => fp.kvm_arch_vcpu_load_fp(w.vcpu));
      expect(w.vcpu.arch.fp_state).toBe(FP_STATE_FREE);
      expect(thisCpu().sys.svcr).toBe(0);
      expect(w.vmm.thread.sve_state?.zlo).toBe(val(VMM, 1));
      expect(w.vmm.thread.svcr & SVCR_SM_MASK).not.toBe(0);
      expect(hasFlag(w.vmm, TIF_FOREIGN_FPSTATE)).toBe(true);
      expect(w.kernel.percpu[0].fpsimd_last_state.st).toBeNull();
      expect(vcpu_get_flag(w.vcpu, HOST_SME_ENABLED)).not.toBe(0);
    });

    it('saves live ZA and turns it off when only PSTATE.ZA is set', () => {
      const w = createKvmWorld();
      hostLive(w.vmm, { za: true, v: val(VMM, 1) });
      nonPreemptible(() => fp.kvm_arch_vcpu_load_fp(w.vcpu));
      expect(w.vcpu.arch.fp_state).toBe(FP_STATE_FREE);
      expect(thisCpu().sys.svcr).toBe(0);
      expect(w.vmm.thread.sme_state?.za).toBe(val(VMM, 1));
      expect(w.vmm.thread.uw.fpsimd_state.vregs).toBe(val(VMM, 1));
    });

    it('still turns ZA off when the state was already saved (TIF_FOREIGN_FPSTATE)', () => {
      const w = createKvmWorld();
      hostLive(w.vmm, { za: true, v: val(VMM, 1) });
      setFlag(w.vmm, TIF_FOREIGN_FPSTATE);
      nonPreemptible(() => fp.kvm_arch_vcpu_load_fp(w.vcpu));
      expect(w.vcpu.arch.fp_state).toBe(FP_STATE_FREE);
      expect(thisCpu().sys.svcr).toBe(0);
      // Nothing was saved: the registers were not the task's any more.
      expect(w.vmm.thread.sme_state?.za).toBe(ZERO);
    });

    it('ignores SVCR on a system without SME', () => {
      const w = createKvmWorld({ sme: false });
      hostLive(w.vmm, { v: val(VMM, 1) });
      nonPreemptible(() => fp.kvm_arch_vcpu_load_fp(w.vcpu));
      expect(w.vcpu.arch.fp_state).toBe(FP_STATE_HOST_OWNED);
    });

    // Killed the Stryker survivor that dropped the early return: without FP/SIMD there is no host
    // state to prepare, so the vcpu stays FREE and the task keeps TIF_SVE and its EL0 enables.
    it('does nothing on a machine without FP/SIMD', () => {
      const w = createKvmWorld();
      hostLive(w.vmm, { sve: true, v: val(VMM, 1) });
      w.machine.config.features.fpsimd = false;
      nonPreemptible(() => fp.kvm_arch_vcpu_load_fp(w.vcpu));
      expect(w.vcpu.arch.fp_state).toBe(FP_STATE_FREE);
      expect(hasFlag(w.vmm, TIF_SVE)).toBe(true);
      expect(vcpu_get_flag(w.vcpu, HOST_SVE_ENABLED)).toBe(0);
    });

    it('is a BUG for a task without user memory', () => {
      const w = createKvmWorld();
      w.vmm.mm = false;
      expect(() => nonPreemptible(() => fp.kvm_arch_vcpu_load_fp(w.vcpu))).toThrow(KernelBug);
      expect(findingsOf(w)).toEqual(['BUG:kvm_arch_vcpu_load_fp:BUG_ON']);
    });
  });

  describe('kvm_arch_vcpu_ctxflush_fp', () => {
    it.each([FP_STATE_HOST_OWNED, FP_STATE_GUEST_OWNED] as const)(
      'frees the registers (from %i) when TIF_FOREIGN_FPSTATE is set',
      (from) => {
        const w = createKvmWorld();
        w.vcpu.arch.fp_state = from;
        setFlag(w.vmm, TIF_FOREIGN_FPSTATE);
        fp.kvm_arch_vcpu_ctxflush_fp(w.vcpu);
        expect(w.vcpu.arch.fp_state).toBe(FP_STATE_FREE);
      },
    );

    it('keeps fp_state when the registers are still current', () => {
      const w = createKvmWorld();
      hostLive(w.vmm, { v: val(VMM, 1) });
      w.vcpu.arch.fp_state = FP_STATE_HOST_OWNED;
      fp.kvm_arch_vcpu_ctxflush_fp(w.vcpu);
      expect(w.vcpu.arch.fp_state).toBe(FP_STATE_HOST_OWNED);
    });
  });

  describe('kvm_arch_vcpu_ctxsync_fp', () => {
    it.each([
      [false, FP_STATE_FPSIMD],
      [true, FP_STATE_SVE],
    ] as const)('binds a guest-owned state to the CPU (SVE vcpu: %s)', (guestSve, toSave) => {
      const w = createKvmWorld({ guestSve });
      hostLive(w.vmm, { v: val(VMM, 1) });
      guestOwnsRegisters(w, val(GUEST, 1));
      local_irq_disable();
      fp.kvm_arch_vcpu_ctxsync_fp(w.vcpu);
      local_irq_enable();
      const last = w.kernel.percpu[0].fpsimd_last_state;
      expect(last.st).toBe(w.vcpu.arch.ctxt.fp_regs);
      expect(last.sve_state).toBe(w.vcpu.arch.sve_state);
      expect(last.sve_vl).toBe(w.vcpu.arch.sve_max_vl);
      expect(last.sme_state).toBeNull();
      expect(last.svcr?.obj).toBe(w.vcpu.arch);
      expect(last.fp_type?.obj).toBe(w.vcpu.arch);
      expect(last.to_save).toBe(toSave);
      expect(hasFlag(w.vmm, TIF_FOREIGN_FPSTATE)).toBe(false);
      expect(findingsOf(w)).toEqual([]);
    });

    it('leaves the binding alone when the guest does not own the registers', () => {
      const w = createKvmWorld();
      hostLive(w.vmm, { v: val(VMM, 1) });
      const before = { ...w.kernel.percpu[0].fpsimd_last_state };
      w.vcpu.arch.fp_state = FP_STATE_HOST_OWNED;
      local_irq_disable();
      fp.kvm_arch_vcpu_ctxsync_fp(w.vcpu);
      local_irq_enable();
      expect(w.kernel.percpu[0].fpsimd_last_state).toEqual(before);
    });

    it('warns when called with interrupts on', () => {
      const w = createKvmWorld();
      fp.kvm_arch_vcpu_ctxsync_fp(w.vcpu);
      expect(findingsOf(w)).toEqual(['WARN:kvm_arch_vcpu_ctxsync_fp:WARN_ON_ONCE']);
    });
  });

  describe('kvm_arch_vcpu_put_fp', () => {
    /** The guest ran, owned the registers, and its state was bound at exit. */
    function afterGuestRun(w: KvmWorld, v: number): void {
      hostLive(w.vmm, { v: val(VMM, 1) });
      nonPreemptible(() => fp.kvm_arch_vcpu_load_fp(w.vcpu));
      guestOwnsRegisters(w, v);
      local_irq_disable();
      fp.kvm_arch_vcpu_ctxsync_fp(w.vcpu);
      local_irq_enable();
    }

    it('saves an FPSIMD guest into the vcpu and flushes the CPU', () => {
      const w = createKvmWorld({ guestSve: false });
      afterGuestRun(w, val(GUEST, 1));
      nonPreemptible(() => fp.kvm_arch_vcpu_put_fp(w.vcpu));
      expect(w.vcpu.arch.ctxt.fp_regs.vregs).toBe(val(GUEST, 1));
      expect(w.vcpu.arch.fp_type).toBe(FP_STATE_FPSIMD);
      expect(w.kernel.percpu[0].fpsimd_last_state.st).toBeNull();
      expect(hasFlag(w.vmm, TIF_FOREIGN_FPSTATE)).toBe(true);
      // The host's state was never touched by the hooks.
      expect(w.vmm.thread.uw.fpsimd_state.vregs).toBe(ZERO);
      expect(findingsOf(w)).toEqual([]);
    });

    it('nVHE SVE guest: keeps the guest ZCR_EL1, restores the bound VL and saves SVE state', () => {
      const w = createKvmWorld({ guestSve: true, vhe: false });
      afterGuestRun(w, val(GUEST, 1));
      const cpu = thisCpu();
      cpu.sys.zcr_el2 = 3; // the hypervisor left EL2 at the vcpu's maximum VL (64 bytes)
      cpu.sys.zcr_el1 = 3; // the guest's own choice: the maximum too
      nonPreemptible(() => fp.kvm_arch_vcpu_put_fp(w.vcpu));
      expect(w.vcpu.arch.ctxt.sys_regs.ZCR_EL1).toBe(3);
      expect(cpu.sys.zcr_el1).toBe(3);
      expect(w.vcpu.arch.sve_state?.zlo).toBe(val(GUEST, 1));
      expect(w.vcpu.arch.sve_state?.zhi).toBe(val(GUEST, 1));
      expect(w.vcpu.arch.fp_type).toBe(FP_STATE_SVE);
      expect(findingsOf(w)).toEqual([]);
    });

    it('nVHE SVE guest with a smaller ZCR_EL1: raises ZCR_EL1 to the vcpu maximum before saving', () => {
      const w = createKvmWorld({ guestSve: true, vhe: false });
      afterGuestRun(w, val(GUEST, 1));
      const cpu = thisCpu();
      cpu.sys.zcr_el2 = 3;
      cpu.sys.zcr_el1 = 0;
      nonPreemptible(() => fp.kvm_arch_vcpu_put_fp(w.vcpu));
      expect(w.vcpu.arch.ctxt.sys_regs.ZCR_EL1).toBe(0);
      expect(cpu.sys.zcr_el1).toBe(3);
      // Raising the length keeps the bits the guest wrote at its own length (a bank keeps its
      // value; the bits above are the guest's to leave unspecified), so they are saved as written.
      expect(w.vcpu.arch.sve_state?.zlo).toBe(val(GUEST, 1));
      expect(w.vcpu.arch.sve_state?.p).toBe(val(GUEST, 1));
      expect(findingsOf(w)).toEqual([]);
    });

    it('VHE SVE guest: reads the guest ZCR_EL1 through ZCR_EL12 and does not rewrite it', () => {
      const w = createKvmWorld({ guestSve: true, vhe: true });
      afterGuestRun(w, val(GUEST, 1));
      const cpu = thisCpu();
      cpu.sys.zcr_el1 = 1;
      nonPreemptible(() => fp.kvm_arch_vcpu_put_fp(w.vcpu));
      expect(w.vcpu.arch.ctxt.sys_regs.ZCR_EL1).toBe(1);
      expect(cpu.sys.zcr_el1).toBe(1);
      expect(w.vcpu.arch.sve_state?.zlo).toBe(val(GUEST, 1));
      expect(findingsOf(w)).toEqual([]);
    });

    it.each([
      [true, true],
      [false, false],
    ] as const)('VHE, guest never used FP: restores EL0 SVE=%s and SME=%s access', (sve, sme) => {
      const w = createKvmWorld({ vhe: true });
      hostLive(w.vmm, { sve, v: val(VMM, 1) });
      if (sme) setFlag(w.vmm, TIF_SVE, false);
      // EL0's SME access is what the task had: set it by hand for this case.
      const cpu = thisCpu();
      if (sme) cpu.sys.cptr_el2 |= CPACR_EL1_SMEN_EL0EN;
      nonPreemptible(() => fp.kvm_arch_vcpu_load_fp(w.vcpu));
      // The hypervisor's exit left CPACR_EL1_DEFAULT.
      cpu.sys.cptr_el2 = 0x310000;
      nonPreemptible(() => fp.kvm_arch_vcpu_put_fp(w.vcpu));
      expect((cpu.sys.cptr_el2 & CPACR_EL1_ZEN_EL0EN) !== 0).toBe(sve);
      expect((cpu.sys.cptr_el2 & CPACR_EL1_SMEN_EL0EN) !== 0).toBe(sme);
      expect(cpu.sys.cptr_el2 & CPACR_EL1_SMEN_EL1EN).not.toBe(0);
      // Nothing was saved or flushed.
      expect(cpu.regs.V).toBe(val(VMM, 1));
      expect(hasFlag(w.vmm, TIF_FOREIGN_FPSTATE)).toBe(false);
    });

    it('nVHE, guest never used FP: leaves CPACR_EL1 alone', () => {
      const w = createKvmWorld({ vhe: false });
      hostLive(w.vmm, { sve: true, v: val(VMM, 1) });
      nonPreemptible(() => fp.kvm_arch_vcpu_load_fp(w.vcpu));
      const before = thisCpu().sys.cpacr_el1;
      nonPreemptible(() => fp.kvm_arch_vcpu_put_fp(w.vcpu));
      expect(thisCpu().sys.cpacr_el1).toBe(before);
    });
  });
});
