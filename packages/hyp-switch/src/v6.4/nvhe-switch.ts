// SPDX-License-Identifier: GPL-2.0-only
//
// The FP parts of arch/arm64/kvm/hyp/nvhe/switch.c (Linux v6.4): the guest run of an nVHE host.
// The host kernel runs at EL1 and enters the hypervisor at EL2 by hypercall; CPTR_EL2 (in its nVHE
// layout: TFP, TZ, TSM trap bits) decides which FP, SVE and SME accesses of the guest trap to EL2,
// and the EL1 registers (CPACR_EL1 among them) are switched between host and guest on every run.
// Not touched by the series; shared by both revisions. switch.h helpers go through the entry table.

import { E, type KernelPath } from '@kvmfp/fpsimd';
import {
  ARM64_SME,
  cpus_have_final_cap,
  FP_STATE_GUEST_OWNED,
  kvm_this_cpu_ptr,
  type kvm_vcpu,
  kvm_vm_is_protected,
  vcpu_has_sve,
} from '@kvmfp/kvm-fpsimd';
import {
  CPTR_EL2_DEFAULT,
  CPTR_EL2_TAM,
  CPTR_EL2_TFP,
  CPTR_EL2_TSM,
  CPTR_EL2_TTA,
  CPTR_EL2_TZ,
  ESR_ELx_EC_FP_ASIMD,
  ESR_ELx_EC_SVE,
  write_sysreg,
} from '@kvmfp/sysreg';
import { __guest_enter, __guest_world_is_host_again } from './entry.js';
import { __kvm_adjust_pc } from './exception.js';
import type { exit_handler_fn, u64_ptr } from './hyp-link.js';
import { kvm_handle_pvm_restricted } from './nvhe-sys-regs.js';
import { __sysreg_restore_state_nvhe, __sysreg_save_state_nvhe } from './nvhe-sysreg-sr.js';

// arch/arm64/kvm/hyp/nvhe/switch.c: __activate_traps (v6.4)
// Starts from the vcpu's CPTR_EL2 value; FP and SVE are trapped unless the guest already owns
// the registers, and SME is always trapped.
export function __activate_traps(vcpu: kvm_vcpu): void {
  let val: number;

  E.___activate_traps(vcpu);
  // __activate_traps_common: PMU, MDCR and the SME fine-grained traps are not modelled.

  val = vcpu.arch.cptr_el2;
  val |= CPTR_EL2_TTA | CPTR_EL2_TAM;
  if (!E.guest_owns_fp_regs(vcpu)) {
    val |= CPTR_EL2_TFP | CPTR_EL2_TZ;
    E.__activate_traps_fpsimd32(vcpu);
  }
  if (cpus_have_final_cap(ARM64_SME)) val |= CPTR_EL2_TSM;

  write_sysreg(val, 'cptr_el2');

  // Vector base and the speculative-AT errata ordering: not modelled.
}

// arch/arm64/kvm/hyp/nvhe/switch.c: __deactivate_traps (v6.4)
// The host gets CPTR_EL2_DEFAULT back, with SME untrapped and, while an SVE guest's registers are
// live, SVE still trapped: the host's first SVE access then comes to EL2 (handle_trap), which
// resets ZCR_EL2 for the host before letting it through.
export function __deactivate_traps(vcpu: kvm_vcpu): void {
  let cptr: number;

  // ___deactivate_traps, speculative-AT errata, __deactivate_traps_common: not FP.

  write_sysreg(kvm_this_cpu_ptr('kvm_init_params').hcr_el2, 'hcr_el2');

  cptr = CPTR_EL2_DEFAULT;
  if (vcpu_has_sve(vcpu) && vcpu.arch.fp_state === FP_STATE_GUEST_OWNED) cptr |= CPTR_EL2_TZ;
  if (cpus_have_final_cap(ARM64_SME)) cptr &= ~CPTR_EL2_TSM;

  write_sysreg(cptr, 'cptr_el2');
  // The host vector base: not modelled.
}

