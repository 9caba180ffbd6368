// Mutants: a revision's entry table with one entry replaced by a deliberately wrong version, for
// the fixtures (and the equivalence checker) to tell apart from the real kernel. Each replacement
// is a copy of the port function (v6.4 unless said otherwise) with exactly one change, the kind of
// mistake a patch to that function could make; the changed line is marked MUTATION and the doc
// comment says what goes wrong. The registry table of fixtures/mutants.md is generated from here
// (npm run mutants-table) with the witness scenarios that kill each.

import {
  __get_cpu_fpsimd_context,
  __put_cpu_fpsimd_context,
  BUG_ON,
  type cpu_fp_state,
  clear_thread_flag,
  current,
  deref,
  type EntryTable,
  FP_STATE_FPSIMD,
  type fp_type,
  FP_STATE_SVE,
  fpsimd_bind_state_to_cpu,
  fpsimd_flush_cpu_state,
  fpsimd_kvm_prepare,
  fpsimd_save,
  fpsimd_save_and_flush_cpu_state,
  get_cpu_fpsimd_context,
  has_vhe,
  irqs_disabled,
  isb,
  local_irq_restore,
  local_irq_save,
  may_use_simd,
  put_cpu_fpsimd_context,
  sve_cond_update_zcr_vq,
  sve_to_fpsimd,
  sve_vq_from_vl,
  system_supports_fpsimd,
  system_supports_sme,
  system_supports_sve,
  task_fpsimd_load,
  task_get_sve_vl,
  test_and_clear_thread_flag,
  test_thread_flag,
  TIF_FOREIGN_FPSTATE,
  TIF_SVE,
  WARN_ON,
  WARN_ON_ONCE,
  smp_processor_id,
  type task_struct,
  this_cpu_ptr,
  update_tsk_thread_flag,
} from '@kvmfp/fpsimd';
import {
  FP_STATE_FREE,
  FP_STATE_GUEST_OWNED,
  FP_STATE_HOST_OWNED,
  FPEXC32_EL2,
  HOST_SME_ENABLED,
  HOST_SVE_ENABLED,
  type kvm_vcpu,
  kvm_vcpu_trap_get_class,
  read_sysreg_el1,
  SYS_ZCR,
  vcpu_clear_flag,
  vcpu_get_flag,
  vcpu_has_sve,
  vcpu_set_flag,
  vcpu_sve_max_vq,
  ZCR_EL1,
} from '@kvmfp/kvm-fpsimd';
import { __fpsimd_restore_state, __fpsimd_save_state, sve_flush_live } from '@kvmfp/machine';
import {
  CPACR_EL1_FPEN_EL0EN,
  CPACR_EL1_FPEN_EL1EN,
  CPACR_EL1_SMEN_EL0EN,
  CPACR_EL1_SMEN_EL1EN,
  CPACR_EL1_ZEN_EL0EN,
  CPACR_EL1_ZEN_EL1EN,
  CPTR_EL2_TFP,
  CPTR_EL2_TZ,
  ESR_ELx_EC_FP_ASIMD,
  ESR_ELx_EC_SVE,
  HCR_RW,
  read_sysreg,
  read_sysreg_s,
  SVCR_SM_MASK,
  SVCR_ZA_MASK,
  SYS_SVCR,
  SYS_ZCR_EL1,
  sysreg_clear_set,
  test_bits64,
  write_sysreg,
} from '@kvmfp/sysreg';
import { __hyp_sve_restore_guest, type u64_ptr } from '@kvmfp/hyp-switch';

/** The host entries a mutant may replace (hyp-switch's revisions.ts puts them in every table). */
interface HostEntries {
  fp_user_discard: () => void;
  kernel_neon_begin: () => void;
  fpsimd_restore_current_state: () => void;
  fpsimd_thread_switch: (next: task_struct) => void;
}

export interface Mutant {
  base: 'v6.4' | 'v6.3';
  /** The change, in one line. */
  description: string;
  /** What goes wrong because of it, in a few words (the registry table's column). */
  consequence: string;
  /** The claims of the patch discussion (fixtures/scenarios/series/cNN-...) it tests. */
  claims: number[];
  replace: Partial<EntryTable & HostEntries>;
}

// ---------------------------------------------------------------------------------------------
// arch/arm64/kvm/fpsimd.c: kvm_arch_vcpu_load_fp

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
 * kvm_arch_vcpu_load_fp (v6.4) that looks at PSTATE.SM only: the reading of the series' commit
 * message that "ZA needs no handling at load". With ZA live, nothing is saved, fp_state stays
 * HOST_OWNED and the guest runs with the host's PSTATE.ZA; the hypervisor saves only the FPSIMD
 * registers, so the VMM's ZA never reaches its sme_state, and at put fpsimd_save finds ZA set
 * with the vcpu (which has no SME storage) bound to the CPU.
 */
function loadFpChecksSmOnly(vcpu: kvm_vcpu): void {
  BUG_ON(!current().mm);

  if (!system_supports_fpsimd()) return;

  fpsimd_kvm_prepare();

  vcpu.arch.fp_state = FP_STATE_HOST_OWNED;

  vcpu_clear_flag(vcpu, HOST_SVE_ENABLED);
  if (read_sysreg('cpacr_el1') & CPACR_EL1_ZEN_EL0EN) vcpu_set_flag(vcpu, HOST_SVE_ENABLED);

  if (system_supports_sme()) {
    vcpu_clear_flag(vcpu, HOST_SME_ENABLED);
    if (read_sysreg('cpacr_el1') & CPACR_EL1_SMEN_EL0EN) vcpu_set_flag(vcpu, HOST_SME_ENABLED);

    // MUTATION: SVCR_ZA_MASK dropped from the test.
    if (read_sysreg_s(SYS_SVCR) & SVCR_SM_MASK) {
      vcpu.arch.fp_state = FP_STATE_FREE;
      fpsimd_save_and_flush_cpu_state();
    }
  }
}

/**
 * kvm_arch_vcpu_load_fp (v6.4) that saves eagerly: the host's registers are written back and
 * flushed at every vcpu load, whatever SVCR says. Nothing is lost, but lazy switching is gone: a
 * guest that never touches FP still costs a save at load and a reload on the way back to user.
 */
