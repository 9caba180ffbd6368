// KVM_RUN end to end through a revision's entry table: vcpu load, the run loop's preemption
// points, guest entry and exit, the hypervisor's lazy FP switch, the host's UNDEF answers, the
// preempt notifiers, and vcpu put; for VHE and nVHE, SVE and non-SVE guests, both revisions.

import { describe, expect, it } from 'vitest';
import {
  E,
  fpsimdTesting,
  kernel_neon_begin,
  kernel_neon_end,
  preempt_disable,
  preempt_enable,
  TIF_FOREIGN_FPSTATE,
  TIF_SIGPENDING,
} from '@kvmfp/fpsimd';
import {
  ARM_EXCEPTION_IRQ,
  ARM_EXCEPTION_TRAP,
  EINTR,
  FP_STATE_FREE,
  FP_STATE_GUEST_OWNED,
  FP_STATE_HOST_OWNED,
  KVM_EXIT_INTR,
  kvmTesting,
} from '@kvmfp/kvm-fpsimd';
import { thisCpu, ZERO } from '@kvmfp/machine';
import {
  CPACR_EL1_FPEN,
  CPACR_EL1_SMEN,
  CPACR_EL1_ZEN,
  CPTR_EL2_TFP,
  CPTR_EL2_TSM,
  CPTR_EL2_TZ,
  esr_make,
  ESR_ELx_EC_FP_ASIMD,
  ESR_ELx_EC_SME,
  ESR_ELx_EC_SVE,
  ESR_ELx_EC,
  ESR_ELx_IL,
  HCR_TGE,
  test_bits64,
} from '@kvmfp/sysreg';
import { guestInsn, kvmRun, kvmWorld, type Rev, untilGuest } from './testing.js';

const { hostLive, val, VMM, GUEST, KNEON, hasFlag, setFlag } = kvmTesting;
const { findingsOf } = fpsimdTesting;

const LOOP_TOP = 'kvm_arch_vcpu_ioctl_run:loop top';
const IRQ_WINDOW = 'kvm_arch_vcpu_ioctl_run:irq window after exit';

/** The guest's saved FP/SIMD registers as the vcpu holds them (SVE vcpus keep them in sve_state). */
function guestSaved(w: kvmTesting.KvmWorld): number | undefined {
  return w.vcpu.arch.fp_type === 2 ? w.vcpu.arch.sve_state?.zlo : w.vcpu.arch.ctxt.fp_regs.vregs;
}

/** Runs the guest's instruction of class `cls`: if it traps to EL2, the exit goes to the path. */
function guestFpTrap(path: ReturnType<typeof kvmRun>, cls: 'fp' | 'sve' | 'smstart') {
  const out = guestInsn(cls);
  if (out.kind !== 'trap' || out.el !== 2)
    throw new Error(`expected a trap to EL2, got ${JSON.stringify(out)}`);
  thisCpu().sys.esr_el2 = esr_make(out.ec, out.iss);
  return { ec: out.ec, stop: untilGuest(path, ARM_EXCEPTION_TRAP) };
}

