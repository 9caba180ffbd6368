// SPDX-License-Identifier: GPL-2.0-only
//
// Port of arch/arm64/kvm/fpsimd.c: how KVM hands the FP registers between the host task that runs
// a vcpu and the guest. The hooks only keep the books (fp_state, the per-CPU binding, the host's
// EL0 trap settings); the registers themselves move lazily, in the hypervisor's FP trap handler on
// the guest's first FP use and in the host's fpsimd_save on the way back.
//
// The v6.3 and v6.4 revisions of this file differ in comments only, as the kernel's do (Mark
// Brown's series: 4c181e3d352e and aaa2f14e6f3f).

import {
  BUG_ON,
  type cpu_fp_state,
  current,
  FP_STATE_FPSIMD,
  FP_STATE_SVE,
  fpsimd_bind_state_to_cpu,
  fpsimd_kvm_prepare,
  fpsimd_save_and_flush_cpu_state,
  has_vhe,
  irqs_disabled,
  isb,
  local_irq_restore,
  local_irq_save,
  sve_cond_update_zcr_vq,
  system_supports_fpsimd,
  system_supports_sme,
  system_supports_sve,
  test_thread_flag,
  clear_thread_flag,
  TIF_FOREIGN_FPSTATE,
  WARN_ON_ONCE,
} from '@kvmfp/fpsimd';
import {
  CPACR_EL1_SMEN_EL0EN,
  CPACR_EL1_SMEN_EL1EN,
  CPACR_EL1_ZEN_EL0EN,
  read_sysreg,
  read_sysreg_s,
  SVCR_SM_MASK,
  SVCR_ZA_MASK,
  SYS_SVCR,
  SYS_ZCR_EL1,
  sysreg_clear_set,
} from '@kvmfp/sysreg';
import {
  FP_STATE_FREE,
  FP_STATE_GUEST_OWNED,
  FP_STATE_HOST_OWNED,
  HOST_SME_ENABLED,
  HOST_SVE_ENABLED,
  type kvm_vcpu,
  vcpu_clear_flag,
  vcpu_get_flag,
  vcpu_has_sve,
  vcpu_set_flag,
  vcpu_sve_max_vq,
  ZCR_EL1,
} from '../v6.4/kvm_host.js';
import { read_sysreg_el1, SYS_ZCR } from '../v6.4/kvm_hyp.js';
import { kern_hyp_va, kvm_share_hyp } from '../v6.4/kvm_mmu.js';
import { is_protected_kvm_enabled } from '../v6.4/virt.js';

// arch/arm64/kvm/fpsimd.c: kvm_vcpu_unshare_task_fp (v6.3)
// Only protected KVM shares the task's FPSIMD storage with the hypervisor by page ownership; for
// every other mode there is nothing to undo.
export function kvm_vcpu_unshare_task_fp(vcpu: kvm_vcpu): void {
  const p = vcpu.arch.parent_task;

  if (!is_protected_kvm_enabled() || !p) return;

  // kvm_unshare_hyp(fpsimd, fpsimd + 1) and put_task_struct(p): page ownership and task
  // reference counting are not modelled (and unreachable while protected KVM is off).
}

// arch/arm64/kvm/fpsimd.c: kvm_arch_vcpu_run_map_fp (v6.3)
// Runs when a different task starts issuing KVM_RUN for this vcpu: the hypervisor's FP trap
// handler saves the host's FPSIMD registers straight into the running task's thread storage, so
// that storage must be reachable from hyp and the vcpu must point at it.
export function kvm_arch_vcpu_run_map_fp(vcpu: kvm_vcpu): number {
  const fpsimd = current().thread.uw.fpsimd_state;

  kvm_vcpu_unshare_task_fp(vcpu);

  const ret = kvm_share_hyp(fpsimd);
  if (ret) return ret;

  vcpu.arch.host_fpsimd_state = kern_hyp_va(fpsimd);

  // Protected KVM pins the task until the storage is unshared again.
  if (is_protected_kvm_enabled()) {
    vcpu.arch.parent_task = current();
  }

  return 0;
}

// arch/arm64/kvm/fpsimd.c: kvm_arch_vcpu_load_fp (v6.3)
// Called from vcpu load with preemption disabled. Nothing is saved here in the common case: the
// registers still hold current's state and are marked as the host's, and the first guest FP
// access traps to hyp, which saves them then. Streaming mode is the exception (see below).
export function kvm_arch_vcpu_load_fp(vcpu: kvm_vcpu): void {
  BUG_ON(!current().mm);

  if (!system_supports_fpsimd()) return;

  fpsimd_kvm_prepare();

  vcpu.arch.fp_state = FP_STATE_HOST_OWNED;

  vcpu_clear_flag(vcpu, HOST_SVE_ENABLED);
  if (read_sysreg('cpacr_el1') & CPACR_EL1_ZEN_EL0EN) vcpu_set_flag(vcpu, HOST_SVE_ENABLED);

  // SME guests are not supported yet. Should the CPU still be in streaming mode, the guest's
  // FPSIMD and SVE code could raise SME traps, so in that one case the host state is saved here
  // and streaming mode left, sparing KVM from handling SME traps for legal guest code. ZA gets
  // the same treatment for now because it is simpler.
  if (system_supports_sme()) {
    vcpu_clear_flag(vcpu, HOST_SME_ENABLED);
    if (read_sysreg('cpacr_el1') & CPACR_EL1_SMEN_EL0EN) vcpu_set_flag(vcpu, HOST_SME_ENABLED);

    if (read_sysreg_s(SYS_SVCR) & (SVCR_SM_MASK | SVCR_ZA_MASK)) {
      vcpu.arch.fp_state = FP_STATE_FREE;
      fpsimd_save_and_flush_cpu_state();
    }
  }
}

