// SPDX-License-Identifier: GPL-2.0-only
//
// The vcpu data of arch/arm64/include/asm/kvm_host.h (Linux v6.4) that the FP code reads and
// writes, as plain data: struct kvm_vcpu_arch reduced to the FP-relevant fields, the three vcpu
// flag sets with their accessors, the per-CPU host data of the hypervisor, and the helper macros
// (vcpu_has_sve, vcpu_sve_pffr, ...). The series did not touch this header; both revisions use it.
//
// Pointers (vcpu->kvm, host_fpsimd_state, parent_task) are object references, so the world's
// generic clone keeps the sharing. Fields the model does not need (stage-2 MMU, vgic, timers,
// debug) are left out rather than stubbed.

import type { SveBuffer, SvePffr } from '@kvmfp/machine';
import {
  deref,
  type fp_type,
  kernelState,
  type KernelState,
  preempt_disable,
  preempt_enable,
  smp_processor_id,
  sve_vq_from_vl,
  system_supports_sve,
  type task_struct,
  type user_fpsimd_state,
} from '@kvmfp/fpsimd';
import { GENMASK, HCR_RW } from '@kvmfp/sysreg';

/** The ownership of the FP registers while a vcpu is loaded (the anonymous enum of fp_state). */
export const FP_STATE_FREE = 0;
export const FP_STATE_HOST_OWNED = 1;
export const FP_STATE_GUEST_OWNED = 2;
export type kvm_fp_state = typeof FP_STATE_FREE | typeof FP_STATE_HOST_OWNED | typeof FP_STATE_GUEST_OWNED;

/**
 * enum vcpu_sysreg, the members the FP code and its stand-ins touch. The kernel indexes an array
 * by the enum; a record keyed by the member's name reads the same in a world dump.
 */
export const CPACR_EL1 = 'CPACR_EL1';
export const ZCR_EL1 = 'ZCR_EL1';
export const ESR_EL1 = 'ESR_EL1';
export const FPEXC32_EL2 = 'FPEXC32_EL2';
export type vcpu_sysreg = typeof CPACR_EL1 | typeof ZCR_EL1 | typeof ESR_EL1 | typeof FPEXC32_EL2;

/** struct kvm_cpu_context: the register context of a guest (or of the host, for nVHE). */
export interface kvm_cpu_context {
  regs: {
    /**
     * Model stand-in for the guest's exception entry (not a kernel field): the ESR of the
     * synchronous exception KVM last delivered to the guest's EL1, or null. It is set where
     * __kvm_adjust_pc makes the guest take a pending exception; the guest model reads and
     * clears it, as guest code would find itself at its vector with ESR_EL1 set.
     */
    exception_taken: number | null;
  };
  fp_regs: user_fpsimd_state;
  sys_regs: Record<vcpu_sysreg, number>;
  /** The vcpu running on this context (host contexts only). */
  __hyp_running_vcpu: kvm_vcpu | null;
}

/** struct kvm_vcpu_fault_info, the syndrome part. */
export interface kvm_vcpu_fault_info {
  esr_el2: number;
}

/** The flag sets of struct kvm_vcpu_arch. */
export type vcpu_flagset = 'cflags' | 'iflags' | 'sflags';

/** A vcpu flag: the (flag set, value, mask) triplet the kernel's flag macros take apart. */
export type vcpu_flag = readonly [set: vcpu_flagset, f: number, m: number];

export interface kvm_vcpu_arch {
  ctxt: kvm_cpu_context;
  /** Guest SVE register storage, sized for sve_max_vl (null for a vcpu without SVE). */
  sve_state: SveBuffer | null;
  /** Which view (FPSIMD or SVE) the host last saved the guest registers in. */
  fp_type: fp_type;
  sve_max_vl: number;
  /** Guest SVCR: always 0 (no SME guests); it exists for cpu_fp_state to point at. */
  svcr: number;
  /** Trap register values for the guest. */
  hcr_el2: number;
  cptr_el2: number;
  fault: kvm_vcpu_fault_info;
  fp_state: kvm_fp_state;
  /** Configuration flags (set before the vcpu first runs). */
  cflags: number;
  /** Input flags to the hypervisor code. */
  iflags: number;
  /** State flags for the host's bookkeeping. */
  sflags: number;
  /** Where the hypervisor saves the host's FPSIMD registers: the running task's fpsimd_state. */
  host_fpsimd_state: user_fpsimd_state | null;
  /** The task whose state is shared with the hypervisor (protected KVM only). */
  parent_task: task_struct | null;
  /** -1 once KVM has decided the vcpu is unfit to run. */
  target: number;
  /** KVM_ARM_VCPU_* feature bits requested at KVM_ARM_VCPU_INIT. */
  features: number;
}

/** struct kvm_run, the fields the run loop writes. */
export interface kvm_run {
  exit_reason: number;
  immediate_exit: boolean;
}

