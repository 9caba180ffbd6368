// kvm_hyp_handle_fpsimd in both revisions: which exception classes it takes for SVE and non-SVE
// vcpus, that it saves the host's FPSIMD registers only while the host owns them, which traps it
// lifts, what it loads; and that, reached through the exit handler tables as the kernel reaches
// it, the v6.3 and v6.4 filters accept the same exits.

import { describe, expect, it } from 'vitest';
import { E, fpsimdTesting, installEntries } from '@kvmfp/fpsimd';
import {
  ARM_EXCEPTION_TRAP,
  FP_STATE_FREE,
  FP_STATE_GUEST_OWNED,
  FP_STATE_HOST_OWNED,
  FPEXC32_EL2,
  kvmTesting,
  type kvm_vcpu,
} from '@kvmfp/kvm-fpsimd';
import { thisCpu, ZERO } from '@kvmfp/machine';
import {
  CPACR_EL1_FPEN,
  CPACR_EL1_ZEN,
  CPTR_EL2_DEFAULT,
  CPTR_EL2_TFP,
  CPTR_EL2_TZ,
  esr_make,
  ESR_ELx_EC_FP_ASIMD,
  ESR_ELx_EC_SME,
  ESR_ELx_EC_SVE,
  ESR_ELx_EC_SYS64,
} from '@kvmfp/sysreg';
import { revisions } from './revisions.js';
import * as sw63 from './v6.3/switch.js';
import * as sw64 from './v6.4/switch.js';

const { createKvmWorld, hostLive, val, VMM, GUEST } = kvmTesting;
const { findingsOf } = fpsimdTesting;

const REVS = [
  ['v6.3', sw63],
  ['v6.4', sw64],
] as const;

interface HypSetup {
  vhe: boolean;
  guestSve: boolean;
  fpState?: 0 | 1 | 2;
  aarch32?: boolean;
  sve?: boolean;
}

/**
 * A world stopped in the hypervisor at EL2 after a guest trap: the VMM's FPSIMD state live, the
 * guest's saved in the vcpu, the traps of __activate_traps in force.
 */
function atEl2(s: HypSetup) {
  const w = createKvmWorld({ vhe: s.vhe, guestSve: s.guestSve, aarch32: s.aarch32, sve: s.sve });
  installEntries(revisions['v6.4']);
  E.kvm_arch_vcpu_run_map_fp(w.vcpu);
  hostLive(w.vmm, { v: val(VMM, 1) });
  const v = w.vcpu;
  v.arch.fp_state = s.fpState ?? FP_STATE_HOST_OWNED;
  v.arch.ctxt.fp_regs.vregs = val(GUEST, 1);
  v.arch.ctxt.fp_regs.fpsr = val(GUEST, 1);
  if (v.arch.sve_state) {
    v.arch.sve_state.zlo = v.arch.sve_state.zhi = v.arch.sve_state.p = v.arch.sve_state.ffr = val(GUEST, 1);
    v.arch.sve_state.layoutVq = v.arch.sve_max_vl / 16;
  }
  const cpu = thisCpu();
  cpu.el = 2;
  cpu.sys.hcr_el2 = v.arch.hcr_el2;
  if (s.vhe)
    cpu.sys.cptr_el2 = 0; // FPEN and ZEN clear: FP and SVE trapped (E2H layout)
  else cpu.sys.cptr_el2 = CPTR_EL2_DEFAULT | CPTR_EL2_TFP | CPTR_EL2_TZ;
  return { w, v, cpu };
}

function trap(v: kvm_vcpu, ec: number): void {
  v.arch.fault.esr_el2 = esr_make(ec, 0);
}

