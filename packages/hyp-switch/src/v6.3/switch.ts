// SPDX-License-Identifier: GPL-2.0-only
//
// Port of the FP parts of arch/arm64/kvm/hyp/include/hyp/switch.h: the hypervisor's lazy FP
// switch. The guest runs with FP (and SVE) access trapped to EL2 until it first uses them;
// kvm_hyp_handle_fpsimd then saves the host's FPSIMD registers (if they are still the host's),
// loads the guest's and lets the guest go on without trapping. Also the pieces of the trap set-up
// and of the exit path that the VHE and nVHE switch files share.
//
// The v6.3 and v6.4 revisions of this file differ only in how kvm_hyp_handle_fpsimd filters the
// exception class (d071cefdcca3: an if became a switch), as the kernel's do. Other v6.4 changes to
// this header (PMUSERENR, CNTPCT emulation) are outside the FP model and not ported in either.

import { deref, has_vhe, isb, sve_cond_update_zcr_vq, system_supports_fpsimd } from '@kvmfp/fpsimd';
import {
  ARM_EXCEPTION_CODE,
  ARM_EXCEPTION_IRQ,
  ARM_EXCEPTION_TRAP,
  FP_STATE_GUEST_OWNED,
  FP_STATE_HOST_OWNED,
  FPEXC32_EL2,
  type kvm_vcpu,
  kvm_vcpu_trap_get_class,
  read_sysreg_el2,
  SYS_ESR,
  SYS_ZCR,
  vcpu_el1_is_32bit_hyp,
  vcpu_has_sve,
  vcpu_sve_max_vq,
  vcpu_sve_pffr,
  write_sysreg_el1,
  ZCR_EL1,
} from '@kvmfp/kvm-fpsimd';
import { __fpsimd_restore_state, __fpsimd_save_state, __sve_restore_state } from '@kvmfp/machine';
import {
  CPACR_EL1_FPEN_EL0EN,
  CPACR_EL1_FPEN_EL1EN,
  CPACR_EL1_ZEN_EL0EN,
  CPACR_EL1_ZEN_EL1EN,
  CPTR_EL2_TFP,
  CPTR_EL2_TZ,
  ESR_ELx_EC_FP_ASIMD,
  HCR_RW,
  read_sysreg,
  SYS_ZCR_EL2,
  sysreg_clear_set,
  test_bits64,
  write_sysreg,
} from '@kvmfp/sysreg';
import { kvm_get_exit_handler_array, type u64_ptr } from '../v6.4/hyp-link.js';

// arch/arm64/kvm/hyp/include/hyp/switch.h: guest_owns_fp_regs (v6.3)
export function guest_owns_fp_regs(vcpu: kvm_vcpu): boolean {
  return vcpu.arch.fp_state === FP_STATE_GUEST_OWNED;
}

// arch/arm64/kvm/hyp/include/hyp/switch.h: __fpsimd_save_fpexc32 (v6.3)
// FPEXC32_EL2 exists for AArch32 guests only; it travels with the guest's FP state.
export function __fpsimd_save_fpexc32(vcpu: kvm_vcpu): void {
  if (!vcpu_el1_is_32bit_hyp(vcpu)) return;

  vcpu.arch.ctxt.sys_regs[FPEXC32_EL2] = read_sysreg('fpexc32_el2');
}

// arch/arm64/kvm/hyp/include/hyp/switch.h: __activate_traps_fpsimd32 (v6.3)
// An AArch32 guest can disable FP itself through FPEXC.EN, and a trap to its EL1 would win over
// the EL2 trap KVM relies on; so FPEXC.EN is forced on while FP accesses are trapped to EL2.
export function __activate_traps_fpsimd32(vcpu: kvm_vcpu): void {
  if (vcpu_el1_is_32bit_hyp(vcpu) && system_supports_fpsimd()) {
    write_sysreg(1 << 30, 'fpexc32_el2');
    isb();
  }
}

// arch/arm64/kvm/hyp/include/hyp/switch.h: ___activate_traps (v6.3)
// The guest's HCR_EL2 goes live (for the FP model: E2H kept, TGE clear, RW per register width).
export function ___activate_traps(vcpu: kvm_vcpu): void {
  const hcr = vcpu.arch.hcr_el2;

  // The Cavium TX2 erratum's HCR_TVM and the RAS virtual SError syndrome: not modelled.

  write_sysreg(hcr, 'hcr_el2');
}

