// The static inline helpers of arch/arm64/include/asm/fpsimd.h (Linux v6.4). The SMSTART/SMSTOP
// inlines live in @kvmfp/machine with the other primitives; the pointer and allocation model for
// the buffers is in linux.ts.

import type { SvePffr } from '@kvmfp/machine';
import {
  CPACR_EL1_SMEN_EL0EN,
  CPACR_EL1_ZEN_EL0EN,
  read_sysreg_s,
  SMCR_ELx_LEN_MASK,
  SVCR_SM_MASK,
  SVCR_ZA_MASK,
  SYS_SMCR_EL1,
  SYS_ZCR_EL1,
  sysreg_clear_set,
  write_sysreg_s,
  ZCR_ELx_LEN_MASK,
} from '@kvmfp/sysreg';
import { thread_get_sme_vl, thread_get_sve_vl, task_get_sme_vl } from './asm-processor.js';
import {
  kernelState,
  sve_state_plus,
  system_supports_sme,
  system_supports_sme2,
  WARN_ON_ONCE,
} from './linux.js';
import {
  ARM64_VEC_SME,
  ARM64_VEC_SVE,
  type task_struct,
  type thread_struct,
  type vec_type,
} from './types.js';
import {
  __SVE_FFR_OFFSET,
  SVE_VQ_MAX,
  sve_vl_from_vq,
  sve_vq_from_vl,
  ZA_SIG_REGS_SIZE,
  ZT_SIG_REG_SIZE,
} from './uapi-sve-context.js';

/** The largest streaming vq the architecture can ever have (smaller than the SVE bound). */
export const SME_VQ_MAX = 16;

// arch/arm64/include/asm/fpsimd.h: thread_sm_enabled (v6.4)
export function thread_sm_enabled(thread: thread_struct): boolean {
  return system_supports_sme() && (thread.svcr & SVCR_SM_MASK) !== 0;
}

// arch/arm64/include/asm/fpsimd.h: thread_za_enabled (v6.4)
export function thread_za_enabled(thread: thread_struct): boolean {
  return system_supports_sme() && (thread.svcr & SVCR_ZA_MASK) !== 0;
}

/** The largest VL that software written for any VL is promised to cope with. */
export const VL_ARCH_MAX = 0x100;

// arch/arm64/include/asm/fpsimd.h: sve_ffr_offset (v6.4)
// A byte offset into an sve_state buffer: the FFR slot sits after all Z and P for that VL, so the
// asm primitives can find every other register from it.
export function sve_ffr_offset(vl: number): number {
  // The signal-frame header offset cancels out: the value is the offset inside the register dump.
  return __SVE_FFR_OFFSET(sve_vq_from_vl(vl));
}

// arch/arm64/include/asm/fpsimd.h: sve_pffr (v6.4)
// The FFR pointer for the layout the thread's registers are kept in (streaming VL while SM is on).
export function sve_pffr(thread: thread_struct): SvePffr {
  let vl: number;

  if (system_supports_sme() && thread_sm_enabled(thread)) vl = thread_get_sme_vl(thread);
  else vl = thread_get_sve_vl(thread);

  return sve_state_plus(thread.sve_state, sve_ffr_offset(vl));
}

// arch/arm64/include/asm/fpsimd.h: __vq_to_bit (v6.4)
// The VQ bitmaps are stored highest-VQ-first so that a forward bit search finds the largest VQ
// at or below a bound.
export function __vq_to_bit(vq: number): number {
  return SVE_VQ_MAX - vq;
}

// arch/arm64/include/asm/fpsimd.h: __bit_to_vq (v6.4)
export function __bit_to_vq(bit: number): number {
  return SVE_VQ_MAX - bit;
}

// arch/arm64/include/asm/fpsimd.h: sve_user_disable (v6.4)
// EL0 SVE use traps again (CPACR_EL1.ZEN loses its EL0 bit).
export function sve_user_disable(): void {
  sysreg_clear_set('cpacr_el1', CPACR_EL1_ZEN_EL0EN, 0);
}

// arch/arm64/include/asm/fpsimd.h: sve_user_enable (v6.4)
export function sve_user_enable(): void {
  sysreg_clear_set('cpacr_el1', 0, CPACR_EL1_ZEN_EL0EN);
}