export interface kvm_vcpu {
  vcpu_id: number;
  /** The physical CPU the vcpu is loaded on, -1 when not loaded. */
  cpu: number;
  kvm: kvm;
  /** The pid of the task that last issued KVM_RUN (vcpu->pid), -1 before the first. */
  pid: number;
  /** Whether this vcpu's preempt notifier is registered on the task running it (vcpu_load to vcpu_put). */
  preempt_notifier_registered: boolean;
  run: kvm_run;
  arch: kvm_vcpu_arch;
}

/** struct kvm, the arm64 part the FP code reaches. */
export interface kvm {
  arch: {
    /** KVM_ARCH_FLAG_* bits. */
    flags: number;
  };
}

// enum kvm_arch flags (bit numbers in kvm->arch.flags).
export const KVM_ARCH_FLAG_REG_WIDTH_CONFIGURED = 3;
export const KVM_ARCH_FLAG_EL1_32BIT = 4;
export const KVM_ARCH_FLAG_HAS_RAN_ONCE = 6;

// KVM_ARM_VCPU_* feature numbers (uapi asm/kvm.h).
export const KVM_ARM_VCPU_POWER_OFF = 0;
export const KVM_ARM_VCPU_EL1_32BIT = 1;
export const KVM_ARM_VCPU_SVE = 4;

// KVM_EXIT_* reasons (uapi linux/kvm.h) the run loop sets.
export const KVM_EXIT_UNKNOWN = 0;
export const KVM_EXIT_MMIO = 6;
export const KVM_EXIT_FAIL_ENTRY = 9;
export const KVM_EXIT_INTR = 10;
export const KVM_EXIT_INTERNAL_ERROR = 17;

// The flag triplets. __vcpu_single_flag(set, f) is (set, f, f).
const BIT = (n: number) => 1 << n;
/** SVE exposed to the guest. */
export const GUEST_HAS_SVE: vcpu_flag = ['cflags', BIT(0), BIT(0)];
/** SVE configuration finalized (sve_state allocated). */
export const VCPU_SVE_FINALIZED: vcpu_flag = ['cflags', BIT(1), BIT(1)];
/** An exception is pending for the next guest entry. */
export const PENDING_EXCEPTION: vcpu_flag = ['iflags', BIT(0), BIT(0)];
/** Skip the trapped instruction on the next guest entry. */
export const INCREMENT_PC: vcpu_flag = ['iflags', BIT(1), BIT(1)];
/** Which exception is pending: a 3-bit field over iflags bits 1-3 (overlapping INCREMENT_PC on purpose). */
export const EXCEPT_MASK: vcpu_flag = ['iflags', GENMASK(3, 1), GENMASK(3, 1)];
/** The EL1 host had SVE enabled for EL0 when the vcpu was loaded. */
export const HOST_SVE_ENABLED: vcpu_flag = ['sflags', BIT(0), BIT(0)];
/** The EL1 host had SME enabled for EL0 when the vcpu was loaded. */
export const HOST_SME_ENABLED: vcpu_flag = ['sflags', BIT(1), BIT(1)];
/** The vcpu's EL1 system registers are live on the CPU (VHE only). */
export const SYSREGS_ON_CPU: vcpu_flag = ['sflags', BIT(4), BIT(4)];

const __EXCEPT_SHIFT = 1;
const __vcpu_except_flags = (f: number): vcpu_flag => ['iflags', f << __EXCEPT_SHIFT, GENMASK(3, 1)];
export const EXCEPT_AA32_UND = __vcpu_except_flags(0);
export const EXCEPT_AA64_EL1_SYNC = __vcpu_except_flags(0);

// arch/arm64/include/asm/kvm_host.h: unpack_vcpu_flag (v6.4)
// The value part of a flag triplet.
export function unpack_vcpu_flag(flag: vcpu_flag): number {
  return flag[1];
}

// include/linux/bitops.h: HWEIGHT (v6.4)
function hweight(m: number): number {
  let n = 0;
  for (let x = m; x; x &= x - 1) n++;
  return n;
}

// arch/arm64/include/asm/kvm_host.h: __vcpu_get_flag (v6.4)
// Reads under the flag's mask; a multi-bit field comes back unshifted.
export function vcpu_get_flag(v: kvm_vcpu, flag: vcpu_flag): number {
  const [set, , m] = flag;
  return v.arch[set] & m;
}

// arch/arm64/include/asm/kvm_host.h: __vcpu_set_flag (v6.4)
// The host side disables preemption around the update so that a flag write cannot interleave
// with the load/put hooks (which also write flags) through a preempt notifier. A multi-bit field
// is cleared before the new value goes in.
export function vcpu_set_flag(v: kvm_vcpu, flag: vcpu_flag): void {
  const [set, f, m] = flag;
  __vcpu_flags_preempt_disable();
  if (hweight(m) > 1) v.arch[set] &= ~m;
  v.arch[set] |= f;
  __vcpu_flags_preempt_enable();
}

// arch/arm64/include/asm/kvm_host.h: __vcpu_clear_flag (v6.4)
export function vcpu_clear_flag(v: kvm_vcpu, flag: vcpu_flag): void {
  const [set, , m] = flag;
  __vcpu_flags_preempt_disable();
  v.arch[set] &= ~m;
  __vcpu_flags_preempt_enable();
}

