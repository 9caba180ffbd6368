// Building VMs and vcpus as the VMM's set-up ioctls leave them (KVM_CREATE_VM, KVM_CREATE_VCPU,
// KVM_ARM_VCPU_INIT, the SVE vector-length write and KVM_ARM_VCPU_FINALIZE). That is configuration
// for the model, not ported code: the result is what arch/arm64/kvm/reset.c and arm.c produce
// (vcpu_reset_hcr, cptr_el2 = CPTR_EL2_DEFAULT, sve_max_vl, an all-zero sve_state of that size).

import type { MachineConfig } from '@kvmfp/machine';
import { FP_STATE_CURRENT } from '@kvmfp/fpsimd';
import { CPACR_EL1_FPEN, CPACR_EL1_ZEN, CPTR_EL2_DEFAULT, HCR_E2H, HCR_RW } from '@kvmfp/sysreg';
import {
  FP_STATE_FREE,
  GUEST_HAS_SVE,
  type kvm,
  KVM_ARCH_FLAG_EL1_32BIT,
  KVM_ARCH_FLAG_REG_WIDTH_CONFIGURED,
  KVM_ARM_VCPU_EL1_32BIT,
  KVM_ARM_VCPU_SVE,
  KVM_EXIT_UNKNOWN,
  type kvm_vcpu,
  new_kvm_cpu_context,
  VCPU_SVE_FINALIZED,
} from './v6.4/kvm_host.js';

export interface VmOptions {
  /** The VM's vcpus run AArch32 at EL1 (KVM_ARM_VCPU_EL1_32BIT). */
  aarch32?: boolean;
}

export function createKvm(opts: VmOptions = {}): kvm {
  return {
    arch: {
      flags: (1 << KVM_ARCH_FLAG_REG_WIDTH_CONFIGURED) | (opts.aarch32 ? 1 << KVM_ARCH_FLAG_EL1_32BIT : 0),
    },
  };
}

export interface VcpuOptions {
  /** KVM_ARM_VCPU_SVE: the guest has SVE (ignored on a machine without SVE, as KVM refuses it). */
  sve?: boolean;
  /** The guest's maximum SVE VL in bytes; default: the largest the machine supports. */
  sveMaxVl?: number;
  /**
   * The guest's own CPACR_EL1 (its EL1 register, saved in the vcpu context). Default: a guest
   * kernel that has enabled FP/SIMD, and SVE when it has it, for itself and its EL0; a guest that
   * leaves them off takes its own EL1 traps first, before any KVM trap.
   */
  guestCpacrEl1?: number;
  /**
   * The guest's own ZCR_EL1. Default: KVM's reset value, 0 (sys_regs.c resets ZCR_EL1 with
   * reset_val 0), so the guest runs at 128 bits until its kernel writes ZCR_EL1 (a Linux guest
   * selects its largest length at boot).
   */
  guestZcrEl1?: number;
}

/** A vcpu after KVM_ARM_VCPU_INIT (and, with SVE, KVM_ARM_VCPU_FINALIZE), never run. */
export function createVcpu(
  vm: kvm,
  vcpuId: number,
  machine: MachineConfig,
  opts: VcpuOptions = {},
): kvm_vcpu {
  const aarch32 = (vm.arch.flags & (1 << KVM_ARCH_FLAG_EL1_32BIT)) !== 0;
  const sve = !!opts.sve && machine.features.sve && !aarch32;
  const sveMaxVl = sve ? (opts.sveMaxVl ?? Math.max(...machine.sveVls)) : 0;
  if (sve && !machine.sveVls.includes(sveMaxVl)) throw new Error(`createVcpu: VL ${sveMaxVl} not supported`);
  const vq = sveMaxVl / 16;
  // HCR_GUEST_FLAGS as the model keeps them (RW), E2H with a VHE host, RW cleared for AArch32.
  let hcr = aarch32 ? 0 : HCR_RW;
  if (machine.features.vhe) hcr += HCR_E2H;
  const ctxt = new_kvm_cpu_context();
  ctxt.sys_regs.CPACR_EL1 = opts.guestCpacrEl1 ?? CPACR_EL1_FPEN | (sve ? CPACR_EL1_ZEN : 0);
  ctxt.sys_regs.ZCR_EL1 = opts.guestZcrEl1 ?? 0;
  return {
    vcpu_id: vcpuId,
    cpu: -1,
    kvm: vm,
    pid: -1,
    preempt_notifier_registered: false,
    run: { exit_reason: KVM_EXIT_UNKNOWN, immediate_exit: false },
    arch: {
      ctxt,
      sve_state: sve ? { capacityVq: vq, layoutVq: 0, zlo: 0, zhi: 0, p: 0, ffr: 0 } : null,
      fp_type: FP_STATE_CURRENT,
      sve_max_vl: sveMaxVl,
      svcr: 0,
      hcr_el2: hcr,
      cptr_el2: CPTR_EL2_DEFAULT,
      fault: { esr_el2: 0 },
      fp_state: FP_STATE_FREE,
      cflags: sve ? GUEST_HAS_SVE[1] | VCPU_SVE_FINALIZED[1] : 0,
      iflags: 0,
      sflags: 0,
      host_fpsimd_state: null,
      parent_task: null,
      target: 0,
      features: (aarch32 ? 1 << KVM_ARM_VCPU_EL1_32BIT : 0) | (sve ? 1 << KVM_ARM_VCPU_SVE : 0),
    },
  };
}
