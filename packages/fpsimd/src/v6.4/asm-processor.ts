// The vector-length accessors of arch/arm64/include/asm/processor.h (Linux v6.4). A thread keeps
// one VL per vector type; which of them its SVE registers are laid out for depends on whether it
// was last in streaming mode.

import { SVCR_SM_MASK } from '@kvmfp/sysreg';
import { task_get_vl, task_get_vl_onexec, task_set_vl, task_set_vl_onexec } from './fpsimd.js';
import { system_supports_sme } from './linux.js';
import {
  ARM64_VEC_SME,
  ARM64_VEC_SVE,
  type task_struct,
  type thread_struct,
  type vec_type,
} from './types.js';

// arch/arm64/include/asm/processor.h: thread_get_vl (v6.4)
export function thread_get_vl(thread: thread_struct, type: vec_type): number {
  return thread.vl[type];
}

// arch/arm64/include/asm/processor.h: thread_get_sve_vl (v6.4)
export function thread_get_sve_vl(thread: thread_struct): number {
  return thread_get_vl(thread, ARM64_VEC_SVE);
}

// arch/arm64/include/asm/processor.h: thread_get_sme_vl (v6.4)
export function thread_get_sme_vl(thread: thread_struct): number {
  return thread_get_vl(thread, ARM64_VEC_SME);
}

// arch/arm64/include/asm/processor.h: thread_get_cur_vl (v6.4)
// The VL the saved SVE registers are laid out for: the streaming one while SVCR.SM is recorded.
export function thread_get_cur_vl(thread: thread_struct): number {
  if (system_supports_sme() && thread.svcr & SVCR_SM_MASK) return thread_get_sme_vl(thread);
  else return thread_get_sve_vl(thread);
}

// arch/arm64/include/asm/processor.h: task_get_sve_vl (v6.4)
export function task_get_sve_vl(task: task_struct): number {
  return task_get_vl(task, ARM64_VEC_SVE);
}

// arch/arm64/include/asm/processor.h: task_get_sme_vl (v6.4)
export function task_get_sme_vl(task: task_struct): number {
  return task_get_vl(task, ARM64_VEC_SME);
}

// arch/arm64/include/asm/processor.h: task_set_sve_vl (v6.4)
export function task_set_sve_vl(task: task_struct, vl: number): void {
  task_set_vl(task, ARM64_VEC_SVE, vl);
}

// arch/arm64/include/asm/processor.h: task_get_sve_vl_onexec (v6.4)
export function task_get_sve_vl_onexec(task: task_struct): number {
  return task_get_vl_onexec(task, ARM64_VEC_SVE);
}

// arch/arm64/include/asm/processor.h: task_set_sve_vl_onexec (v6.4)
export function task_set_sve_vl_onexec(task: task_struct, vl: number): void {
  task_set_vl_onexec(task, ARM64_VEC_SVE, vl);
}