// arch/arm64/kvm/fpsimd.c: kvm_arch_vcpu_ctxflush_fp (v6.3)
// Runs with interrupts off right before guest entry. If anything used the FP registers since
// load (it will have saved what it clobbered), they belong to neither the host task nor the
// guest any more, so the hypervisor must not save them as the host's.
export function kvm_arch_vcpu_ctxflush_fp(vcpu: kvm_vcpu): void {
  if (test_thread_flag(TIF_FOREIGN_FPSTATE)) vcpu.arch.fp_state = FP_STATE_FREE;
}

// arch/arm64/kvm/fpsimd.c: kvm_arch_vcpu_ctxsync_fp (v6.3)
// Runs with interrupts off right after guest exit. If the guest's registers are live, the host's
// FP tracking is told so: the CPU's state now belongs to the vcpu's storage, so that whatever
// wants the registers next (kernel-mode NEON, a context switch, vcpu put) saves them there.
export function kvm_arch_vcpu_ctxsync_fp(vcpu: kvm_vcpu): void {
  const fp_state = {} as cpu_fp_state;

  WARN_ON_ONCE(!irqs_disabled());

  if (vcpu.arch.fp_state === FP_STATE_GUEST_OWNED) {
    // Guests have no SME, so the vcpu's SVCR stays zero; the binding only needs somewhere to
    // point its svcr at.
    fp_state.st = vcpu.arch.ctxt.fp_regs;
    fp_state.sve_state = vcpu.arch.sve_state;
    fp_state.sve_vl = vcpu.arch.sve_max_vl;
    fp_state.sme_state = null;
    fp_state.svcr = { obj: vcpu.arch, key: 'svcr' };
    fp_state.fp_type = { obj: vcpu.arch, key: 'fp_type' };

    if (vcpu_has_sve(vcpu)) fp_state.to_save = FP_STATE_SVE;
    else fp_state.to_save = FP_STATE_FPSIMD;

    fpsimd_bind_state_to_cpu(fp_state);

    clear_thread_flag(TIF_FOREIGN_FPSTATE);
  }
}

// arch/arm64/kvm/fpsimd.c: kvm_arch_vcpu_put_fp (v6.3)
// Called from vcpu put with preemption disabled: the guest's registers, if live, are saved to the
// vcpu and the CPU's binding dropped, so no later task or vcpu can mistake them for its own; if
// they never became live, the host's EL0 trap settings that the hypervisor reset are put back.
export function kvm_arch_vcpu_put_fp(vcpu: kvm_vcpu): void {
  const flags = local_irq_save();

  // With VHE the hypervisor leaves CPACR_EL1 (CPTR_EL2) at CPACR_EL1_DEFAULT on the way out, which
  // has no SME access at all; give the kernel its SME access back, and EL0 the access it had when
  // the vcpu was loaded.
  if (has_vhe() && system_supports_sme()) {
    if (vcpu_get_flag(vcpu, HOST_SME_ENABLED))
      sysreg_clear_set('cpacr_el1', 0, CPACR_EL1_SMEN_EL0EN | CPACR_EL1_SMEN_EL1EN);
    else sysreg_clear_set('cpacr_el1', CPACR_EL1_SMEN_EL0EN, CPACR_EL1_SMEN_EL1EN);
    isb();
  }

  if (vcpu.arch.fp_state === FP_STATE_GUEST_OWNED) {
    if (vcpu_has_sve(vcpu)) {
      vcpu.arch.ctxt.sys_regs[ZCR_EL1] = read_sysreg_el1(SYS_ZCR);

      // Without VHE the host's ZCR_EL1 still holds the guest's value: go back to the VL the
      // state was bound with, which is the one fpsimd_save below expects.
      if (!has_vhe()) sve_cond_update_zcr_vq(vcpu_sve_max_vq(vcpu) - 1, SYS_ZCR_EL1);
    }

    fpsimd_save_and_flush_cpu_state();
  } else if (has_vhe() && system_supports_sve()) {
    // The registers were never handed to the guest, but the hypervisor's reset of CPACR_EL1
    // (CPTR_EL2) took away EL0's SVE access; restore what kvm_arch_vcpu_load_fp saw so the host
    // task does not take spurious SVE traps.
    if (vcpu_get_flag(vcpu, HOST_SVE_ENABLED)) sysreg_clear_set('cpacr_el1', 0, CPACR_EL1_ZEN_EL0EN);
    else sysreg_clear_set('cpacr_el1', CPACR_EL1_ZEN_EL0EN, 0);
  }

  local_irq_restore(flags);
}