function loadFpSavesAlways(vcpu: kvm_vcpu): void {
  BUG_ON(!current().mm);

  if (!system_supports_fpsimd()) return;

  fpsimd_kvm_prepare();

  vcpu.arch.fp_state = FP_STATE_HOST_OWNED;

  vcpu_clear_flag(vcpu, HOST_SVE_ENABLED);
  if (read_sysreg('cpacr_el1') & CPACR_EL1_ZEN_EL0EN) vcpu_set_flag(vcpu, HOST_SVE_ENABLED);

  if (system_supports_sme()) {
    vcpu_clear_flag(vcpu, HOST_SME_ENABLED);
    if (read_sysreg('cpacr_el1') & CPACR_EL1_SMEN_EL0EN) vcpu_set_flag(vcpu, HOST_SME_ENABLED);
  }

  // MUTATION: the save and flush moved out of the SVCR test (and out of the SME block).
  vcpu.arch.fp_state = FP_STATE_FREE;
  fpsimd_save_and_flush_cpu_state();
}

/**
 * kvm_arch_vcpu_load_fp (v6.4) without fpsimd_kvm_prepare: a VMM that used SVE keeps TIF_SVE and
 * an SVE fp_type while the hypervisor saves only its FPSIMD registers (into uw.fpsimd_state). On
 * the way back to user space the state is reloaded from the stale SVE buffer.
 */
function loadFpSkipsKvmPrepare(vcpu: kvm_vcpu): void {
  BUG_ON(!current().mm);

  if (!system_supports_fpsimd()) return;

  // MUTATION: fpsimd_kvm_prepare() is not called.

  vcpu.arch.fp_state = FP_STATE_HOST_OWNED;

  vcpu_clear_flag(vcpu, HOST_SVE_ENABLED);
  if (read_sysreg('cpacr_el1') & CPACR_EL1_ZEN_EL0EN) vcpu_set_flag(vcpu, HOST_SVE_ENABLED);

  if (system_supports_sme()) {
    vcpu_clear_flag(vcpu, HOST_SME_ENABLED);
    if (read_sysreg('cpacr_el1') & CPACR_EL1_SMEN_EL0EN) vcpu_set_flag(vcpu, HOST_SME_ENABLED);

    if (read_sysreg_s(SYS_SVCR) & (SVCR_SM_MASK | SVCR_ZA_MASK)) {
      vcpu.arch.fp_state = FP_STATE_FREE;
      fpsimd_save_and_flush_cpu_state();
    }
  }
}

/**
 * kvm_arch_vcpu_load_fp (v6.4) that leaves streaming mode and ZA by flushing the CPU state
 * without saving it first: SMSTOP happens, but the VMM's live ZA (and V) are thrown away.
 */
function loadFpFlushesWithoutSave(vcpu: kvm_vcpu): void {
  BUG_ON(!current().mm);

  if (!system_supports_fpsimd()) return;

  fpsimd_kvm_prepare();

  vcpu.arch.fp_state = FP_STATE_HOST_OWNED;

  vcpu_clear_flag(vcpu, HOST_SVE_ENABLED);
  if (read_sysreg('cpacr_el1') & CPACR_EL1_ZEN_EL0EN) vcpu_set_flag(vcpu, HOST_SVE_ENABLED);

  if (system_supports_sme()) {
    vcpu_clear_flag(vcpu, HOST_SME_ENABLED);
    if (read_sysreg('cpacr_el1') & CPACR_EL1_SMEN_EL0EN) vcpu_set_flag(vcpu, HOST_SME_ENABLED);

    if (read_sysreg_s(SYS_SVCR) & (SVCR_SM_MASK | SVCR_ZA_MASK)) {
      vcpu.arch.fp_state = FP_STATE_FREE;
      // MUTATION: fpsimd_flush_cpu_state() instead of fpsimd_save_and_flush_cpu_state().
      fpsimd_flush_cpu_state();
    }
  }
}

/**
 * kvm_arch_vcpu_load_fp (v6.4) with a copy-paste slip: HOST_SME_ENABLED is set from the SVE EL0
 * enable bit. A VMM that has SME enabled but not SVE comes back from a KVM_RUN whose guest did
 * not touch FP with SME trapped at EL0 (VHE restores the wrong setting), so its next SME
 * instruction traps while TIF_SME is set.
 */
