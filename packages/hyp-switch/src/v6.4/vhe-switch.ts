// SPDX-License-Identifier: GPL-2.0-only
//
// The FP parts of arch/arm64/kvm/hyp/vhe/switch.c (Linux v6.4): the guest run of a VHE host. The
// host kernel is the hypervisor here (EL2, E2H set); CPACR_EL1 accesses reach CPTR_EL2 in its
// CPACR layout, which is where the guest's FP/SVE/SME traps are set and cleared. Not touched by the
// series; shared by both revisions. The switch.h helpers it uses are called through the entry
// table, so each revision's (or a mutant's) switch.h is the one that runs.

import { E, type KernelPath } from '@kvmfp/fpsimd';
import { FP_STATE_GUEST_OWNED, kvm_this_cpu_ptr, type kvm_vcpu, vcpu_has_sve } from '@kvmfp/kvm-fpsimd';
import {
  CPACR_EL1_FPEN_EL0EN,
  CPACR_EL1_FPEN_EL1EN,
  CPACR_EL1_SMEN_EL0EN,
  CPACR_EL1_SMEN_EL1EN,
  CPACR_EL1_ZEN_EL0EN,
  CPACR_EL1_ZEN_EL1EN,
  CPACR_ELx_TTA,
  CPTR_EL2_TAM,
  ESR_ELx_EC_FP_ASIMD,
  ESR_ELx_EC_SVE,
  HCR_HOST_VHE_FLAGS,
  read_sysreg,
  write_sysreg,
} from '@kvmfp/sysreg';
import { __guest_enter, __guest_world_is_host_again } from './entry.js';
import { __kvm_adjust_pc } from './exception.js';
import type { exit_handler_fn, u64_ptr } from './hyp-link.js';

/** CPACR_EL1_DEFAULT (asm/kvm_arm.h): FP for EL0 and EL1, SVE for EL1 only, no SME. */
export const CPACR_EL1_DEFAULT = CPACR_EL1_FPEN_EL0EN | CPACR_EL1_FPEN_EL1EN | CPACR_EL1_ZEN_EL1EN;

// arch/arm64/kvm/hyp/vhe/switch.c: __activate_traps (v6.4)
// SVE and SME are always trapped to start with; FP is trapped too unless the guest already owns
// the registers, in which case an SVE vcpu gets SVE untrapped as well.
export function __activate_traps(vcpu: kvm_vcpu): void {
  let val: number;

  E.___activate_traps(vcpu);

  val = read_sysreg('cpacr_el1');
  val |= CPACR_ELx_TTA;
  val &= ~(CPACR_EL1_ZEN_EL0EN | CPACR_EL1_ZEN_EL1EN | CPACR_EL1_SMEN_EL0EN | CPACR_EL1_SMEN_EL1EN);

  // TAM sits at the same position in both CPTR_EL2 layouts, so the nVHE name serves here.
  val |= CPTR_EL2_TAM;

  if (E.guest_owns_fp_regs(vcpu)) {
    if (vcpu_has_sve(vcpu)) val |= CPACR_EL1_ZEN_EL0EN | CPACR_EL1_ZEN_EL1EN;
  } else {
    val &= ~(CPACR_EL1_FPEN_EL0EN | CPACR_EL1_FPEN_EL1EN);
    E.__activate_traps_fpsimd32(vcpu);
  }

  write_sysreg(val, 'cpacr_el1');

  // The hyp vector base: not modelled.
}

// arch/arm64/kvm/hyp/vhe/switch.c: __deactivate_traps (v6.4)
// The host's HCR_EL2 and a fixed CPACR_EL1_DEFAULT come back; the EL0 SVE/SME access the host
// task had is restored later, by kvm_arch_vcpu_put_fp.
export function __deactivate_traps(_vcpu: kvm_vcpu): void {
  // ___deactivate_traps (virtual SError bookkeeping): not modelled.

  write_sysreg(HCR_HOST_VHE_FLAGS, 'hcr_el2');

  // The speculative-AT errata ISB: nothing to order in the model.

  write_sysreg(CPACR_EL1_DEFAULT, 'cpacr_el1');

  // The host vector base: not modelled.
}

/** ESR_ELx_EC_MAX. */
const ESR_ELx_EC_MAX = 0x3f;

// arch/arm64/kvm/hyp/vhe/switch.c: hyp_exit_handlers (v6.4), the FP/SVE entries
// Both classes go to kvm_hyp_handle_fpsimd, which decides per vcpu. SME (EC 0x1d) has no entry:
// an SME trap always goes to the host. The other classes' handlers are not FP and not modelled.
const hyp_exit_handlers: (exit_handler_fn | null)[] = Array.from({ length: ESR_ELx_EC_MAX + 1 }, (_, ec) => {
  switch (ec) {
    case ESR_ELx_EC_SVE:
    case ESR_ELx_EC_FP_ASIMD:
      return (vcpu: kvm_vcpu, exit_code: u64_ptr) => E.kvm_hyp_handle_fpsimd(vcpu, exit_code);
    default:
      return null;
  }
});

// arch/arm64/kvm/hyp/vhe/switch.c: kvm_get_exit_handler_array (v6.4)
export function kvm_get_exit_handler_array(_vcpu: kvm_vcpu): readonly (exit_handler_fn | null)[] {
  return hyp_exit_handlers;
}

// arch/arm64/kvm/hyp/vhe/switch.c: __kvm_vcpu_run_vhe (v6.4)
// The guest's EL1 registers are already on the CPU (loaded at vcpu load). Traps go on, a pending
// exception is delivered, and the guest runs until an exit the fast handlers do not resolve.
export function* __kvm_vcpu_run_vhe(vcpu: kvm_vcpu): KernelPath<number> {
  const host_ctxt = kvm_this_cpu_ptr('kvm_host_data').host_ctxt;
  host_ctxt.__hyp_running_vcpu = vcpu;

  // sysreg_save_host_state_vhe, stage 2: not FP.
  __activate_traps(vcpu);

  __kvm_adjust_pc(vcpu);

  // sysreg_restore_guest_state_vhe (ELR/SPSR and friends), debug, VCPU_HYP_CONTEXT: not FP.

  const exit_code: u64_ptr = { val: 0 };
  do {
    exit_code.val = yield* __guest_enter(vcpu);
  } while (E.fixup_guest_exit(vcpu, exit_code));

  // sysreg_save_guest_state_vhe: not FP.

  __deactivate_traps(vcpu);

  // sysreg_restore_host_state_vhe: not FP.
  __guest_world_is_host_again();

  if (vcpu.arch.fp_state === FP_STATE_GUEST_OWNED) E.__fpsimd_save_fpexc32(vcpu);

  // Debug switch: not FP.

  return exit_code.val;
}

// arch/arm64/kvm/hyp/vhe/switch.c: __kvm_vcpu_run (v6.4)
// The caller already runs with IRQs off; DAIF and GIC priority masking are not modelled.
export function* __kvm_vcpu_run(vcpu: kvm_vcpu): KernelPath<number> {
  const ret = yield* __kvm_vcpu_run_vhe(vcpu);

  return ret;
}