// arch/arm64/include/asm/fpsimd.h: sve_cond_update_zcr_vq (v6.4)
// Writes the LEN field only when it differs: a ZCR write is costly and may discard register bits.
export function sve_cond_update_zcr_vq(val: number, reg: number): void {
  const __zcr = read_sysreg_s(reg);
  let __new = __zcr & ~ZCR_ELx_LEN_MASK;
  __new |= val & ZCR_ELx_LEN_MASK;
  if (__zcr !== __new) write_sysreg_s(__new, reg);
}

// arch/arm64/include/asm/fpsimd.h: write_vl (v6.4)
// An unconditional LEN write, as the boot-time probes use it.
export function write_vl(type: vec_type, val: number): void {
  let tmp: number;

  switch (type) {
    case ARM64_VEC_SVE:
      tmp = read_sysreg_s(SYS_ZCR_EL1) & ~ZCR_ELx_LEN_MASK;
      write_sysreg_s(tmp | val, SYS_ZCR_EL1);
      break;
    case ARM64_VEC_SME:
      tmp = read_sysreg_s(SYS_SMCR_EL1) & ~SMCR_ELx_LEN_MASK;
      write_sysreg_s(tmp | val, SYS_SMCR_EL1);
      break;
    default:
      WARN_ON_ONCE(true);
      break;
  }
}

// arch/arm64/include/asm/fpsimd.h: vec_max_vl (v6.4)
export function vec_max_vl(type: vec_type): number {
  return kernelState().vl_info[type].max_vl;
}

// arch/arm64/include/asm/fpsimd.h: vec_max_virtualisable_vl (v6.4)
export function vec_max_virtualisable_vl(type: vec_type): number {
  return kernelState().vl_info[type].max_virtualisable_vl;
}

// arch/arm64/include/asm/fpsimd.h: sve_max_vl (v6.4)
export function sve_max_vl(): number {
  return vec_max_vl(ARM64_VEC_SVE);
}

// arch/arm64/include/asm/fpsimd.h: sve_max_virtualisable_vl (v6.4)
export function sve_max_virtualisable_vl(): number {
  return vec_max_virtualisable_vl(ARM64_VEC_SVE);
}

// arch/arm64/include/asm/fpsimd.h: vq_available (v6.4)
// The configuration keeps the supported lengths as a list; a set bit is a listed VL.
export function vq_available(type: vec_type, vq: number): boolean {
  return test_vq_map_bit(kernelState().vl_info[type].vls, __vq_to_bit(vq));
}

// arch/arm64/include/asm/fpsimd.h: sve_vq_available (v6.4)
export function sve_vq_available(vq: number): boolean {
  return vq_available(ARM64_VEC_SVE, vq);
}

// arch/arm64/include/asm/fpsimd.h: sme_user_disable (v6.4)
export function sme_user_disable(): void {
  sysreg_clear_set('cpacr_el1', CPACR_EL1_SMEN_EL0EN, 0);
}

// arch/arm64/include/asm/fpsimd.h: sme_user_enable (v6.4)
export function sme_user_enable(): void {
  sysreg_clear_set('cpacr_el1', 0, CPACR_EL1_SMEN_EL0EN);
}

// arch/arm64/include/asm/fpsimd.h: sme_max_vl (v6.4)
export function sme_max_vl(): number {
  return vec_max_vl(ARM64_VEC_SME);
}

// arch/arm64/include/asm/fpsimd.h: sme_max_virtualisable_vl (v6.4)
export function sme_max_virtualisable_vl(): number {
  return vec_max_virtualisable_vl(ARM64_VEC_SME);
}

// arch/arm64/include/asm/fpsimd.h: sme_state_size (v6.4)
// ZA for the task's streaming VL, plus room for ZT0 after it when SME2 is present.
export function sme_state_size(task: task_struct): number {
  const vl = task_get_sme_vl(task);
  let size: number;

  size = ZA_SIG_REGS_SIZE(sve_vq_from_vl(vl));

  if (system_supports_sme2()) size += ZT_SIG_REG_SIZE;

  return size;
}

// Not a kernel function: the configuration keeps vq_map as a list of VLs.

/** Bit `bit` of a vq_map bitmap, read from the list of supported VLs. */
export function test_vq_map_bit(vls: readonly number[], bit: number): boolean {
  return vls.includes(sve_vl_from_vq(__bit_to_vq(bit)));
}

// The pointer and allocation model moved to linux.ts; re-exported here for existing importers.
export {
  deref,
  kzalloc_sme_state,
  kzalloc_sve_state,
  memset_sme_state,
  memset_sve_state,
  sve_state_plus,
} from './linux.js';