function loadFpSmeEnableFromZen(vcpu: kvm_vcpu): void {
  BUG_ON(!current().mm);

  if (!system_supports_fpsimd()) return;

  fpsimd_kvm_prepare();

  vcpu.arch.fp_state = FP_STATE_HOST_OWNED;

  vcpu_clear_flag(vcpu, HOST_SVE_ENABLED);
  if (read_sysreg('cpacr_el1') & CPACR_EL1_ZEN_EL0EN) vcpu_set_flag(vcpu, HOST_SVE_ENABLED);

  if (system_supports_sme()) {
    vcpu_clear_flag(vcpu, HOST_SME_ENABLED);
    // MUTATION: CPACR_EL1_ZEN_EL0EN where CPACR_EL1_SMEN_EL0EN belongs.
    if (read_sysreg('cpacr_el1') & CPACR_EL1_ZEN_EL0EN) vcpu_set_flag(vcpu, HOST_SME_ENABLED);

    if (read_sysreg_s(SYS_SVCR) & (SVCR_SM_MASK | SVCR_ZA_MASK)) {
      vcpu.arch.fp_state = FP_STATE_FREE;
      fpsimd_save_and_flush_cpu_state();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// arch/arm64/kvm/fpsimd.c: kvm_arch_vcpu_ctxflush_fp

/**
 * kvm_arch_vcpu_ctxflush_fp that ignores TIF_FOREIGN_FPSTATE: if something (kernel-mode NEON in a
 * softirq, say) used the registers after vcpu load, fp_state still says the host owns them, and
 * the hypervisor's FP trap saves whatever is in the registers over the host task's FPSIMD state.
 */
function ctxflushIgnoresForeign(_vcpu: kvm_vcpu): void {
  // The mutation: nothing is checked, fp_state is left as vcpu load set it.
}

/**
 * kvm_arch_vcpu_ctxflush_fp with the test dropped: the registers are declared free before every
 * entry, so the hypervisor never saves the host's live FPSIMD registers and the VMM later reloads
 * a stale copy.
 */
function ctxflushFreesAlways(vcpu: kvm_vcpu): void {
  // MUTATION: the test_thread_flag(TIF_FOREIGN_FPSTATE) condition is gone.
  vcpu.arch.fp_state = FP_STATE_FREE;
}

// ---------------------------------------------------------------------------------------------
// arch/arm64/kvm/fpsimd.c: kvm_arch_vcpu_ctxsync_fp

/** The guest's cpu_fp_state as ctxsync builds it (v6.4), with the save format given. */
function guestFpState(vcpu: kvm_vcpu, toSave: fp_type): cpu_fp_state {
  const fpState = {} as cpu_fp_state;
  fpState.st = vcpu.arch.ctxt.fp_regs;
  fpState.sve_state = vcpu.arch.sve_state;
  fpState.sve_vl = vcpu.arch.sve_max_vl;
  fpState.sme_state = null;
  fpState.svcr = { obj: vcpu.arch, key: 'svcr' };
  fpState.fp_type = { obj: vcpu.arch, key: 'fp_type' };
  fpState.to_save = toSave;
  return fpState;
}

/**
 * kvm_arch_vcpu_ctxsync_fp (v6.4) that forgets to bind the guest's storage to the CPU but still
 * clears TIF_FOREIGN_FPSTATE: fpsimd_last_state keeps naming the VMM, so the next save (vcpu put,
 * kernel-mode NEON) writes the guest's registers into the host task's storage.
 */
function ctxsyncSkipsBind(vcpu: kvm_vcpu): void {
  WARN_ON_ONCE(!irqs_disabled());

  if (vcpu.arch.fp_state === FP_STATE_GUEST_OWNED) {
    const fpState = guestFpState(vcpu, vcpu_has_sve(vcpu) ? FP_STATE_SVE : FP_STATE_FPSIMD);
    // MUTATION: fpsimd_bind_state_to_cpu(fpState) is not called.
    void fpState;

    clear_thread_flag(TIF_FOREIGN_FPSTATE);
  }
}

/**
 * kvm_arch_vcpu_ctxsync_fp (v6.4) that binds the guest's storage but leaves TIF_FOREIGN_FPSTATE
 * as the host left it: fpsimd_save then believes the registers hold nothing worth saving, so the
 * guest's registers are dropped at vcpu put.
 */
function ctxsyncKeepsForeign(vcpu: kvm_vcpu): void {
  WARN_ON_ONCE(!irqs_disabled());

  if (vcpu.arch.fp_state === FP_STATE_GUEST_OWNED) {
    fpsimd_bind_state_to_cpu(guestFpState(vcpu, vcpu_has_sve(vcpu) ? FP_STATE_SVE : FP_STATE_FPSIMD));

    // MUTATION: clear_thread_flag(TIF_FOREIGN_FPSTATE) is not called.
  }
}

/**
 * kvm_arch_vcpu_ctxsync_fp (v6.4) that binds every guest as FPSIMD-only: an SVE guest's Z bits
 * above 128, P and FFR are not saved at vcpu put, and the guest finds them zero afterwards.
 */
function ctxsyncFpsimdOnly(vcpu: kvm_vcpu): void {
  WARN_ON_ONCE(!irqs_disabled());

  if (vcpu.arch.fp_state === FP_STATE_GUEST_OWNED) {
    // MUTATION: to_save is FP_STATE_FPSIMD whether or not the vcpu has SVE.
    fpsimd_bind_state_to_cpu(guestFpState(vcpu, FP_STATE_FPSIMD));

    clear_thread_flag(TIF_FOREIGN_FPSTATE);
  }
}

// ---------------------------------------------------------------------------------------------
// arch/arm64/kvm/fpsimd.c: kvm_arch_vcpu_put_fp

/** The VHE SME part of kvm_arch_vcpu_put_fp (v6.4), unchanged. */
function putFpRestoreSme(vcpu: kvm_vcpu): void {
  if (has_vhe() && system_supports_sme()) {
    if (vcpu_get_flag(vcpu, HOST_SME_ENABLED))
      sysreg_clear_set('cpacr_el1', 0, CPACR_EL1_SMEN_EL0EN | CPACR_EL1_SMEN_EL1EN);
    else sysreg_clear_set('cpacr_el1', CPACR_EL1_SMEN_EL0EN, CPACR_EL1_SMEN_EL1EN);
    isb();
  }
}

/** The guest-owned part of kvm_arch_vcpu_put_fp (v6.4) before the save, unchanged. */
function putFpGuestZcr(vcpu: kvm_vcpu): void {
  if (vcpu_has_sve(vcpu)) {
    vcpu.arch.ctxt.sys_regs[ZCR_EL1] = read_sysreg_el1(SYS_ZCR);
    if (!has_vhe()) sve_cond_update_zcr_vq(vcpu_sve_max_vq(vcpu) - 1, SYS_ZCR_EL1);
  }
}

/** The VHE SVE part of kvm_arch_vcpu_put_fp (v6.4) for registers the guest never took, unchanged. */
function putFpRestoreSve(vcpu: kvm_vcpu): void {
  if (vcpu_get_flag(vcpu, HOST_SVE_ENABLED)) sysreg_clear_set('cpacr_el1', 0, CPACR_EL1_ZEN_EL0EN);
  else sysreg_clear_set('cpacr_el1', CPACR_EL1_ZEN_EL0EN, 0);
}

/**
 * kvm_arch_vcpu_put_fp (v6.4) that does not write the guest's registers back when the guest owns
 * them: the guest loses its values at every return to the VMM, and the VMM comes back to user
 * space with the guest's values in its registers.
 */
function putFpSkipsGuestSave(vcpu: kvm_vcpu): void {
  const flags = local_irq_save();

  putFpRestoreSme(vcpu);

  if (vcpu.arch.fp_state === FP_STATE_GUEST_OWNED) {
    putFpGuestZcr(vcpu);

    // MUTATION: fpsimd_save_and_flush_cpu_state() is not called.
  } else if (has_vhe() && system_supports_sve()) {
    putFpRestoreSve(vcpu);
  }

  local_irq_restore(flags);
}

/**
 * kvm_arch_vcpu_put_fp (v6.4) that saves the guest's ZCR_EL1 without asking whether the vcpu has
 * SVE: on a machine without SVE the MRS of ZCR_EL1 is UNDEFINED, and the kernel oopses at the
 * first return to the VMM after the guest used FP.
 */
function putFpReadsZcrAlways(vcpu: kvm_vcpu): void {
  const flags = local_irq_save();

  putFpRestoreSme(vcpu);

  if (vcpu.arch.fp_state === FP_STATE_GUEST_OWNED) {
    // MUTATION: the vcpu_has_sve() test around the ZCR_EL1 save is gone.
    vcpu.arch.ctxt.sys_regs[ZCR_EL1] = read_sysreg_el1(SYS_ZCR);
    if (vcpu_has_sve(vcpu) && !has_vhe()) sve_cond_update_zcr_vq(vcpu_sve_max_vq(vcpu) - 1, SYS_ZCR_EL1);

    fpsimd_save_and_flush_cpu_state();
  } else if (has_vhe() && system_supports_sve()) {
    putFpRestoreSve(vcpu);
  }

  local_irq_restore(flags);
}

/**
 * kvm_arch_vcpu_put_fp (v6.4) without the VHE SME block: the hypervisor left CPACR_EL1 (CPTR_EL2)
 * at CPACR_EL1_DEFAULT, which has no SME access, so a VMM with TIF_SME whose registers were not
 * reloaded traps on its next SME instruction (do_sme_acc finds TIF_SME already set). nVHE is
 * unaffected: its host CPACR_EL1 is restored by the world switch.
 */
function putFpSkipsSmeRestore(vcpu: kvm_vcpu): void {
  const flags = local_irq_save();

  // MUTATION: the has_vhe() && system_supports_sme() block restoring SMEN is gone.

  if (vcpu.arch.fp_state === FP_STATE_GUEST_OWNED) {
    putFpGuestZcr(vcpu);

    fpsimd_save_and_flush_cpu_state();
  } else if (has_vhe() && system_supports_sve()) {
    putFpRestoreSve(vcpu);
  }

  local_irq_restore(flags);
}

/**
 * kvm_arch_vcpu_put_fp (v6.4) with the two SVE restore branches swapped: a VMM that had SVE
 * trapped at EL0 comes back with it enabled (and TIF_SVE clear), so its SVE writes are neither
 * trapped nor saved as SVE state; one that had it enabled takes a spurious trap.
 */
function putFpSveRestoreInverted(vcpu: kvm_vcpu): void {
  const flags = local_irq_save();

  putFpRestoreSme(vcpu);

  if (vcpu.arch.fp_state === FP_STATE_GUEST_OWNED) {
    putFpGuestZcr(vcpu);

    fpsimd_save_and_flush_cpu_state();
  } else if (has_vhe() && system_supports_sve()) {
    // MUTATION: the condition is negated.
    if (!vcpu_get_flag(vcpu, HOST_SVE_ENABLED)) sysreg_clear_set('cpacr_el1', 0, CPACR_EL1_ZEN_EL0EN);
    else sysreg_clear_set('cpacr_el1', CPACR_EL1_ZEN_EL0EN, 0);
  }

  local_irq_restore(flags);
}

// ---------------------------------------------------------------------------------------------
// arch/arm64/kvm/hyp/include/hyp/switch.h: guest_owns_fp_regs, kvm_hyp_handle_fpsimd

/**
 * guest_owns_fp_regs (v6.4) that never says yes: every guest entry re-arms the FP trap, and the
 * next trap reloads the guest's registers from the vcpu's storage, which was last written at the
 * previous vcpu put, so whatever the guest wrote since is lost at an IRQ exit.
 */
function guestOwnsFpRegsNever(_vcpu: kvm_vcpu): boolean {
  // MUTATION: the fp_state test is replaced by false.
  return false;
}

/**
 * guest_owns_fp_regs (v6.4) that tests "not free" instead of "guest owned": right after vcpu load
 * (HOST_OWNED) the guest is entered with FP untrapped and reads the host task's registers.
 */
function guestOwnsFpRegsUnlessFree(vcpu: kvm_vcpu): boolean {
  // MUTATION: !== FP_STATE_FREE instead of === FP_STATE_GUEST_OWNED.
  return vcpu.arch.fp_state !== FP_STATE_FREE;
}

/** The exception-class filter of kvm_hyp_handle_fpsimd (v6.4), unchanged. */
function acceptsTrap(esrEc: number, sveGuest: boolean): boolean {
  switch (esrEc) {
    case ESR_ELx_EC_FP_ASIMD:
      return true;
    case ESR_ELx_EC_SVE:
      return sveGuest;
    default:
      return false;
  }
}

/** The trap release of kvm_hyp_handle_fpsimd (v6.4), unchanged. */
function releaseTraps(sveGuest: boolean): void {
  let reg: number;
  if (has_vhe()) {
    reg = CPACR_EL1_FPEN_EL0EN | CPACR_EL1_FPEN_EL1EN;
    if (sveGuest) reg |= CPACR_EL1_ZEN_EL0EN | CPACR_EL1_ZEN_EL1EN;
    sysreg_clear_set('cpacr_el1', 0, reg);
  } else {
    reg = CPTR_EL2_TFP;
    if (sveGuest) reg |= CPTR_EL2_TZ;
    sysreg_clear_set('cptr_el2', reg, 0);
  }
  isb();
}

/** The tail of kvm_hyp_handle_fpsimd (v6.4) after the guest's state is loaded, unchanged. */
function finishHandleFpsimd(vcpu: kvm_vcpu): boolean {
  if (!test_bits64(read_sysreg('hcr_el2'), HCR_RW))
    write_sysreg(vcpu.arch.ctxt.sys_regs[FPEXC32_EL2], 'fpexc32_el2');

  vcpu.arch.fp_state = FP_STATE_GUEST_OWNED;

  return true;
}

/**
 * kvm_hyp_handle_fpsimd (v6.4) whose SVE case rejects SVE vcpus instead of non-SVE ones (the
 * condition of the new switch inverted): an SVE guest's SVE trap goes to the host, which answers
 * it with an UNDEF the guest never configured for, and the guest's SVE use never makes progress.
 */
function hypRejectsSveFromSveGuest(vcpu: kvm_vcpu, _exitCode: u64_ptr): boolean {
  if (!system_supports_fpsimd()) return false;

  const sveGuest = vcpu_has_sve(vcpu);
  const esrEc = kvm_vcpu_trap_get_class(vcpu);

  switch (esrEc) {
    case ESR_ELx_EC_FP_ASIMD:
      break;
    case ESR_ELx_EC_SVE:
      // MUTATION: `if (sveGuest)` where `if (!sveGuest)` belongs.
      if (sveGuest) return false;
      break;
    default:
      return false;
  }

  releaseTraps(sveGuest);

  if (vcpu.arch.fp_state === FP_STATE_HOST_OWNED)
    __fpsimd_save_state(deref(vcpu.arch.host_fpsimd_state, 'vcpu->arch.host_fpsimd_state'));

  if (sveGuest) __hyp_sve_restore_guest(vcpu);
  else __fpsimd_restore_state(vcpu.arch.ctxt.fp_regs);

  return finishHandleFpsimd(vcpu);
}

/**
 * kvm_hyp_handle_fpsimd (v6.4) whose SVE case lost its vcpu test: the SVE trap of a vcpu without
 * SVE is handled in the hypervisor as an FP trap (FPSIMD restore, traps released), so the guest
 * re-executes an SVE instruction KVM does not offer instead of taking the UNDEF.
 */
function hypAcceptsSveFromAnyGuest(vcpu: kvm_vcpu, _exitCode: u64_ptr): boolean {
  if (!system_supports_fpsimd()) return false;

  const sveGuest = vcpu_has_sve(vcpu);
  const esrEc = kvm_vcpu_trap_get_class(vcpu);

  switch (esrEc) {
    case ESR_ELx_EC_FP_ASIMD:
      break;
    case ESR_ELx_EC_SVE:
      // MUTATION: the `if (!sveGuest) return false` test is gone.
      break;
    default:
      return false;
  }

  releaseTraps(sveGuest);

  if (vcpu.arch.fp_state === FP_STATE_HOST_OWNED)
    __fpsimd_save_state(deref(vcpu.arch.host_fpsimd_state, 'vcpu->arch.host_fpsimd_state'));

  if (sveGuest) __hyp_sve_restore_guest(vcpu);
  else __fpsimd_restore_state(vcpu.arch.ctxt.fp_regs);

  return finishHandleFpsimd(vcpu);
}

/**
 * kvm_hyp_handle_fpsimd (v6.4) that saves the "host" registers whatever fp_state says: after
 * kernel-mode NEON (or another task) used the registers between load and entry, their values are
 * written over the VMM's saved FPSIMD state.
 */
function hypSavesHostUnconditionally(vcpu: kvm_vcpu, _exitCode: u64_ptr): boolean {
  if (!system_supports_fpsimd()) return false;

  const sveGuest = vcpu_has_sve(vcpu);
  if (!acceptsTrap(kvm_vcpu_trap_get_class(vcpu), sveGuest)) return false;

  releaseTraps(sveGuest);

  // MUTATION: the fp_state === FP_STATE_HOST_OWNED test is gone.
  __fpsimd_save_state(deref(vcpu.arch.host_fpsimd_state, 'vcpu->arch.host_fpsimd_state'));

  if (sveGuest) __hyp_sve_restore_guest(vcpu);
  else __fpsimd_restore_state(vcpu.arch.ctxt.fp_regs);

  return finishHandleFpsimd(vcpu);
}

/**
 * kvm_hyp_handle_fpsimd (v6.4) that never saves the host's registers: the VMM's live FPSIMD state
 * is overwritten by the guest's, and the VMM later reloads an old copy.
 */
function hypSkipsHostSave(vcpu: kvm_vcpu, _exitCode: u64_ptr): boolean {
  if (!system_supports_fpsimd()) return false;

  const sveGuest = vcpu_has_sve(vcpu);
  if (!acceptsTrap(kvm_vcpu_trap_get_class(vcpu), sveGuest)) return false;

  releaseTraps(sveGuest);

  // MUTATION: the host save (__fpsimd_save_state when HOST_OWNED) is gone.

  if (sveGuest) __hyp_sve_restore_guest(vcpu);
  else __fpsimd_restore_state(vcpu.arch.ctxt.fp_regs);

  return finishHandleFpsimd(vcpu);
}

/**
 * kvm_hyp_handle_fpsimd (v6.4) that loads only the FPSIMD view of an SVE guest's state: the Z
 * bits above 128, P and FFR the guest had when its state was last saved come back as zero.
 */
function hypLoadsFpsimdForSveGuest(vcpu: kvm_vcpu, _exitCode: u64_ptr): boolean {
  if (!system_supports_fpsimd()) return false;

  const sveGuest = vcpu_has_sve(vcpu);
  if (!acceptsTrap(kvm_vcpu_trap_get_class(vcpu), sveGuest)) return false;

  releaseTraps(sveGuest);

  if (vcpu.arch.fp_state === FP_STATE_HOST_OWNED)
    __fpsimd_save_state(deref(vcpu.arch.host_fpsimd_state, 'vcpu->arch.host_fpsimd_state'));

  // MUTATION: __fpsimd_restore_state for every vcpu; __hyp_sve_restore_guest is never used.
  __fpsimd_restore_state(vcpu.arch.ctxt.fp_regs);

  return finishHandleFpsimd(vcpu);
}

/**
 * kvm_hyp_handle_fpsimd (v6.4) whose VHE branch opens FP only, not SVE, for an SVE vcpu: the
 * guest's SVE instruction traps to EL2 again after the handler returned. The nVHE branch is
 * right, so only the VHE fixtures see it.
 */
function hypVheKeepsSveTrapped(vcpu: kvm_vcpu, _exitCode: u64_ptr): boolean {
  let reg: number;

  if (!system_supports_fpsimd()) return false;

  const sveGuest = vcpu_has_sve(vcpu);
  if (!acceptsTrap(kvm_vcpu_trap_get_class(vcpu), sveGuest)) return false;

  if (has_vhe()) {
    reg = CPACR_EL1_FPEN_EL0EN | CPACR_EL1_FPEN_EL1EN;
    // MUTATION: the ZEN bits are not added for an SVE vcpu.

    sysreg_clear_set('cpacr_el1', 0, reg);
  } else {
    reg = CPTR_EL2_TFP;
    if (sveGuest) reg |= CPTR_EL2_TZ;

    sysreg_clear_set('cptr_el2', reg, 0);
  }
  isb();

  if (vcpu.arch.fp_state === FP_STATE_HOST_OWNED)
    __fpsimd_save_state(deref(vcpu.arch.host_fpsimd_state, 'vcpu->arch.host_fpsimd_state'));

  if (sveGuest) __hyp_sve_restore_guest(vcpu);
  else __fpsimd_restore_state(vcpu.arch.ctxt.fp_regs);

  return finishHandleFpsimd(vcpu);
}

/**
 * kvm_hyp_handle_fpsimd (v6.4) whose nVHE branch clears CPTR_EL2.TFP only, leaving TZ set for an
 * SVE vcpu: the mirror image of the mutant above, seen only by the nVHE fixtures.
 */
function hypNvheKeepsTz(vcpu: kvm_vcpu, _exitCode: u64_ptr): boolean {
  let reg: number;

  if (!system_supports_fpsimd()) return false;

  const sveGuest = vcpu_has_sve(vcpu);
  if (!acceptsTrap(kvm_vcpu_trap_get_class(vcpu), sveGuest)) return false;

  if (has_vhe()) {
    reg = CPACR_EL1_FPEN_EL0EN | CPACR_EL1_FPEN_EL1EN;
    if (sveGuest) reg |= CPACR_EL1_ZEN_EL0EN | CPACR_EL1_ZEN_EL1EN;

    sysreg_clear_set('cpacr_el1', 0, reg);
  } else {
    reg = CPTR_EL2_TFP;
    // MUTATION: CPTR_EL2_TZ is not added for an SVE vcpu.

    sysreg_clear_set('cptr_el2', reg, 0);
  }
  isb();

  if (vcpu.arch.fp_state === FP_STATE_HOST_OWNED)
    __fpsimd_save_state(deref(vcpu.arch.host_fpsimd_state, 'vcpu->arch.host_fpsimd_state'));

  if (sveGuest) __hyp_sve_restore_guest(vcpu);
  else __fpsimd_restore_state(vcpu.arch.ctxt.fp_regs);

  return finishHandleFpsimd(vcpu);
}

// ---------------------------------------------------------------------------------------------
// arch/arm64/kernel/syscall.c and fpsimd.c: host entries

/**
 * fp_user_discard (v6.4) without the SMSTOP SM: a syscall made in streaming mode returns to user
 * space still streaming (sme.rst says it must not), and KVM_RUN reaches vcpu load with
 * PSTATE.SM set.
 */
function fpUserDiscardKeepsSm(): void {
  // MUTATION: `if (system_supports_sme()) sme_smstop_sm();` is gone.

  if (!system_supports_sve()) return;

  if (test_thread_flag(TIF_SVE)) {
    const vqMinusOne = sve_vq_from_vl(task_get_sve_vl(current())) - 1;
    sve_flush_live(true, vqMinusOne);
  }
}

/**
 * kernel_neon_begin (v6.4) that flushes without saving: the interrupted task's live registers are
 * clobbered by the kernel's NEON use and it reloads a stale copy.
 */
function kernelNeonBeginSkipsSave(): void {
  if (WARN_ON(!system_supports_fpsimd())) return;

  BUG_ON(!may_use_simd());

  get_cpu_fpsimd_context();

  // MUTATION: fpsimd_save() is not called.

  fpsimd_flush_cpu_state();
}

/**
 * kernel_neon_begin (v6.4) that saves but does not flush: the CPU still records the task as the
 * owner of the registers and TIF_FOREIGN_FPSTATE stays clear, so the task returns to user space
 * with the kernel's NEON values.
 */
function kernelNeonBeginSkipsFlush(): void {
  if (WARN_ON(!system_supports_fpsimd())) return;

  BUG_ON(!may_use_simd());

  get_cpu_fpsimd_context();

  fpsimd_save();

  // MUTATION: fpsimd_flush_cpu_state() is not called.
}

/**
 * fpsimd_restore_current_state (v6.4) that loads current's state but does not bind it to the CPU:
 * fpsimd_last_state keeps pointing elsewhere (or nowhere), so the next save of the live registers
 * goes to the wrong storage, or dereferences nothing.
 */
function restoreCurrentSkipsBind(): void {
  if (!system_supports_fpsimd()) {
    clear_thread_flag(TIF_FOREIGN_FPSTATE);
    return;
  }

  get_cpu_fpsimd_context();

  if (test_and_clear_thread_flag(TIF_FOREIGN_FPSTATE)) {
    task_fpsimd_load();
    // MUTATION: fpsimd_bind_task_to_cpu() is not called.
  }

  put_cpu_fpsimd_context();
}

/**
 * fpsimd_kvm_prepare as kvm_arch_vcpu_load_fp (v6.4) calls it, but forgetting the fp_type update:
 * TIF_SVE is cleared and the FPSIMD copy refreshed, yet fp_type still says SVE, so a later reload
 * takes the SVE path with TIF_SVE clear (a WARN) and loads the stale SVE buffer.
 */
function loadFpPrepareKeepsFpType(vcpu: kvm_vcpu): void {
  BUG_ON(!current().mm);

  if (!system_supports_fpsimd()) return;

  // fpsimd_kvm_prepare(), inlined with the mutation.
  if (system_supports_sve()) {
    get_cpu_fpsimd_context();
    if (test_and_clear_thread_flag(TIF_SVE)) {
      sve_to_fpsimd(current());
      // MUTATION: current().thread.fp_type = FP_STATE_FPSIMD is not written.
    }
    put_cpu_fpsimd_context();
  }

  vcpu.arch.fp_state = FP_STATE_HOST_OWNED;

  vcpu_clear_flag(vcpu, HOST_SVE_ENABLED);
  if (read_sysreg('cpacr_el1') & CPACR_EL1_ZEN_EL0EN) vcpu_set_flag(vcpu, HOST_SVE_ENABLED);

  if (system_supports_sme()) {
    vcpu_clear_flag(vcpu, HOST_SME_ENABLED);
    if (read_sysreg('cpacr_el1') & CPACR_EL1_SMEN_EL0EN) vcpu_set_flag(vcpu, HOST_SME_ENABLED);

    if (read_sysreg_s(SYS_SVCR) & (SVCR_SM_MASK | SVCR_ZA_MASK)) {
      vcpu.arch.fp_state = FP_STATE_FREE;
      fpsimd_save_and_flush_cpu_state();
    }
  }
}

/**
 * fpsimd_thread_switch (v6.4) that only asks whether this CPU last held next's state, not whether
 * next last ran here: a task that ran on another CPU since, and comes back to a CPU whose registers
 * still hold its older state, takes that stale state as its own. Only a context switch and a
 * migration show it.
 */
function threadSwitchIgnoresCpu(next: task_struct): void {
  if (!system_supports_fpsimd()) return;

  __get_cpu_fpsimd_context();

  fpsimd_save();

  const wrong_task = this_cpu_ptr('fpsimd_last_state').st !== next.thread.uw.fpsimd_state;
  // MUTATION: wrong_cpu (next.thread.fpsimd_cpu !== smp_processor_id()) is not checked.
  void smp_processor_id;

  update_tsk_thread_flag(next, TIF_FOREIGN_FPSTATE, wrong_task);

  __put_cpu_fpsimd_context();
}

export const mutants: Record<string, Mutant> = {
  'load-fp-leaves-sm': {
    base: 'v6.4',
    description:
      'kvm_arch_vcpu_load_fp does not save the FP state or leave streaming mode when PSTATE.SM/ZA is set',
    consequence: "never looks at SVCR: no save, no SMSTOP; the guest runs with the host's PSTATE.SM/ZA",
    claims: [4, 5],
    replace: { kvm_arch_vcpu_load_fp: loadFpLeavesSm },
  },
  'ctxflush-ignores-foreign': {
    base: 'v6.4',
    description: 'kvm_arch_vcpu_ctxflush_fp ignores TIF_FOREIGN_FPSTATE and leaves fp_state as HOST_OWNED',
    consequence: "ignores TIF_FOREIGN_FPSTATE: hyp saves kernel-NEON's or another task's values as the VMM's",
    claims: [9],
    replace: { kvm_arch_vcpu_ctxflush_fp: ctxflushIgnoresForeign },
  },
  'load-fp-checks-sm-only': {
    base: 'v6.4',
    description: 'kvm_arch_vcpu_load_fp saves and leaves SME state only for PSTATE.SM, not for PSTATE.ZA',
    consequence:
      'tests SVCR.SM only (ZA "deferred"): guest runs with ZA; fpsimd_save later finds ZA with the vcpu bound',
    claims: [5, 6, 7],
    replace: { kvm_arch_vcpu_load_fp: loadFpChecksSmOnly },
  },
  'load-fp-saves-always': {
    base: 'v6.4',
    description: 'kvm_arch_vcpu_load_fp saves and flushes the host state at every load (no lazy switching)',
    consequence: 'saves and flushes at every load: correct values, no lazy switching (bank moves)',
    claims: [1, 2],
    replace: { kvm_arch_vcpu_load_fp: loadFpSavesAlways },
  },
  'load-fp-skips-kvm-prepare': {
    base: 'v6.4',
    description: 'kvm_arch_vcpu_load_fp does not call fpsimd_kvm_prepare (host SVE state kept as SVE)',
    consequence:
      'no fpsimd_kvm_prepare: VMM keeps TIF_SVE/SVE fp_type, hyp saves FPSIMD only, reload takes stale SVE buffer',
    claims: [8, 12],
    replace: { kvm_arch_vcpu_load_fp: loadFpSkipsKvmPrepare },
  },
  'load-fp-prepare-keeps-fp-type': {
    base: 'v6.4',
    description: 'the KVM prepare step clears TIF_SVE but leaves fp_type at FP_STATE_SVE',
    consequence: 'prepare clears TIF_SVE but leaves fp_type SVE: WARN in task_fpsimd_load, stale V',
    claims: [8, 12],
    replace: { kvm_arch_vcpu_load_fp: loadFpPrepareKeepsFpType },
  },
  'load-fp-flushes-without-save': {
    base: 'v6.4',
    description: 'kvm_arch_vcpu_load_fp leaves SM/ZA by flushing the CPU state without saving it',
    consequence: 'leaves SM/ZA by flushing without saving: VMM loses ZA, V and its SVCR',
    claims: [3, 12],
    replace: { kvm_arch_vcpu_load_fp: loadFpFlushesWithoutSave },
  },
  'load-fp-sme-enable-from-zen': {
    base: 'v6.4',
    description: 'kvm_arch_vcpu_load_fp records HOST_SME_ENABLED from the SVE (ZEN) EL0 enable bit',
    consequence: "HOST_SME_ENABLED taken from the ZEN bit: VMM's SMSTART traps with TIF_SME set (WARN)",
    claims: [13],
    replace: { kvm_arch_vcpu_load_fp: loadFpSmeEnableFromZen },
  },
  'ctxflush-frees-always': {
    base: 'v6.4',
    description: 'kvm_arch_vcpu_ctxflush_fp sets FP_STATE_FREE whether or not TIF_FOREIGN_FPSTATE is set',
    consequence:
      'sets FREE unconditionally: host registers never saved; guest reloaded from stale storage after an IRQ exit',
    claims: [1],
    replace: { kvm_arch_vcpu_ctxflush_fp: ctxflushFreesAlways },
  },
  'ctxsync-skips-bind': {
    base: 'v6.4',
    description:
      'kvm_arch_vcpu_ctxsync_fp clears TIF_FOREIGN_FPSTATE without binding the guest state to the CPU',
    consequence:
      'clears TIF_FOREIGN_FPSTATE without binding the vcpu: next save writes guest registers into the VMM',
    claims: [9],
    replace: { kvm_arch_vcpu_ctxsync_fp: ctxsyncSkipsBind },
  },
  'ctxsync-keeps-foreign': {
    base: 'v6.4',
    description: 'kvm_arch_vcpu_ctxsync_fp binds the guest state but leaves TIF_FOREIGN_FPSTATE set',
    consequence: 'binds but leaves TIF_FOREIGN_FPSTATE set: guest registers dropped at put',
    claims: [13],
    replace: { kvm_arch_vcpu_ctxsync_fp: ctxsyncKeepsForeign },
  },
  'ctxsync-fpsimd-only': {
    base: 'v6.4',
    description: 'kvm_arch_vcpu_ctxsync_fp binds an SVE guest with to_save = FP_STATE_FPSIMD',
    consequence: 'to_save FPSIMD for SVE guests: their Z-high, P, FFR lost at put',
    claims: [10],
    replace: { kvm_arch_vcpu_ctxsync_fp: ctxsyncFpsimdOnly },
  },
  'put-fp-skips-guest-save': {
    base: 'v6.4',
    description: 'kvm_arch_vcpu_put_fp does not save and flush the registers the guest owns',
    consequence: "no save/flush of guest-owned registers: VMM returns with the guest's values",
    claims: [13],
    replace: { kvm_arch_vcpu_put_fp: putFpSkipsGuestSave },
  },
  'put-fp-skips-sme-restore': {
    base: 'v6.4',
    description: 'kvm_arch_vcpu_put_fp does not restore the host SME enables in CPACR_EL1 (VHE)',
    consequence: "no VHE SME CPACR restore: VMM's SMSTART traps with TIF_SME set (VHE only)",
    claims: [13, 14],
    replace: { kvm_arch_vcpu_put_fp: putFpSkipsSmeRestore },
  },
  'put-fp-reads-zcr-always': {
    base: 'v6.4',
    description: 'kvm_arch_vcpu_put_fp reads ZCR_EL1 for a vcpu without SVE (UNDEFINED without SVE)',
    consequence:
      'reads ZCR_EL1 for a vcpu without SVE: UNDEFINED on a machine without SVE, the kernel oopses at vcpu put',
    claims: [],
    replace: { kvm_arch_vcpu_put_fp: putFpReadsZcrAlways },
  },
  'put-fp-sve-restore-inverted': {
    base: 'v6.4',
    description: 'kvm_arch_vcpu_put_fp restores the opposite of the host EL0 SVE enable (VHE)',
    consequence:
      'EL0 SVE enable restored inverted: VMM runs SVE untrapped with TIF_SVE clear, loses SVE state',
    claims: [13],
    replace: { kvm_arch_vcpu_put_fp: putFpSveRestoreInverted },
  },
  'guest-owns-fp-regs-never': {
    base: 'v6.4',
    description: 'guest_owns_fp_regs always returns false, so FP traps are re-armed at every entry',
    consequence: 'always false: FP trap re-armed each entry, guest reloads stale storage after IRQ exits',
    claims: [1],
    replace: { guest_owns_fp_regs: guestOwnsFpRegsNever },
  },
  'guest-owns-fp-regs-unless-free': {
    base: 'v6.4',
    description: 'guest_owns_fp_regs returns true for HOST_OWNED too, so the guest runs on host registers',
    consequence: "HOST_OWNED counts as guest-owned: guest runs on (and reads) the VMM's registers",
    claims: [1],
    replace: { guest_owns_fp_regs: guestOwnsFpRegsUnlessFree },
  },
  'hyp-rejects-sve-from-sve-guest': {
    base: 'v6.4',
    description: "kvm_hyp_handle_fpsimd's SVE case rejects SVE vcpus instead of non-SVE ones",
    consequence: "SVE case of the new switch inverted: SVE vcpu's SVE trap goes to the host as an UNDEF",
    claims: [10, 11],
    replace: { kvm_hyp_handle_fpsimd: hypRejectsSveFromSveGuest },
  },
  'hyp-accepts-sve-from-any-guest': {
    base: 'v6.4',
    description: "kvm_hyp_handle_fpsimd's SVE case accepts the SVE trap of a vcpu without SVE",
    consequence:
      "SVE case without the vcpu test: a non-SVE vcpu's SVE trap handled as FP, SVE stays trapped, the guest never gets its UNDEF",
    claims: [10],
    replace: { kvm_hyp_handle_fpsimd: hypAcceptsSveFromAnyGuest },
  },
  'hyp-saves-host-unconditionally': {
    base: 'v6.4',
    description: 'kvm_hyp_handle_fpsimd saves the registers as the host state even when fp_state is FREE',
    consequence: "drops the HOST_OWNED test: saves kernel-NEON's values over the VMM's saved state",
    claims: [9],
    replace: { kvm_hyp_handle_fpsimd: hypSavesHostUnconditionally },
  },
  'hyp-skips-host-save': {
    base: 'v6.4',
    description: 'kvm_hyp_handle_fpsimd never saves the host FPSIMD registers',
    consequence: "never saves the host's FPSIMD registers: VMM loses V",
    claims: [1],
    replace: { kvm_hyp_handle_fpsimd: hypSkipsHostSave },
  },
  'hyp-loads-fpsimd-for-sve-guest': {
    base: 'v6.4',
    description: 'kvm_hyp_handle_fpsimd restores only the FPSIMD registers of an SVE vcpu',
    consequence: "restores only FPSIMD for SVE vcpus: guest's Z-high/P/FFR read zero",
    claims: [10],
    replace: { kvm_hyp_handle_fpsimd: hypLoadsFpsimdForSveGuest },
  },
  'hyp-vhe-keeps-sve-trapped': {
    base: 'v6.4',
    description: 'kvm_hyp_handle_fpsimd (VHE branch) does not untrap SVE for an SVE vcpu',
    consequence: 'VHE branch does not open ZEN for SVE vcpus: the SVE instruction traps again (VHE only)',
    claims: [10, 14],
    replace: { kvm_hyp_handle_fpsimd: hypVheKeepsSveTrapped },
  },
  'hyp-nvhe-keeps-tz': {
    base: 'v6.4',
    description: 'kvm_hyp_handle_fpsimd (nVHE branch) clears CPTR_EL2.TFP but not TZ for an SVE vcpu',
    consequence: 'nVHE branch leaves CPTR_EL2.TZ set: the SVE instruction traps again (nVHE only)',
    claims: [10, 14],
    replace: { kvm_hyp_handle_fpsimd: hypNvheKeepsTz },
  },
  'fp-user-discard-keeps-sm': {
    base: 'v6.4',
    description: 'fp_user_discard does not leave streaming mode at syscall entry',
    consequence: 'no SMSTOP SM at syscall entry: VMM returns from KVM_RUN still streaming',
    claims: [3],
    replace: { fp_user_discard: fpUserDiscardKeepsSm },
  },
  'kernel-neon-begin-skips-save': {
    base: 'v6.4',
    description: 'kernel_neon_begin flushes the CPU state without saving the live registers',
    consequence: 'flushes without saving: the interrupted owner loses its live registers',
    claims: [9],
    replace: { kernel_neon_begin: kernelNeonBeginSkipsSave },
  },
  'kernel-neon-begin-skips-flush': {
    base: 'v6.4',
    description: 'kernel_neon_begin saves the live registers but does not flush the CPU binding',
    consequence:
      "saves without flushing: TIF_FOREIGN_FPSTATE stays clear, hyp saves NEON values as the VMM's",
    claims: [9],
    replace: { kernel_neon_begin: kernelNeonBeginSkipsFlush },
  },
  'restore-current-skips-bind': {
    base: 'v6.4',
    description: 'fpsimd_restore_current_state loads current state without binding it to the CPU',
    consequence: "loads without binding: EL0 traps not set from the task's flags, CPU binding stale",
    claims: [13],
    replace: { fpsimd_restore_current_state: restoreCurrentSkipsBind },
  },
  'thread-switch-ignores-cpu': {
    base: 'v6.4',
    description:
      'fpsimd_thread_switch sets TIF_FOREIGN_FPSTATE only when another task used the CPU, not when next ran on another CPU since',
    consequence:
      'a task back on a CPU that still holds its older registers takes them as current (needs a migration to show)',
    claims: [],
    replace: { fpsimd_thread_switch: threadSwitchIgnoresCpu },
  },
};