describe.each(REVS)('switch.h %s: kvm_hyp_handle_fpsimd', (_rev, sw) => {
  describe.each([true, false])('VHE %s', (vhe) => {
    it.each([
      // [vcpu has SVE, EC, handled]
      [false, ESR_ELx_EC_FP_ASIMD, true],
      [false, ESR_ELx_EC_SVE, false],
      [true, ESR_ELx_EC_FP_ASIMD, true],
      [true, ESR_ELx_EC_SVE, true],
    ] as const)('SVE vcpu %s, EC %i: handled %s', (guestSve, ec, handled) => {
      const { v } = atEl2({ vhe, guestSve });
      trap(v, ec);
      expect(sw.kvm_hyp_handle_fpsimd(v, { val: ARM_EXCEPTION_TRAP })).toBe(handled);
      expect(v.arch.fp_state).toBe(handled ? FP_STATE_GUEST_OWNED : FP_STATE_HOST_OWNED);
    });

    it('saves the host FPSIMD registers into the task when the host owns them', () => {
      const { w, v, cpu } = atEl2({ vhe, guestSve: false });
      trap(v, ESR_ELx_EC_FP_ASIMD);
      sw.kvm_hyp_handle_fpsimd(v, { val: ARM_EXCEPTION_TRAP });
      expect(w.vmm.thread.uw.fpsimd_state.vregs).toBe(val(VMM, 1));
      expect(cpu.regs.V).toBe(val(GUEST, 1));
      expect(cpu.regs.FPSR).toBe(val(GUEST, 1));
      expect(findingsOf(w)).toEqual([]);
    });

    it('saves nothing when the registers are free', () => {
      const { w, v, cpu } = atEl2({ vhe, guestSve: false, fpState: FP_STATE_FREE });
      trap(v, ESR_ELx_EC_FP_ASIMD);
      sw.kvm_hyp_handle_fpsimd(v, { val: ARM_EXCEPTION_TRAP });
      expect(w.vmm.thread.uw.fpsimd_state.vregs).toBe(ZERO);
      expect(cpu.regs.V).toBe(val(GUEST, 1));
    });

    it('lifts the FP traps (and the SVE traps for an SVE vcpu) only', () => {
      for (const guestSve of [false, true]) {
        const { v, cpu } = atEl2({ vhe, guestSve });
        trap(v, ESR_ELx_EC_FP_ASIMD);
        sw.kvm_hyp_handle_fpsimd(v, { val: ARM_EXCEPTION_TRAP });
        if (vhe) {
          expect(cpu.sys.cptr_el2 & CPACR_EL1_FPEN).toBe(CPACR_EL1_FPEN);
          expect(cpu.sys.cptr_el2 & CPACR_EL1_ZEN).toBe(guestSve ? CPACR_EL1_ZEN : 0);
        } else {
          expect(cpu.sys.cptr_el2 & CPTR_EL2_TFP).toBe(0);
          expect(cpu.sys.cptr_el2 & CPTR_EL2_TZ).toBe(guestSve ? 0 : CPTR_EL2_TZ);
        }
      }
    });

    it('loads an SVE vcpu at its maximum VL and puts its ZCR_EL1 back', () => {
      const { w, v, cpu } = atEl2({ vhe, guestSve: true });
      v.arch.ctxt.sys_regs.ZCR_EL1 = 1;
      cpu.sys.zcr_el2 = 0;
      trap(v, ESR_ELx_EC_SVE);
      sw.kvm_hyp_handle_fpsimd(v, { val: ARM_EXCEPTION_TRAP });
      expect(cpu.sys.zcr_el2).toBe(v.arch.sve_max_vl / 16 - 1);
      expect(cpu.sys.zcr_el1).toBe(1);
      expect(cpu.regs.V).toBe(val(GUEST, 1));
      expect(cpu.regs.Zhi).toBe(val(GUEST, 1));
      expect(cpu.regs.P).toBe(val(GUEST, 1));
      expect(w.vmm.thread.uw.fpsimd_state.vregs).toBe(val(VMM, 1));
    });

    it('restores FPEXC32_EL2 for an AArch32 guest only', () => {
      for (const aarch32 of [false, true]) {
        const { v, cpu } = atEl2({ vhe, guestSve: false, aarch32 });
        v.arch.ctxt.sys_regs[FPEXC32_EL2] = 0x4000_0000;
        cpu.sys.fpexc32_el2 = 0;
        trap(v, ESR_ELx_EC_FP_ASIMD);
        sw.kvm_hyp_handle_fpsimd(v, { val: ARM_EXCEPTION_TRAP });
        expect(cpu.sys.fpexc32_el2).toBe(aarch32 ? 0x4000_0000 : 0);
      }
    });
  });

  it('declines everything on a machine without FP/SIMD', () => {
    const { v, w } = atEl2({ vhe: true, guestSve: false });
    w.machine.config.features.fpsimd = false;
    trap(v, ESR_ELx_EC_FP_ASIMD);
    expect(sw.kvm_hyp_handle_fpsimd(v, { val: ARM_EXCEPTION_TRAP })).toBe(false);
  });
});

describe('the revision difference', () => {
  it('called directly with a class outside the tables, only v6.3 takes it (for an SVE vcpu)', () => {
    for (const ec of [ESR_ELx_EC_SME, ESR_ELx_EC_SYS64]) {
      const a = atEl2({ vhe: true, guestSve: true });
      trap(a.v, ec);
      expect(sw63.kvm_hyp_handle_fpsimd(a.v, { val: ARM_EXCEPTION_TRAP })).toBe(true);
      const b = atEl2({ vhe: true, guestSve: true });
      trap(b.v, ec);
      expect(sw64.kvm_hyp_handle_fpsimd(b.v, { val: ARM_EXCEPTION_TRAP })).toBe(false);
    }
  });

  it('through the exit handler tables, v6.3 and v6.4 handle exactly the same exits', () => {
    for (const vhe of [true, false])
      for (const guestSve of [false, true])
        for (let ec = 0; ec <= 0x3f; ec++) {
          const results = REVS.map(([, sw]) => {
            const { v, cpu } = atEl2({ vhe, guestSve });
            cpu.sys.esr_el2 = esr_make(ec, 0);
            const handled = sw.fixup_guest_exit(v, { val: ARM_EXCEPTION_TRAP });
            return { handled, fp_state: v.arch.fp_state, V: cpu.regs.V };
          });
          expect(results[0], `vhe ${vhe} sve ${guestSve} ec ${ec.toString(16)}`).toEqual(results[1]);
          const expectHandled = ec === ESR_ELx_EC_FP_ASIMD || (ec === ESR_ELx_EC_SVE && guestSve);
          expect(results[1].handled).toBe(expectHandled);
        }
  });

  it('an IRQ exit never reaches the handlers', () => {
    for (const [, sw] of REVS) {
      const { v, cpu } = atEl2({ vhe: false, guestSve: false });
      cpu.sys.esr_el2 = esr_make(ESR_ELx_EC_FP_ASIMD, 0);
      expect(sw.fixup_guest_exit(v, { val: 0 })).toBe(false);
      expect(v.arch.fp_state).toBe(FP_STATE_HOST_OWNED);
    }
  });
});