// arch/arm64/include/asm/kvm_host.h: __vcpu_flags_preempt_disable (v6.4)
// The kernel compiles the nVHE hypervisor without these (it cannot be preempted); VHE hyp code
// and the host get preempt_disable/enable. Hyp code that runs in the model changes no flag that
// matters to preemption, and the pair nets to zero, so one form serves both.
function __vcpu_flags_preempt_disable(): void {
  preempt_disable();
}

// arch/arm64/include/asm/kvm_host.h: __vcpu_flags_preempt_enable (v6.4)
function __vcpu_flags_preempt_enable(): void {
  preempt_enable();
}

// arch/arm64/include/asm/kvm_host.h: vcpu_sve_pffr (v6.4)
// The FFR slot of the vcpu's buffer, laid out for the vcpu's maximum VL.
export function vcpu_sve_pffr(vcpu: kvm_vcpu): SvePffr {
  return { buf: deref(vcpu.arch.sve_state, 'vcpu->arch.sve_state'), vq: vcpu_sve_max_vq(vcpu) };
}

// arch/arm64/include/asm/kvm_host.h: vcpu_sve_max_vq (v6.4)
export function vcpu_sve_max_vq(vcpu: kvm_vcpu): number {
  return sve_vq_from_vl(vcpu.arch.sve_max_vl);
}

// arch/arm64/include/asm/kvm_host.h: vcpu_has_sve (v6.4)
// Both the system and this vcpu's configuration must have SVE.
export function vcpu_has_sve(vcpu: kvm_vcpu): boolean {
  return system_supports_sve() && vcpu_get_flag(vcpu, GUEST_HAS_SVE) !== 0;
}

// arch/arm64/include/asm/kvm_host.h: kvm_arm_vcpu_sve_finalized (v6.4)
export function kvm_arm_vcpu_sve_finalized(vcpu: kvm_vcpu): boolean {
  return vcpu_get_flag(vcpu, VCPU_SVE_FINALIZED) !== 0;
}

// arch/arm64/include/asm/kvm_host.h: vcpu_on_unsupported_cpu (v6.4)
// Asymmetric systems are not modelled: every CPU supports every vcpu.
export function vcpu_on_unsupported_cpu(_vcpu: kvm_vcpu): boolean {
  return false;
}

// arch/arm64/include/asm/kvm_host.h: kvm_vm_is_protected (v6.4)
// Protected VMs do not exist in v6.4 upstream: the helper is constant false, which makes the nVHE
// pvm_exit_handlers table unreachable.
export function kvm_vm_is_protected(_kvm: kvm): boolean {
  return false;
}

// Per-CPU data of the hypervisor: kvm_host_data (the host context saved around a guest run on
// nVHE), kvm_init_params (the host's HCR_EL2 to go back to) and kvm_running_vcpu (kvm_main.c).

/** struct kvm_host_data. */
export interface kvm_host_data {
  host_ctxt: kvm_cpu_context;
}

/** The per-CPU variables of KVM, by name. */
export interface kvm_percpu {
  kvm_host_data: kvm_host_data;
  /** struct kvm_nvhe_init_params, the field the FP model needs. */
  kvm_init_params: { hcr_el2: number };
  kvm_running_vcpu: kvm_vcpu | null;
}

/**
 * HCR_EL2 for an nVHE host, reduced to the bits the model reads (the kernel's HCR_HOST_NVHE_FLAGS
 * also has API, APK and ATA); the same value the machine boots nVHE CPUs with.
 */
export const HCR_HOST_NVHE_FLAGS = HCR_RW;

export function new_kvm_cpu_context(): kvm_cpu_context {
  return {
    regs: { exception_taken: null },
    fp_regs: { vregs: 0, fpsr: 0 },
    sys_regs: { CPACR_EL1: 0, ZCR_EL1: 0, ESR_EL1: 0, FPEXC32_EL2: 0 },
    __hyp_running_vcpu: null,
  };
}

/**
 * KVM's per-CPU data lives with the kernel's own (KernelState.kvm_percpu), created on first use as
 * the boot-time init (cpu_prepare_hyp_mode) would have left it, so it is cloned with the world.
 */
type KernelStateWithKvm = KernelState & { kvm_percpu?: kvm_percpu[] };

function kvmPercpu(): kvm_percpu[] {
  const k = kernelState() as KernelStateWithKvm;
  k.kvm_percpu ??= k.percpu.map(() => ({
    kvm_host_data: { host_ctxt: new_kvm_cpu_context() },
    kvm_init_params: { hcr_el2: HCR_HOST_NVHE_FLAGS },
    kvm_running_vcpu: null,
  }));
  return k.kvm_percpu;
}

/** this_cpu_ptr(&name) for KVM's per-CPU variables. */
export function kvm_this_cpu_ptr<N extends keyof kvm_percpu>(name: N): kvm_percpu[N] {
  return kvmPercpu()[smp_processor_id()][name];
}

/** __this_cpu_write(name, value) for KVM's per-CPU variables. */
export function kvm_this_cpu_write<N extends keyof kvm_percpu>(name: N, value: kvm_percpu[N]): void {
  kvmPercpu()[smp_processor_id()][name] = value;
}