describe.each(['v6.3', 'v6.4'] as Rev[])('KVM_RUN %s', (rev) => {
  describe.each([
    [true, false],
    [true, true],
    [false, false],
    [false, true],
  ])('VHE %s, SVE guest %s', (vhe, guestSve) => {
    it('switches lazily: host saved once on first guest FP use, guest saved at vcpu put', () => {
      const w = kvmWorld(rev, { vhe, guestSve });
      hostLive(w.vmm, { v: val(VMM, 1) });
      const path = kvmRun(w);

      let s = untilGuest(path);
      expect(s.kind).toBe('guest');
      expect(s.points).toEqual([LOOP_TOP]);
      const cpu = thisCpu();
      expect(cpu.el).toBe(1);
      expect(cpu.world).toBe('guest');
      expect(w.vcpu.arch.fp_state).toBe(FP_STATE_HOST_OWNED);
      expect(w.vcpu.arch.host_fpsimd_state).toBe(w.vmm.thread.uw.fpsimd_state);
      expect(test_bits64(cpu.sys.hcr_el2, HCR_TGE)).toBe(false);
      expect(cpu.sys.cpacr_el1 & CPACR_EL1_FPEN).toBe(CPACR_EL1_FPEN); // the guest's own
      // FP, SVE and SME are trapped to EL2 until the guest owns the registers.
      if (vhe) expect(cpu.sys.cptr_el2 & (CPACR_EL1_FPEN | CPACR_EL1_ZEN | CPACR_EL1_SMEN)).toBe(0);
      else
        expect(cpu.sys.cptr_el2 & (CPTR_EL2_TFP | CPTR_EL2_TZ | CPTR_EL2_TSM)).toBe(
          CPTR_EL2_TFP | CPTR_EL2_TZ | CPTR_EL2_TSM,
        );
      // The host's registers are still live: nothing saved yet.
      expect(cpu.regs.V).toBe(val(VMM, 1));
      expect(w.vmm.thread.uw.fpsimd_state.vregs).toBe(ZERO);

      const t = guestFpTrap(path, guestSve ? 'sve' : 'fp');
      expect(t.ec).toBe(guestSve ? ESR_ELx_EC_SVE : ESR_ELx_EC_FP_ASIMD);
      s = t.stop;
      // Handled at EL2: straight back into the guest, no host run-loop points in between.
      expect(s.kind).toBe('guest');
      expect(s.points).toEqual([]);
      expect(w.vcpu.arch.fp_state).toBe(FP_STATE_GUEST_OWNED);
      expect(w.vmm.thread.uw.fpsimd_state.vregs).toBe(val(VMM, 1));
      expect(cpu.regs.V).toBe(ZERO); // the guest's initial registers
      expect(guestInsn(guestSve ? 'sve' : 'fp').kind).toBe('execute');
      if (!guestSve) expect(guestInsn('sve').kind).not.toBe('execute');

      cpu.regs.V = val(GUEST, 1);

      // An interrupt ends the run; a signal is pending for the VMM, so KVM_RUN returns.
      setFlag(w.vmm, TIF_SIGPENDING);
      s = untilGuest(path, ARM_EXCEPTION_IRQ);
      expect(s).toEqual({
        kind: 'done',
        value: -EINTR,
        points: [
          IRQ_WINDOW,
          'kvm_arch_vcpu_ioctl_run:irqs on, preemption off',
          'kvm_arch_vcpu_ioctl_run:after preempt_enable',
          LOOP_TOP,
        ],
      });
      expect(w.vcpu.run.exit_reason).toBe(KVM_EXIT_INTR);
      expect(cpu.el).toBe(vhe ? 2 : 1);
      expect(cpu.world).toBe('host');
      expect(guestSaved(w)).toBe(val(GUEST, 1));
      expect(w.vmm.thread.uw.fpsimd_state.vregs).toBe(val(VMM, 1));
      expect(hasFlag(w.vmm, TIF_FOREIGN_FPSTATE)).toBe(true);
      expect(w.kernel.percpu[0].fpsimd_last_state.st).toBeNull();
      expect(w.vcpu.cpu).toBe(-1);
      expect(w.vcpu.preempt_notifier_registered).toBe(false);
      expect(w.kernel.percpu[0].preempt_count).toBe(0);
      expect(w.kernel.percpu[0].irqs_disabled).toBe(false);
      expect(findingsOf(w)).toEqual([]);
    });

    it('a preemption between runs puts and reloads the vcpu; the guest gets its registers back', () => {
      const w = kvmWorld(rev, { vhe, guestSve });
      hostLive(w.vmm, { v: val(VMM, 1) });
      const path = kvmRun(w);
      untilGuest(path);
      guestFpTrap(path, guestSve ? 'sve' : 'fp');
      thisCpu().regs.V = val(GUEST, 1);

      // The next loop top: the task is switched out (notifier: vcpu put), another task uses the
      // registers, then the task comes back (notifier: vcpu load).
      const s = untilGuest(path, ARM_EXCEPTION_IRQ, (label) => {
        if (label !== LOOP_TOP) return;
        preempt_disable();
        E.kvm_sched_out(w.vcpu);
        expect(guestSaved(w)).toBe(val(GUEST, 1));
        thisCpu().regs.V = val(KNEON, 1);
        E.kvm_sched_in(w.vcpu, 0);
        preempt_enable();
      });
      expect(s.kind).toBe('guest');
      // The registers are nobody's: the next guest FP trap must not save them as the host's.
      expect(w.vcpu.arch.fp_state).toBe(FP_STATE_FREE);
      guestFpTrap(path, guestSve ? 'sve' : 'fp');
      expect(thisCpu().regs.V).toBe(val(GUEST, 1));
      expect(w.vmm.thread.uw.fpsimd_state.vregs).toBe(val(VMM, 1));
      expect(findingsOf(w)).toEqual([]);
    });

    it('an SME instruction from the guest exits to the host and comes back as an UNDEF', () => {
      // A guest that enabled SME for itself although KVM does not offer it.
      const w = kvmWorld(rev, {
        vhe,
        guestSve,
        guestCpacrEl1: CPACR_EL1_FPEN | CPACR_EL1_ZEN | CPACR_EL1_SMEN,
      });
      hostLive(w.vmm, { v: val(VMM, 1) });
      const path = kvmRun(w);
      untilGuest(path);
      const t = guestFpTrap(path, 'smstart');
      expect(t.ec).toBe(ESR_ELx_EC_SME);
      expect(t.stop.kind).toBe('guest');
      expect(t.stop.points).toContain(LOOP_TOP);
      const esr = w.vcpu.arch.ctxt.regs.exception_taken;
      expect(esr).not.toBeNull();
      expect(ESR_ELx_EC(esr ?? -1)).toBe(0);
      expect((esr ?? 0) & ESR_ELx_IL).toBe(ESR_ELx_IL);
      // The host's registers were never touched.
      expect(w.vcpu.arch.fp_state).toBe(FP_STATE_HOST_OWNED);
      expect(findingsOf(w)).toEqual([]);
    });
  });

  it('an SVE instruction from a non-SVE guest comes back as an UNDEF (VHE)', () => {
    const w = kvmWorld(rev, { vhe: true, guestSve: false, guestCpacrEl1: CPACR_EL1_FPEN | CPACR_EL1_ZEN });
    hostLive(w.vmm, { v: val(VMM, 1) });
    const path = kvmRun(w);
    untilGuest(path);
    const t = guestFpTrap(path, 'sve');
    expect(t.ec).toBe(ESR_ELx_EC_SVE);
    expect(t.stop.points).toContain(LOOP_TOP);
    expect(w.vcpu.arch.ctxt.regs.exception_taken).not.toBeNull();
  });

  it('nVHE: a non-SVE guest that owns the FP registers runs SVE instructions untrapped', () => {
    // v6.4 builds CPTR_EL2 from CPTR_EL2_DEFAULT and sets TZ only while the guest does not own
    // the FP registers, whatever the vcpu's SVE configuration; VHE clears ZEN for non-SVE vcpus.
    const w = kvmWorld(rev, { vhe: false, guestSve: false, guestCpacrEl1: CPACR_EL1_FPEN | CPACR_EL1_ZEN });
    hostLive(w.vmm, { v: val(VMM, 1) });
    const path = kvmRun(w);
    untilGuest(path);
    expect(guestInsn('sve')).toMatchObject({ kind: 'trap', el: 2, ec: ESR_ELx_EC_SVE });
    guestFpTrap(path, 'fp');
    // Within this run the hypervisor lifted TFP only; TZ is still set.
    expect(guestInsn('sve')).toMatchObject({ kind: 'trap', el: 2, ec: ESR_ELx_EC_SVE });
    // After any exit and re-entry with the registers still the guest's, TZ is clear.
    const s = untilGuest(path, ARM_EXCEPTION_IRQ);
    expect(s.kind).toBe('guest');
    expect(w.vcpu.arch.fp_state).toBe(FP_STATE_GUEST_OWNED);
    expect(thisCpu().sys.cptr_el2 & CPTR_EL2_TZ).toBe(0);
    expect(guestInsn('sve').kind).toBe('execute');
  });

  it('nVHE: the host is left with SVE trapped to EL2 after an SVE guest; handle_trap lifts it', () => {
    const w = kvmWorld(rev, { vhe: false, guestSve: true });
    hostLive(w.vmm, { v: val(VMM, 1) });
    const path = kvmRun(w);
    untilGuest(path);
    guestFpTrap(path, 'sve');
    untilGuest(path, ARM_EXCEPTION_IRQ, (label) => {
      if (label !== IRQ_WINDOW) return;
      const cpu = thisCpu();
      expect(cpu.el).toBe(1);
      expect(cpu.sys.cptr_el2 & CPTR_EL2_TZ).toBe(CPTR_EL2_TZ);
      expect(cpu.sys.cptr_el2 & CPTR_EL2_TSM).toBe(0);
      E.__kvm_hyp_host_vector_sync(esr_make(ESR_ELx_EC_SVE, 0));
      expect(cpu.sys.cptr_el2 & CPTR_EL2_TZ).toBe(0);
      expect(cpu.sys.zcr_el2).toBe(15);
      expect(cpu.el).toBe(1);
    });
    expect(findingsOf(w)).toEqual([]);
  });

  describe('kernel-mode NEON in the IRQ window after an SVE guest lowered its own VL', () => {
    function run(vhe: boolean) {
      const w = kvmWorld(rev, { vhe, guestSve: true });
      hostLive(w.vmm, { v: val(VMM, 1) });
      const path = kvmRun(w);
      untilGuest(path);
      guestFpTrap(path, 'sve');
      const cpu = thisCpu();
      cpu.sys.zcr_el1 = 0; // the guest picks a 128-bit VL for itself
      cpu.regs.V = val(GUEST, 1);
      untilGuest(path, ARM_EXCEPTION_IRQ, (label) => {
        if (label !== IRQ_WINDOW) return;
        // nVHE: the host's first SVE instruction traps to EL2 first (CPTR_EL2.TZ).
        if (!vhe) E.__kvm_hyp_host_vector_sync(esr_make(ESR_ELx_EC_SVE, 0));
        const pcpu = w.kernel.percpu[0];
        pcpu.in_softirq = true;
        kernel_neon_begin();
        thisCpu().regs.V = val(KNEON, 1);
        kernel_neon_end();
        pcpu.in_softirq = false;
      });
      return w;
    }

    it('VHE: the guest state is saved at the VL it was bound with', () => {
      const w = run(true);
      // With SME, fpsimd_save's read of SVCR traps at EL2 in this window (CPACR_EL1_DEFAULT has no
      // SMEN): fixtures/findings/vhe-sme-softirq-neon-after-exit-svcr-trap.yaml.
      expect(findingsOf(w)).toEqual(['fault:trap:MRS SVCR at EL2 traps to EL2 (EC 1d)']);
      expect(guestSaved(w)).toBe(val(GUEST, 1));
    });

    it('nVHE: the host runs with the guest ZCR_EL1, fpsimd_save finds the VL mismatch (WARN, SIGKILL)', () => {
      const w = run(false);
      expect(findingsOf(w)).toEqual(['WARN:fpsimd_save:WARN_ON', 'signal:fpsimd_save:signal 9']);
      // The guest's registers were never saved.
      expect(guestSaved(w)).toBe(ZERO);
    });
  });
});
