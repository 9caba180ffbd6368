// The host's answer to the FP/SVE/SME exits the hypervisor hands back (handle_exit.c), and the
// UNDEF it makes pending (inject_fault.c).

import { describe, expect, it } from 'vitest';
import { esr_make, ESR_ELx_EC_FP_ASIMD, ESR_ELx_EC_SME, ESR_ELx_EC_SVE, ESR_ELx_IL } from '@kvmfp/sysreg';
import { handle_exit, handle_exit_early } from './v6.4/handle_exit.js';
import {
  ARM_EXCEPTION_EL1_SERROR,
  ARM_EXCEPTION_IL,
  ARM_EXCEPTION_IRQ,
  ARM_EXCEPTION_TRAP,
  ARM_EXIT_WITH_SERROR_BIT,
} from './v6.4/kvm_asm.js';
import {
  EXCEPT_MASK,
  KVM_EXIT_FAIL_ENTRY,
  KVM_EXIT_UNKNOWN,
  PENDING_EXCEPTION,
  vcpu_get_flag,
} from './v6.4/kvm_host.js';
import { createKvmWorld } from './testing.js';

describe('handle_exit', () => {
  it.each([ESR_ELx_EC_FP_ASIMD, ESR_ELx_EC_SVE, ESR_ELx_EC_SME])(
    'EC %i reaching the host makes an AArch64 UNDEF pending and goes back to the guest',
    (ec) => {
      const w = createKvmWorld();
      w.vcpu.arch.fault.esr_el2 = esr_make(ec, 0);
      expect(handle_exit(w.vcpu, ARM_EXCEPTION_TRAP)).toBe(1);
      expect(vcpu_get_flag(w.vcpu, PENDING_EXCEPTION)).not.toBe(0);
      expect(vcpu_get_flag(w.vcpu, EXCEPT_MASK)).toBe(0);
      expect(w.vcpu.arch.ctxt.sys_regs.ESR_EL1).toBe(ESR_ELx_IL);
      expect(w.vcpu.run.exit_reason).toBe(KVM_EXIT_UNKNOWN);
    },
  );

  it('an AArch32 guest gets an AArch32 UNDEF (no ESR_EL1)', () => {
    const w = createKvmWorld({ aarch32: true });
    w.vcpu.arch.fault.esr_el2 = esr_make(ESR_ELx_EC_FP_ASIMD, 0);
    expect(handle_exit(w.vcpu, ARM_EXCEPTION_TRAP)).toBe(1);
    expect(vcpu_get_flag(w.vcpu, PENDING_EXCEPTION)).not.toBe(0);
    expect(w.vcpu.arch.ctxt.sys_regs.ESR_EL1).toBe(0);
  });

  it('IRQ and SError exits go straight back; an illegal exception return is fatal', () => {
    const w = createKvmWorld();
    expect(handle_exit(w.vcpu, ARM_EXCEPTION_IRQ)).toBe(1);
    expect(handle_exit(w.vcpu, ARM_EXCEPTION_EL1_SERROR)).toBe(1);
    expect(handle_exit(w.vcpu, (ARM_EXCEPTION_TRAP | (1 << ARM_EXIT_WITH_SERROR_BIT)) >>> 0)).toBe(1);
    handle_exit_early(w.vcpu, ARM_EXCEPTION_IRQ);
    expect(vcpu_get_flag(w.vcpu, PENDING_EXCEPTION)).toBe(0);
    expect(handle_exit(w.vcpu, ARM_EXCEPTION_IL)).toBe(-22);
    expect(w.vcpu.run.exit_reason).toBe(KVM_EXIT_FAIL_ENTRY);
  });
});