/** ESR_ELx_EC_MAX. */
const ESR_ELx_EC_MAX = 0x3f;

const kvm_hyp_handle_fpsimd: exit_handler_fn = (vcpu: kvm_vcpu, exit_code: u64_ptr) =>
  E.kvm_hyp_handle_fpsimd(vcpu, exit_code);

// arch/arm64/kvm/hyp/nvhe/switch.c: hyp_exit_handlers (v6.4), the FP/SVE entries
// As with VHE: FP and SVE traps to kvm_hyp_handle_fpsimd, SME traps to the host.
const hyp_exit_handlers: (exit_handler_fn | null)[] = Array.from({ length: ESR_ELx_EC_MAX + 1 }, (_, ec) => {
  switch (ec) {
    case ESR_ELx_EC_SVE:
    case ESR_ELx_EC_FP_ASIMD:
      return kvm_hyp_handle_fpsimd;
    default:
      return null;
  }
});

// arch/arm64/kvm/hyp/nvhe/switch.c: pvm_exit_handlers (v6.4), the FP/SVE entries
// A protected VM never gets SVE: its SVE traps are answered at EL2 with an UNDEF.
const pvm_exit_handlers: (exit_handler_fn | null)[] = Array.from({ length: ESR_ELx_EC_MAX + 1 }, (_, ec) => {
  switch (ec) {
    case ESR_ELx_EC_SVE:
      return kvm_handle_pvm_restricted;
    case ESR_ELx_EC_FP_ASIMD:
      return kvm_hyp_handle_fpsimd;
    default:
      return null;
  }
});

// arch/arm64/kvm/hyp/nvhe/switch.c: kvm_get_exit_handler_array (v6.4)
// kvm_vm_is_protected() is constant false in v6.4, so the protected table is never chosen.
export function kvm_get_exit_handler_array(vcpu: kvm_vcpu): readonly (exit_handler_fn | null)[] {
  if (kvm_vm_is_protected(vcpu.kvm)) return pvm_exit_handlers;

  return hyp_exit_handlers;
}

// arch/arm64/kvm/hyp/nvhe/switch.c: __kvm_vcpu_run (v6.4)
// The host's EL1 registers are saved and the guest's loaded, traps go on, a pending exception is
// delivered, and the guest runs until an exit the fast handlers do not resolve; then the reverse.
export function* __kvm_vcpu_run(vcpu: kvm_vcpu): KernelPath<number> {
  // GIC priority masking: not modelled.

  const host_ctxt = kvm_this_cpu_ptr('kvm_host_data').host_ctxt;
  host_ctxt.__hyp_running_vcpu = vcpu;
  const guest_ctxt = vcpu.arch.ctxt;

  // PMU switch: not FP.

  __sysreg_save_state_nvhe(host_ctxt);
  // SPE/TRBE buffers, DSB: not FP.

  __kvm_adjust_pc(vcpu);

  // __sysreg32_restore_state: not FP.
  __sysreg_restore_state_nvhe(guest_ctxt);

  // Stage 2: not FP.
  __activate_traps(vcpu);

  // vgic, timer, debug: not FP.

  const exit_code: u64_ptr = { val: 0 };
  do {
    exit_code.val = yield* __guest_enter(vcpu);
  } while (E.fixup_guest_exit(vcpu, exit_code));

  __sysreg_save_state_nvhe(guest_ctxt);
  // __sysreg32_save_state, timer, vgic, DSB: not FP.

  __deactivate_traps(vcpu);
  // Host stage 2: not FP.

  __sysreg_restore_state_nvhe(host_ctxt);
  __guest_world_is_host_again();

  if (vcpu.arch.fp_state === FP_STATE_GUEST_OWNED) E.__fpsimd_save_fpexc32(vcpu);

  // Debug, SPE/TRBE, PMU, GIC priority: not FP.

  host_ctxt.__hyp_running_vcpu = null;

  return exit_code.val;
}
