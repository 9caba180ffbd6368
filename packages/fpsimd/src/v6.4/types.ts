// The FP-relevant kernel data of arch/arm64/include/asm/processor.h, asm/fpsimd.h,
// asm/thread_info.h and asm/ptrace.h (Linux v6.4), as plain data. Pointers between kernel objects
// are object references, so the world's generic clone (which keeps sharing) preserves them.

import type { FpsimdStorage, SmeBuffer, SveBuffer, Val } from '@kvmfp/machine';

/** struct user_fpsimd_state (V0-V31, FPSR, FPCR), held in memory. */
export type user_fpsimd_state = FpsimdStorage;

/** enum fp_type (asm/processor.h). */
export const FP_STATE_CURRENT = 0;
export const FP_STATE_FPSIMD = 1;
export const FP_STATE_SVE = 2;
export type fp_type = typeof FP_STATE_CURRENT | typeof FP_STATE_FPSIMD | typeof FP_STATE_SVE;

/** enum vec_type (asm/processor.h). */
export const ARM64_VEC_SVE = 0;
export const ARM64_VEC_SME = 1;
export const ARM64_VEC_MAX = 2;
export type vec_type = typeof ARM64_VEC_SVE | typeof ARM64_VEC_SME;

// Thread flags (asm/thread_info.h), bit numbers.
export const TIF_SIGPENDING = 0;
export const TIF_NEED_RESCHED = 1;
export const TIF_NOTIFY_RESUME = 2;
export const TIF_FOREIGN_FPSTATE = 3;
export const TIF_NOTIFY_SIGNAL = 6;
export const TIF_SVE = 23;
export const TIF_SVE_VL_INHERIT = 24;
export const TIF_SME = 27;
export const TIF_SME_VL_INHERIT = 28;

/** A pointer to a field of some kernel object (C's `&obj->field`). */
export interface FieldRef<T extends object, K extends keyof T> {
  obj: T;
  key: K;
}

export interface thread_struct {
  uw: { tp_value: number; tp2_value: number; fpsimd_state: user_fpsimd_state };
  fp_type: fp_type;
  fpsimd_cpu: number;
  /** Absent (null) until sve_alloc; sized by sve_state_size() at allocation. */
  sve_state: SveBuffer | null;
  /** Absent (null) until sme_alloc. */
  sme_state: SmeBuffer | null;
  vl: [number, number];
  vl_onexec: [number, number];
  svcr: number;
  tpidr2_el0: Val;
}

/** struct pt_regs, as far as the FP code looks at it (in_syscall). */
export interface pt_regs {
  syscallno: number;
  /** The user PC (instruction_pointer), reported with the signals the trap handlers force. */
  pc?: number;
}

/** The syscall number of a pt_regs that is not in a syscall. */
export const NO_SYSCALL = -1;

export interface task_struct {
  pid: number;
  comm: string;
  /** Kernel threads have no mm; user tasks have one. */
  mm: boolean;
  /** thread_info.flags: TIF_* bits. */
  flags: number;
  thread: thread_struct;
  regs: pt_regs;
  /** The CPU the task last ran on (task_cpu). */
  cpu: number;
}

/** struct cpu_fp_state (asm/fpsimd.h): what fpsimd_last_state says about the live registers. */
export interface cpu_fp_state {
  st: user_fpsimd_state | null;
  sve_state: SveBuffer | null;
  sme_state: SmeBuffer | null;
  svcr: FieldRef<{ svcr: number }, 'svcr'> | null;
  sve_vl: number;
  sme_vl: number;
  fp_type: FieldRef<{ fp_type: fp_type }, 'fp_type'> | null;
  to_save: fp_type;
}

/** struct vl_info (asm/fpsimd.h), boot-time facts; configuration, not ported. */
export interface vl_info {
  type: vec_type;
  name: string;
  min_vl: number;
  max_vl: number;
  max_virtualisable_vl: number;
  /** Supported VLs, in bytes, ascending (the vq_map bitmap). */
  vls: number[];
}

/** Per-CPU kernel data the FP code uses. */
export interface PerCpuKernel {
  current: task_struct;
  fpsimd_last_state: cpu_fp_state;
  fpsimd_context_busy: boolean;
  /** preempt_count's preemption part (preempt_disable depth). */
  preempt_count: number;
  /** softirq-disable depth (local_bh_disable). */
  softirq_disable: number;
  irqs_disabled: boolean;
  in_softirq: boolean;
  in_hardirq: boolean;
  /**
   * local_softirq_pending(): a softirq was raised while softirqs were disabled on this CPU, so it
   * waits for the local_bh_enable that ends that section (absent: none pending).
   */
  softirq_pending?: boolean;
  // The per-CPU EFI save area of fpsimd.c (only used when EFI runtime services run with FP live).
  efi_fpsimd_state?: user_fpsimd_state;
  efi_fpsimd_state_used?: boolean;
  efi_sve_state_used?: boolean;
  efi_sm_state?: boolean;
}

/** A WARN, BUG or signal the port raised, recorded instead of crashing. */
export interface Finding {
  kind: 'WARN' | 'BUG' | 'signal' | 'fault';
  where: string;
  detail: string;
  cpu: number;
  pid: number;
}

export interface KernelState {
  tasks: task_struct[];
  percpu: PerCpuKernel[];
  vl_info: [vl_info, vl_info];
  /** The sysctl defaults (vec_set_default_vl), by vec_type. */
  default_vl: [number, number];
  findings: Finding[];
  /**
   * The per-CPU SVE buffers sve_efi_setup allocates at boot (one per CPU, sized for the largest
   * VL); absent or null when EFI is not configured, as the kernel's NULL efi_sve_state.
   */
  efi_sve_state?: SveBuffer[] | null;
  /** How many of the next GFP_KERNEL allocations fail (the sim's fault injection); absent = none. */
  allocFailures?: number;
}