// arch/arm64/kvm/hyp/include/hyp/switch.h: __hyp_sve_restore_guest (v6.3)
// EL2's vector length is set to the vcpu's maximum before the load, because that is the layout
// the vcpu's buffer is kept in; then the guest's own ZCR_EL1 goes back for when it runs.
export function __hyp_sve_restore_guest(vcpu: kvm_vcpu): void {
  sve_cond_update_zcr_vq(vcpu_sve_max_vq(vcpu) - 1, SYS_ZCR_EL2);
  __sve_restore_state(vcpu_sve_pffr(vcpu), vcpu.arch.ctxt.fp_regs);
  write_sysreg_el1(vcpu.arch.ctxt.sys_regs[ZCR_EL1], SYS_ZCR);
}

// arch/arm64/kvm/hyp/include/hyp/switch.h: kvm_hyp_handle_fpsimd (v6.3)
// The guest's first FP (or, for an SVE vcpu, SVE) access after entry. Returning false sends the
// exit on to the host, which injects an UNDEF (kvm_handle_unknown_ec / handle_sve /
// handle_no_fpsimd). Returning true re-enters the guest with its registers loaded.
export function kvm_hyp_handle_fpsimd(vcpu: kvm_vcpu, _exit_code: u64_ptr): boolean {
  let reg: number;

  if (!system_supports_fpsimd()) return false;

  const sve_guest = vcpu_has_sve(vcpu);
  const esr_ec = kvm_vcpu_trap_get_class(vcpu);

  // A vcpu without SVE gets no SVE trap handled here.
  if (!sve_guest && esr_ec !== ESR_ELx_EC_FP_ASIMD) return false;

  // From here the trap is the guest's to have: stop trapping what the guest may use, so that
  // the registers can be written now and the guest does not trap again.
  if (has_vhe()) {
    reg = CPACR_EL1_FPEN_EL0EN | CPACR_EL1_FPEN_EL1EN;
    if (sve_guest) reg |= CPACR_EL1_ZEN_EL0EN | CPACR_EL1_ZEN_EL1EN;

    sysreg_clear_set('cpacr_el1', 0, reg);
  } else {
    reg = CPTR_EL2_TFP;
    if (sve_guest) reg |= CPTR_EL2_TZ;

    sysreg_clear_set('cptr_el2', reg, 0);
  }
  isb();

  // Only if the registers still hold the host task's state is there anything to save; the host
  // keeps no SVE state across KVM_RUN (fpsimd_kvm_prepare), so FPSIMD is all there is.
  if (vcpu.arch.fp_state === FP_STATE_HOST_OWNED)
    __fpsimd_save_state(deref(vcpu.arch.host_fpsimd_state, 'vcpu->arch.host_fpsimd_state'));

  if (sve_guest) __hyp_sve_restore_guest(vcpu);
  else __fpsimd_restore_state(vcpu.arch.ctxt.fp_regs);

  // FPEXC32_EL2 matters to AArch32 guests only.
  if (!test_bits64(read_sysreg('hcr_el2'), HCR_RW))
    write_sysreg(vcpu.arch.ctxt.sys_regs[FPEXC32_EL2], 'fpexc32_el2');

  vcpu.arch.fp_state = FP_STATE_GUEST_OWNED;

  return true;
}

// arch/arm64/kvm/hyp/include/hyp/switch.h: kvm_hyp_handle_exit (v6.3)
// A trap the running hypervisor has a fast handler for is dealt with at EL2.
export function kvm_hyp_handle_exit(vcpu: kvm_vcpu, exit_code: u64_ptr): boolean {
  const handlers = kvm_get_exit_handler_array(vcpu);
  const fn = handlers[kvm_vcpu_trap_get_class(vcpu)];

  if (fn) return fn(vcpu, exit_code);

  return false;
}

// arch/arm64/kvm/hyp/include/hyp/switch.h: fixup_guest_exit (v6.3)
// True: the exit was handled at EL2 and the guest is re-entered; false: back to the host.
export function fixup_guest_exit(vcpu: kvm_vcpu, exit_code: u64_ptr): boolean {
  // synchronize_vcpu_pstate and early_exit_filter: guest PSTATE, NV and protected VMs are not
  // modelled.

  if (ARM_EXCEPTION_CODE(exit_code.val) !== ARM_EXCEPTION_IRQ)
    vcpu.arch.fault.esr_el2 = read_sysreg_el2(SYS_ESR);

  // The ELR fix-up for an SError pending over an HVC: SErrors are not modelled.

  // Only a plain trap (no SError pending) is offered to the fast handlers.
  if (exit_code.val !== ARM_EXCEPTION_TRAP) return false;

  if (kvm_hyp_handle_exit(vcpu, exit_code)) return true;

  return false;
}
