// Mutants: a revision's entry table with one or more entries replaced by a deliberately wrong
// version, for the fixtures and the equivalence checker to tell apart from the real kernel. Each
// replacement is written next to its description; everything else is the base revision's.

import {
  BUG_ON,
  current,
  type EntryTable,
  fpsimd_kvm_prepare,
  system_supports_fpsimd,
  system_supports_sme,
} from '@kvmfp/fpsimd';
import {
  FP_STATE_HOST_OWNED,
  HOST_SME_ENABLED,
  HOST_SVE_ENABLED,
  type kvm_vcpu,
  vcpu_clear_flag,
  vcpu_set_flag,
} from '@kvmfp/kvm-fpsimd';
import { CPACR_EL1_SMEN_EL0EN, CPACR_EL1_ZEN_EL0EN, read_sysreg } from '@kvmfp/sysreg';

export interface Mutant {
  base: 'v6.4' | 'v6.3';
  description: string;
  replace: Partial<EntryTable>;
}

/**
 * kvm_arch_vcpu_load_fp (v6.4) without the streaming-mode check: a host task that enters KVM_RUN
 * with PSTATE.SM or PSTATE.ZA set keeps them, its FP state is not saved at load, and fp_state stays
 * FP_STATE_HOST_OWNED. The guest then runs with the host's PSTATE.SM.
 */
function loadFpLeavesSm(vcpu: kvm_vcpu): void {
  BUG_ON(!current().mm);

  if (!system_supports_fpsimd()) return;

  fpsimd_kvm_prepare();

  vcpu.arch.fp_state = FP_STATE_HOST_OWNED;

  vcpu_clear_flag(vcpu, HOST_SVE_ENABLED);
  if (read_sysreg('cpacr_el1') & CPACR_EL1_ZEN_EL0EN) vcpu_set_flag(vcpu, HOST_SVE_ENABLED);

  if (system_supports_sme()) {
    vcpu_clear_flag(vcpu, HOST_SME_ENABLED);
    if (read_sysreg('cpacr_el1') & CPACR_EL1_SMEN_EL0EN) vcpu_set_flag(vcpu, HOST_SME_ENABLED);
    // The mutation: no look at SVCR, so no save, no flush and no SMSTOP.
  }
}

/**
 * kvm_arch_vcpu_ctxflush_fp that ignores TIF_FOREIGN_FPSTATE: if something (kernel-mode NEON in a
 * softirq, say) used the registers after vcpu load, fp_state still says the host owns them, and
 * the hypervisor's FP trap saves whatever is in the registers over the host task's FPSIMD state.
 */
function ctxflushIgnoresForeign(_vcpu: kvm_vcpu): void {
  // The mutation: nothing is checked, fp_state is left as vcpu load set it.
}

export const mutants: Record<string, Mutant> = {
  'load-fp-leaves-sm': {
    base: 'v6.4',
    description:
      'kvm_arch_vcpu_load_fp does not save the FP state or leave streaming mode when PSTATE.SM/ZA is set',
    replace: { kvm_arch_vcpu_load_fp: loadFpLeavesSm },
  },
  'ctxflush-ignores-foreign': {
    base: 'v6.4',
    description: 'kvm_arch_vcpu_ctxflush_fp ignores TIF_FOREIGN_FPSTATE and leaves fp_state as HOST_OWNED',
    replace: { kvm_arch_vcpu_ctxflush_fp: ctxflushIgnoresForeign },
  },
};
