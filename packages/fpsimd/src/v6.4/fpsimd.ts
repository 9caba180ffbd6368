// Port of arch/arm64/kernel/fpsimd.c (Linux v6.4): lazy save and restore of a task's FPSIMD, SVE
// and SME register state, the access traps that turn SVE/SME on for a task, kernel-mode NEON and
// the vector-length controls. Functions are in the kernel's order; boot-time probing is machine
// configuration (see manifest.json, kind "configuration").
//
// The bookkeeping in one paragraph: each CPU remembers (fpsimd_last_state) whose user register
// state its registers hold, each task remembers the CPU that last held its state (fpsimd_cpu), and
// TIF_FOREIGN_FPSTATE on a task says "the registers are not yours". Registers are saved only when
// someone else needs them and reloaded only on the way back to user space. Every change of that
// bookkeeping happens with the CPU's FP context claimed (get_cpu_fpsimd_context), which keeps
// softirq users of kernel-mode NEON out.
//
// Paths that can be preempted between statements are generators and mark the places with
// `yield* point(label)`; the sim may run any event there that the kernel allows.

import {
  fpsimd_load_state,
  fpsimd_save_state,
  sme_load_state,
  sme_save_state,
  sme_set_vq,
  sme_smstop,
  sve_flush_live,
  sve_get_vl,
  sve_load_state,
  sve_save_state,
  sve_set_vq,
  type SmeBuffer,
  type SveBuffer,
  UNKNOWN,
  ZERO,
  machineFault,
} from '@kvmfp/machine';
import {
  ESR_ELx_FP_EXC_TFV,
  ESR_ELx_ISS,
  ESR_ELx_SME_ISS_SME_DISABLED,
  read_sysreg_s,
  SVCR_SM_MASK,
  SVCR_ZA_MASK,
  SYS_SVCR,
  sysreg_clear_set_s,
  write_sysreg_s,
} from '@kvmfp/sysreg';
import {
  sme_state_size,
  sme_user_disable,
  sme_user_enable,
  sve_ffr_offset,
  sve_max_vl,
  sve_pffr,
  sve_user_disable,
  sve_user_enable,
  test_vq_map_bit,
  thread_sm_enabled,
  thread_za_enabled,
  __bit_to_vq,
  __vq_to_bit,
  VL_ARCH_MAX,
} from './asm-fpsimd.js';
import { task_get_sme_vl, task_get_sve_vl, thread_get_cur_vl } from './asm-processor.js';
import {
  BUG_ON,
  clear_thread_flag,
  CONFIG_ARM64_SVE,
  CONFIG_PREEMPT_RT,
  CPU_PM_ENTER,
  CPU_PM_ENTER_FAILED,
  CPU_PM_EXIT,
  current,
  current_pt_regs,
  EINVAL,
  force_sig,
  force_signal_inject,
  FPE_FLTDIV,
  FPE_FLTINV,
  FPE_FLTOVF,
  FPE_FLTRES,
  FPE_FLTUND,
  FPE_FLTUNK,
  GFP_KERNEL,
  ILL_ILLOPC,
  in_softirq,
  in_syscall,
  instruction_pointer,
  irqs_disabled,
  is_compat_task,
  IS_ENABLED,
  kernelState,
  kfree,
  type KernelPath,
  local_bh_disable,
  local_bh_enable,
  may_use_simd,
  NOTIFY_DONE,
  NOTIFY_OK,
  NR_CPUS,
  per_cpu,
  point,
  PR_SME_VL_LEN_MASK,
  PR_SVE_SET_VL_ONEXEC,
  PR_SVE_VL_INHERIT,
  PR_SVE_VL_LEN_MASK,
  preempt_disable,
  preempt_enable,
  preemptible,
  send_sig_fault,
  set_thread_flag,
  set_tsk_thread_flag,
  SI_KERNEL,
  SIGFPE,
  SIGILL,
  SIGKILL,
  smp_processor_id,
  system_supports_fa64,
  system_supports_fpsimd,
  system_supports_sme,
  system_supports_sme2,
  system_supports_sve,
  test_and_clear_thread_flag,
  test_and_clear_tsk_thread_flag,
  test_and_set_thread_flag,
  test_thread_flag,
  test_tsk_thread_flag,
  this_cpu_ptr,
  update_tsk_thread_flag,
  WARN_ON,
  WARN_ON_ONCE,
  __this_cpu_read,
  __this_cpu_write,
  __this_cpu_xchg,
  barrier,
  deref,
  kzalloc_sme_state,
  kzalloc_sve_state,
  memset_sme_state,
  memset_sve_state,
  sve_state_plus,
} from './linux.js';
import {
  ARM64_VEC_SME,
  ARM64_VEC_SVE,
  type cpu_fp_state,
  FP_STATE_CURRENT,
  FP_STATE_FPSIMD,
  FP_STATE_SVE,
  type pt_regs,
  type task_struct,
  TIF_FOREIGN_FPSTATE,
  TIF_SME,
  TIF_SME_VL_INHERIT,
  TIF_SVE,
  TIF_SVE_VL_INHERIT,
  type user_fpsimd_state,
  type vec_type,
  type vl_info,
} from './types.js';
import {
  SVE_SIG_REGS_SIZE,
  SVE_VQ_MAX,
  sve_vl_from_vq,
  sve_vl_valid,
  sve_vq_from_vl,
} from './uapi-sve-context.js';

// The cumulative exception bits of FPEXC32/ESR ISS that do_fpsimd_exc decodes.
export const FPEXC_IOF = 1 << 0;
export const FPEXC_DZF = 1 << 1;
export const FPEXC_OFF = 1 << 2;
export const FPEXC_UFF = 1 << 3;
export const FPEXC_IXF = 1 << 4;
export const FPEXC_IDF = 1 << 7;

// arch/arm64/kernel/fpsimd.c: vec_vl_inherit_flag (v6.4)
// Each vector type has its own "keep my VL across exec" thread flag.
export function vec_vl_inherit_flag(type: vec_type): number {
  switch (type) {
    case ARM64_VEC_SVE:
      return TIF_SVE_VL_INHERIT;
    case ARM64_VEC_SME:
      return TIF_SME_VL_INHERIT;
    default:
      WARN_ON_ONCE(true);
      return 0;
  }
}

// arch/arm64/kernel/fpsimd.c: get_default_vl (v6.4)
// The per-type default lives in the kernel data (KernelState.default_vl), set by boot
// configuration or by the sysctl handler below.
export function get_default_vl(type: vec_type): number {
  return kernelState().default_vl[type];
}

// arch/arm64/kernel/fpsimd.c: get_sve_default_vl (v6.4)
export function get_sve_default_vl(): number {
  return get_default_vl(ARM64_VEC_SVE);
}

// arch/arm64/kernel/fpsimd.c: set_default_vl (v6.4)
export function set_default_vl(type: vec_type, val: number): void {
  kernelState().default_vl[type] = val;
}

// arch/arm64/kernel/fpsimd.c: set_sve_default_vl (v6.4)
export function set_sve_default_vl(val: number): void {
  set_default_vl(ARM64_VEC_SVE, val);
}

// arch/arm64/kernel/fpsimd.c: get_sme_default_vl (v6.4)
export function get_sme_default_vl(): number {
  return get_default_vl(ARM64_VEC_SME);
}

// arch/arm64/kernel/fpsimd.c: set_sme_default_vl (v6.4)
export function set_sme_default_vl(val: number): void {
  set_default_vl(ARM64_VEC_SME, val);
}

// arch/arm64/kernel/fpsimd.c: __get_cpu_fpsimd_context (v6.4)
// Marks this CPU's FP context as claimed; the caller already made sure it cannot be preempted.
// Finding it claimed already means two owners at once.
export function __get_cpu_fpsimd_context(): void {
  const busy = __this_cpu_xchg('fpsimd_context_busy', true);

  WARN_ON(busy);
}

// arch/arm64/kernel/fpsimd.c: get_cpu_fpsimd_context (v6.4)
// Claims the FP context from preemptible code: disabling softirqs (which also stops preemption on
// a non-RT kernel) keeps a softirq's kernel_neon_begin from saving registers under our feet.
export function get_cpu_fpsimd_context(): void {
  if (!IS_ENABLED(CONFIG_PREEMPT_RT)) local_bh_disable();
  else preempt_disable();
  __get_cpu_fpsimd_context();
}

// arch/arm64/kernel/fpsimd.c: __put_cpu_fpsimd_context (v6.4)
export function __put_cpu_fpsimd_context(): void {
  const busy = __this_cpu_xchg('fpsimd_context_busy', false);

  // A release without a matching claim.
  WARN_ON(!busy);
}

// arch/arm64/kernel/fpsimd.c: put_cpu_fpsimd_context (v6.4)
// Releases the claim, then lets softirqs (and preemption) in again, in that order.
export function put_cpu_fpsimd_context(): void {
  __put_cpu_fpsimd_context();
  if (!IS_ENABLED(CONFIG_PREEMPT_RT)) local_bh_enable();
  else preempt_enable();
}

// arch/arm64/kernel/fpsimd.c: have_cpu_fpsimd_context (v6.4)
// For assertions: the FP context is ours only if we also cannot be moved off this CPU.
export function have_cpu_fpsimd_context(): boolean {
  return !preemptible() && __this_cpu_read('fpsimd_context_busy');
}

// arch/arm64/kernel/fpsimd.c: task_get_vl (v6.4)
export function task_get_vl(task: task_struct, type: vec_type): number {
  return task.thread.vl[type];
}

// arch/arm64/kernel/fpsimd.c: task_set_vl (v6.4)
export function task_set_vl(task: task_struct, type: vec_type, vl: number): void {
  task.thread.vl[type] = vl;
}

// arch/arm64/kernel/fpsimd.c: task_get_vl_onexec (v6.4)
export function task_get_vl_onexec(task: task_struct, type: vec_type): number {
  return task.thread.vl_onexec[type];
}

// arch/arm64/kernel/fpsimd.c: task_set_vl_onexec (v6.4)
export function task_set_vl_onexec(task: task_struct, type: vec_type, vl: number): void {
  task.thread.vl_onexec[type] = vl;
}

// arch/arm64/kernel/fpsimd.c: task_fpsimd_load (v6.4)
// Puts current's saved user state into the registers before a return to user space, and sets the
// EL0 SVE trap and the VLs so that they agree with the format the state was saved in (fp_type).
// SME comes last because SVCR.SM decides which VL the Z/P data is laid out for, and whether FFR
// exists at all in streaming mode (only with FA64).
export function task_fpsimd_load(): void {
  let restore_sve_regs = false;
  // Only read when restore_sve_regs is set, and every branch that sets that sets this too.
  let restore_ffr = false;

  WARN_ON(!system_supports_fpsimd());
  WARN_ON(!have_cpu_fpsimd_context());

  if (system_supports_sve() || system_supports_sme()) {
    switch (current().thread.fp_type) {
      case FP_STATE_FPSIMD:
        // Plain FPSIMD data: SVE goes back to trapping until the task uses it again.
        if (test_and_clear_thread_flag(TIF_SVE)) sve_user_disable();
        break;
      case FP_STATE_SVE:
        // Full SVE data outside streaming mode means the task was using SVE, so its flag must
        // already be set; only then is EL0 access opened.
        if (!thread_sm_enabled(current().thread) && !WARN_ON_ONCE(!test_and_set_thread_flag(TIF_SVE)))
          sve_user_enable();

        if (test_thread_flag(TIF_SVE)) sve_set_vq(sve_vq_from_vl(task_get_sve_vl(current())) - 1);

        restore_sve_regs = true;
        restore_ffr = true;
        break;
      default:
        // fpsimd_save always records a format, so this is a bookkeeping bug; the FPSIMD copy is
        // always there, so fall back to it.
        WARN_ON_ONCE(true);
        clear_thread_flag(TIF_SVE);
        break;
    }
  }

  if (system_supports_sme()) {
    const sme_vl = task_get_sme_vl(current());

    // The streaming VL must be right before SVCR brings back streaming mode and ZA.
    if (test_thread_flag(TIF_SME)) sme_set_vq(sve_vq_from_vl(sme_vl) - 1);

    write_sysreg_s(current().thread.svcr, SYS_SVCR);

    if (thread_za_enabled(current().thread))
      sme_load_state(deref(current().thread.sme_state, 'thread.sme_state'), system_supports_sme2());

    if (thread_sm_enabled(current().thread)) restore_ffr = system_supports_fa64();
  }

  if (restore_sve_regs) {
    WARN_ON_ONCE(current().thread.fp_type !== FP_STATE_SVE);
    sve_load_state(sve_pffr(current().thread), current().thread.uw.fpsimd_state, restore_ffr);
  } else {
    WARN_ON_ONCE(current().thread.fp_type !== FP_STATE_FPSIMD);
    fpsimd_load_state(current().thread.uw.fpsimd_state);
  }
}

// arch/arm64/kernel/fpsimd.c: fpsimd_save (v6.4)
// Writes the live registers back to whoever's storage fpsimd_last_state names. That may be a KVM
// vcpu rather than current (KVM binds the guest's storage with an explicit to_save), so everything
// goes through `last`. The full SVE state is saved only when it matters: a task inside a syscall
// only has the FPSIMD subset guaranteed, streaming mode always needs the full (streaming) state.
export function fpsimd_save(): void {
  const last = this_cpu_ptr('fpsimd_last_state');
  let save_sve_regs = false;
  let save_ffr = false;
  let vl = 0;

  WARN_ON(!system_supports_fpsimd());
  WARN_ON(!have_cpu_fpsimd_context());

  // The registers hold nothing of ours (already saved, or used by someone else since).
  if (test_thread_flag(TIF_FOREIGN_FPSTATE)) return;

  if (
    (last.to_save === FP_STATE_CURRENT && test_thread_flag(TIF_SVE) && !in_syscall(current_pt_regs())) ||
    last.to_save === FP_STATE_SVE
  ) {
    save_sve_regs = true;
    save_ffr = true;
    vl = last.sve_vl;
  }

  if (system_supports_sme()) {
    const svcr = deref(last.svcr, 'last->svcr');

    svcr.obj[svcr.key] = read_sysreg_s(SYS_SVCR);

    if (svcr.obj[svcr.key] & SVCR_ZA_MASK)
      sme_save_state(deref(last.sme_state, 'last->sme_state'), system_supports_sme2());

    // Streaming mode wins over the SVE decision above: the Z/P data is at the streaming VL.
    if (svcr.obj[svcr.key] & SVCR_SM_MASK) {
      save_sve_regs = true;
      save_ffr = system_supports_fa64();
      vl = last.sme_vl;
    }
  }

  if (IS_ENABLED(CONFIG_ARM64_SVE) && save_sve_regs) {
    // RDVL reports the VL in force (streaming if SM); a mismatch would save garbage, and the
    // task cannot be allowed back to user space with it, so it dies instead.
    if (WARN_ON(sve_get_vl() !== vl)) {
      force_signal_inject(SIGKILL, SI_KERNEL, 0, 0);
      return;
    }

    sve_save_state(sve_state_plus(last.sve_state, sve_ffr_offset(vl)), deref(last.st, 'last->st'), save_ffr);
    const fp_type = deref(last.fp_type, 'last->fp_type');
    fp_type.obj[fp_type.key] = FP_STATE_SVE;
  } else {
    fpsimd_save_state(deref(last.st, 'last->st'));
    const fp_type = deref(last.fp_type, 'last->fp_type');
    fp_type.obj[fp_type.key] = FP_STATE_FPSIMD;
  }
}

/** find_next_bit() over a vq_map kept as the list of supported VLs. */
function find_next_bit(info: vl_info, size: number, offset: number): number {
  for (let bit = offset; bit < size; bit++) if (test_vq_map_bit(info.vls, bit)) return bit;
  return size;
}

// arch/arm64/kernel/fpsimd.c: find_supported_vector_length (v6.4)
// Maps any requested VL to the largest supported one not above it, clamped to [min, max]. Invalid
// input is a caller bug (WARN) but still gets a usable answer.
export function find_supported_vector_length(type: vec_type, vl: number): number {
  const info = kernelState().vl_info[type];
  let max_vl = info.max_vl;

  if (WARN_ON(!sve_vl_valid(vl))) vl = info.min_vl;

  if (WARN_ON(!sve_vl_valid(max_vl))) max_vl = info.min_vl;

  if (vl > max_vl) vl = max_vl;
  if (vl < info.min_vl) vl = info.min_vl;

  const bit = find_next_bit(info, SVE_VQ_MAX, __vq_to_bit(sve_vq_from_vl(vl)));
  return sve_vl_from_vq(__bit_to_vq(bit));
}

/** The parts of struct ctl_table the handler reads; the value is exchanged as an int, not text. */
export interface ctl_table {
  extra1: vl_info;
}

// arch/arm64/kernel/fpsimd.c: vec_proc_do_default_vl (v6.4)
// The abi.{sve,sme}_default_vector_length sysctl. proc_dointvec's text conversion is reduced to
// exchanging one integer through `buffer.value`; -1 asks for the maximum.
export function vec_proc_do_default_vl(table: ctl_table, write: boolean, buffer: { value: number }): number {
  const info = table.extra1;
  const type = info.type;
  const ret = 0;
  let vl = get_default_vl(type);

  if (write) vl = buffer.value;
  else buffer.value = vl;
  if (ret || !write) return ret;

  if (vl === -1) vl = info.max_vl;

  if (!sve_vl_valid(vl)) return -EINVAL;

  set_default_vl(type, find_supported_vector_length(type, vl));
  return 0;
}

// arch/arm64/kernel/fpsimd.c: arm64_cpu_to_le128 (v6.4)
// The model is little-endian (and bank values have no bytes), so the conversion is the identity.
export function arm64_cpu_to_le128(x: number): number {
  return x;
}

// arch/arm64/kernel/fpsimd.c: __fpsimd_to_sve (v6.4)
// Copies V0-V31 into the low 128 bits of each Z slot of a dump laid out for vq. The other bits of
// the buffer are left as they were: if they were written for another layout they are now garbage.
export function __fpsimd_to_sve(sst: SveBuffer | null, fst: user_fpsimd_state, vq: number): void {
  const buf = deref(sst, 'sve_state');
  // One bank move stands for the kernel's loop over the 32 Z slots.
  if (vq > buf.capacityVq) {
    machineFault('overflow', `__fpsimd_to_sve at vq ${vq} into an sve_state of vq ${buf.capacityVq}`);
    return;
  }
  if (buf.layoutVq !== 0 && buf.layoutVq !== vq) buf.zhi = buf.p = buf.ffr = UNKNOWN;
  buf.zlo = arm64_cpu_to_le128(fst.vregs);
  buf.layoutVq = vq;
}

// arch/arm64/kernel/fpsimd.c: fpsimd_to_sve (v6.4)
// Task's FPSIMD copy into its SVE buffer, at the layout its current mode uses.
export function fpsimd_to_sve(task: task_struct): void {
  const sst = task.thread.sve_state;
  const fst = task.thread.uw.fpsimd_state;

  if (!system_supports_sve()) return;

  const vq = sve_vq_from_vl(thread_get_cur_vl(task.thread));
  __fpsimd_to_sve(sst, fst, vq);
}

// arch/arm64/kernel/fpsimd.c: sve_to_fpsimd (v6.4)
// The reverse: V0-V31 taken from the low bits of the Z slots. A buffer laid out for another VL
// yields garbage, as reading at the wrong stride would.
export function sve_to_fpsimd(task: task_struct): void {
  const sst = task.thread.sve_state;
  const fst = task.thread.uw.fpsimd_state;

  if (!system_supports_sve()) return;

  const vl = thread_get_cur_vl(task.thread);
  const vq = sve_vq_from_vl(vl);
  const buf = deref(sst, 'sve_state');
  if (vq > buf.capacityVq) {
    machineFault('overflow', `sve_to_fpsimd at vq ${vq} from an sve_state of vq ${buf.capacityVq}`);
    fst.vregs = UNKNOWN;
    return;
  }
  fst.vregs = arm64_cpu_to_le128(buf.layoutVq === 0 || buf.layoutVq === vq ? buf.zlo : UNKNOWN);
}

// arch/arm64/kernel/fpsimd.c: __sve_free (v6.4)
// Only for tasks that cannot run concurrently (or are dead): no TIF_SVE check.
export function __sve_free(task: task_struct): void {
  kfree(task.thread.sve_state);
  task.thread.sve_state = null;
}

// arch/arm64/kernel/fpsimd.c: sve_free (v6.4)
// Freeing the buffer of a task still flagged as using SVE would leave it saving into nothing.
export function sve_free(task: task_struct): void {
  WARN_ON(test_tsk_thread_flag(task, TIF_SVE));

  __sve_free(task);
}

// arch/arm64/kernel/fpsimd.c: sve_state_size (v6.4)
// One buffer serves both normal and streaming SVE data, so it is sized for the larger VL.
export function sve_state_size(task: task_struct): number {
  let vl = 0;

  if (system_supports_sve()) vl = task_get_sve_vl(task);
  if (system_supports_sme()) vl = Math.max(vl, task_get_sme_vl(task));

  return SVE_SIG_REGS_SIZE(sve_vq_from_vl(vl));
}

// arch/arm64/kernel/fpsimd.c: sve_alloc (v6.4)
// Makes sure the task has an SVE buffer; an existing one is zeroed when asked (flush). A new one
// comes zeroed. The allocation may sleep, so callers in preemptible paths mark a point after it.
export function sve_alloc(task: task_struct, flush: boolean): void {
  if (task.thread.sve_state) {
    if (flush) memset_sve_state(task.thread.sve_state, 0, sve_state_size(task));
    return;
  }

  task.thread.sve_state = kzalloc_sve_state(sve_state_size(task), GFP_KERNEL);
}

// arch/arm64/kernel/fpsimd.c: fpsimd_force_sync_to_sve (v6.4)
// For ptrace on a stopped task: refresh the SVE buffer from the FPSIMD copy unconditionally.
export function fpsimd_force_sync_to_sve(task: task_struct): void {
  fpsimd_to_sve(task);
}

// arch/arm64/kernel/fpsimd.c: fpsimd_sync_to_sve (v6.4)
// For ptrace: when the task keeps FPSIMD-only state, its SVE view is built from that copy.
export function fpsimd_sync_to_sve(task: task_struct): void {
  if (!test_tsk_thread_flag(task, TIF_SVE) && !thread_sm_enabled(task.thread)) fpsimd_to_sve(task);
}

// arch/arm64/kernel/fpsimd.c: sve_sync_to_fpsimd (v6.4)
// For ptrace: when the saved state is SVE-format, refresh the FPSIMD copy from it.
export function sve_sync_to_fpsimd(task: task_struct): void {
  if (task.thread.fp_type === FP_STATE_SVE) sve_to_fpsimd(task);
}

// arch/arm64/kernel/fpsimd.c: sve_sync_from_fpsimd_zeropad (v6.4)
// For ptrace writing FPSIMD registers of an SVE user: the new V values go in with every other
// SVE bit cleared.
export function sve_sync_from_fpsimd_zeropad(task: task_struct): void {
  const sst = task.thread.sve_state;
  const fst = task.thread.uw.fpsimd_state;

  if (!test_tsk_thread_flag(task, TIF_SVE)) return;

  const vq = sve_vq_from_vl(thread_get_cur_vl(task.thread));

  memset_sve_state(sst, 0, SVE_SIG_REGS_SIZE(vq));
  __fpsimd_to_sve(sst, fst, vq);
}

// arch/arm64/kernel/fpsimd.c: vec_set_vector_length (v6.4)
// prctl and ptrace VL changes. A real change keeps only the FPSIMD subset of the registers: live
// state is saved first (for current), converted to FPSIMD format, and the buffers are freed so the
// next use allocates them at the new size. An SME change also ends streaming mode and ZA.
// Note: the SME branch clears TIF_SME on current, not on `task` (a ptrace caller is not the task).
export function* vec_set_vector_length(
  task: task_struct,
  type: vec_type,
  vl: number,
  flags: number,
): KernelPath<number> {
  if (flags & ~(PR_SVE_VL_INHERIT | PR_SVE_SET_VL_ONEXEC)) return -EINVAL;

  if (!sve_vl_valid(vl)) return -EINVAL;

  // Lengths above what VL-agnostic software is promised are not handed out.
  if (vl > VL_ARCH_MAX) vl = VL_ARCH_MAX;

  vl = find_supported_vector_length(type, vl);

  if (flags & (PR_SVE_VL_INHERIT | PR_SVE_SET_VL_ONEXEC)) task_set_vl_onexec(task, type, vl);
  // Otherwise the next exec goes back to the default.
  else task_set_vl_onexec(task, type, 0);

  out: {
    // A deferred change, or no change, only updates the flags.
    if (flags & PR_SVE_SET_VL_ONEXEC) break out;

    if (vl === task_get_vl(task, type)) break out;

    // Keep the FPSIMD subset: save live state (current only), then convert to FPSIMD format.
    if (task === current()) {
      get_cpu_fpsimd_context();

      fpsimd_save();
    }

    fpsimd_flush_task_state(task);
    if (test_and_clear_tsk_thread_flag(task, TIF_SVE) || thread_sm_enabled(task.thread)) {
      sve_to_fpsimd(task);
      task.thread.fp_type = FP_STATE_FPSIMD;
    }

    if (system_supports_sme() && type === ARM64_VEC_SME) {
      task.thread.svcr &= ~(SVCR_SM_MASK | SVCR_ZA_MASK);
      clear_thread_flag(TIF_SME);
    }

    if (task === current()) put_cpu_fpsimd_context();

    yield* point('vec_set_vector_length:after put_cpu_fpsimd_context');

    // Both buffers are reallocated at the new size when next needed.
    sve_free(task);
    if (system_supports_sme() && type === ARM64_VEC_SME) sme_free(task);

    task_set_vl(task, type, vl);
  }

  update_tsk_thread_flag(task, vec_vl_inherit_flag(type), flags & PR_SVE_VL_INHERIT);

  return 0;
}

// arch/arm64/kernel/fpsimd.c: vec_prctl_status (v6.4)
// The prctl return value: the (on-exec, if asked) VL with the inherit flag folded in.
export function vec_prctl_status(type: vec_type, flags: number): number {
  let ret: number;

  if (flags & PR_SVE_SET_VL_ONEXEC) ret = task_get_vl_onexec(current(), type);
  else ret = task_get_vl(current(), type);

  if (test_thread_flag(vec_vl_inherit_flag(type))) ret |= PR_SVE_VL_INHERIT;

  return ret;
}

// arch/arm64/kernel/fpsimd.c: sve_set_current_vl (v6.4)
// PR_SVE_SET_VL: the low bits are the VL, the rest are flags.
export function* sve_set_current_vl(arg: number): KernelPath<number> {
  const vl = arg & PR_SVE_VL_LEN_MASK;
  const flags = arg & ~vl;

  if (!system_supports_sve() || is_compat_task()) return -EINVAL;

  const ret = yield* vec_set_vector_length(current(), ARM64_VEC_SVE, vl, flags);
  if (ret) return ret;

  return vec_prctl_status(ARM64_VEC_SVE, flags);
}

// arch/arm64/kernel/fpsimd.c: sve_get_current_vl (v6.4)
export function sve_get_current_vl(): number {
  if (!system_supports_sve() || is_compat_task()) return -EINVAL;

  return vec_prctl_status(ARM64_VEC_SVE, 0);
}

// arch/arm64/kernel/fpsimd.c: sme_set_current_vl (v6.4)
// PR_SME_SET_VL, as the SVE one.
export function* sme_set_current_vl(arg: number): KernelPath<number> {
  const vl = arg & PR_SME_VL_LEN_MASK;
  const flags = arg & ~vl;

  if (!system_supports_sme() || is_compat_task()) return -EINVAL;

  const ret = yield* vec_set_vector_length(current(), ARM64_VEC_SME, vl, flags);
  if (ret) return ret;

  return vec_prctl_status(ARM64_VEC_SME, flags);
}

// arch/arm64/kernel/fpsimd.c: sme_get_current_vl (v6.4)
export function sme_get_current_vl(): number {
  if (!system_supports_sme() || is_compat_task()) return -EINVAL;

  return vec_prctl_status(ARM64_VEC_SME, 0);
}

// arch/arm64/kernel/fpsimd.c: fpsimd_release_task (v6.4)
// The task is dead and unreachable, so its buffers go without any locking.
export function fpsimd_release_task(dead_task: task_struct): void {
  __sve_free(dead_task);
  sme_free(dead_task);
}

// arch/arm64/kernel/fpsimd.c: sme_alloc (v6.4)
// As sve_alloc for the ZA (and ZT0) buffer, always zeroed: the architecture zeroes ZA when it is
// turned on, and the buffer mirrors that. May sleep.
export function sme_alloc(task: task_struct): void {
  if (task.thread.sme_state) {
    memset_sme_state(task.thread.sme_state, 0, sme_state_size(task));
    return;
  }

  task.thread.sme_state = kzalloc_sme_state(sme_state_size(task), GFP_KERNEL);
}

// arch/arm64/kernel/fpsimd.c: sme_free (v6.4)
export function sme_free(task: task_struct): void {
  kfree(task.thread.sme_state);
  task.thread.sme_state = null;
}

// arch/arm64/kernel/fpsimd.c: sve_init_regs (v6.4)
// First SVE use: the registers become SVE state whose non-FPSIMD bits are zero. If current's
// state is live, that is done in the registers (and the binding refreshed, which also opens the
// EL0 trap); otherwise in the saved copy, which then is SVE-format. Streaming mode cannot be on
// here: an SVE trap is only taken outside it.
export function sve_init_regs(): void {
  if (!test_thread_flag(TIF_FOREIGN_FPSTATE)) {
    const vq_minus_one = sve_vq_from_vl(task_get_sve_vl(current())) - 1;
    sve_set_vq(vq_minus_one);
    sve_flush_live(true, vq_minus_one);
    fpsimd_bind_task_to_cpu();
  } else {
    fpsimd_to_sve(current());
    current().thread.fp_type = FP_STATE_SVE;
  }
}

// arch/arm64/kernel/fpsimd.c: do_sve_acc (v6.4)
// The EL0 SVE access trap. The buffer is allocated (zeroed) before the FP context is claimed
// because the allocation may sleep; then the task is switched to SVE. TIF_SVE already set here
// means the trap should not have happened.
export function* do_sve_acc(_esr: number, regs: pt_regs): KernelPath {
  yield* point('do_sve_acc:entry');

  // The hardware may trap even where the kernel chose not to offer SVE.
  if (!system_supports_sve() || WARN_ON(is_compat_task())) {
    force_signal_inject(SIGILL, ILL_ILLOPC, instruction_pointer(regs), 0);
    return;
  }

  sve_alloc(current(), true);
  yield* point('do_sve_acc:after sve_alloc');
  if (!current().thread.sve_state) {
    force_sig(SIGKILL);
    return;
  }

  get_cpu_fpsimd_context();

  if (test_and_set_thread_flag(TIF_SVE)) WARN_ON(true);

  // Streaming state, if the task ever had any, is gone by now; clearing everything beyond the
  // FPSIMD bits keeps what counts as initialised simple.
  sve_init_regs();

  put_cpu_fpsimd_context();
}

// arch/arm64/kernel/fpsimd.c: do_sme_acc (v6.4)
// The EL0 SME access trap. Only "SME disabled" traps turn SME on; any other SME syndrome is an
// instruction used in the wrong mode and gets SIGILL. Both buffers are needed: streaming mode
// keeps its Z/P data in sve_state.
export function* do_sme_acc(esr: number, regs: pt_regs): KernelPath {
  yield* point('do_sme_acc:entry');

  if (!system_supports_sme() || WARN_ON(is_compat_task())) {
    force_signal_inject(SIGILL, ILL_ILLOPC, instruction_pointer(regs), 0);
    return;
  }

  if (ESR_ELx_ISS(esr) !== ESR_ELx_SME_ISS_SME_DISABLED) {
    force_signal_inject(SIGILL, ILL_ILLOPC, instruction_pointer(regs), 0);
    return;
  }

  sve_alloc(current(), false);
  yield* point('do_sme_acc:after sve_alloc');
  sme_alloc(current());
  yield* point('do_sme_acc:after sme_alloc');
  if (!current().thread.sve_state || !current().thread.sme_state) {
    force_sig(SIGKILL);
    return;
  }

  get_cpu_fpsimd_context();

  // Once TIF_SME is set user space cannot take this trap.
  if (test_and_set_thread_flag(TIF_SME)) WARN_ON(true);

  // Live state: set the streaming VL now and rebind, which opens the EL0 SME trap. Otherwise the
  // return to user does both when it loads the state.
  if (!test_thread_flag(TIF_FOREIGN_FPSTATE)) {
    const vq_minus_one = sve_vq_from_vl(task_get_sme_vl(current())) - 1;
    sme_set_vq(vq_minus_one);

    fpsimd_bind_task_to_cpu();
  }

  put_cpu_fpsimd_context();
}

// arch/arm64/kernel/fpsimd.c: do_fpsimd_acc (v6.4)
// FP access is never trapped for EL0 on arm64 (no lazy switching), so reaching this is a bug.
export function do_fpsimd_acc(_esr: number, _regs: pt_regs): void {
  WARN_ON(true);
}

// arch/arm64/kernel/fpsimd.c: do_fpsimd_exc (v6.4)
// A trapped floating-point exception becomes SIGFPE; the code names the first cause the syndrome
// reports, when it reports one (TFV).
export function do_fpsimd_exc(esr: number, regs: pt_regs): void {
  let si_code = FPE_FLTUNK;

  if (esr & ESR_ELx_FP_EXC_TFV) {
    if (esr & FPEXC_IOF) si_code = FPE_FLTINV;
    else if (esr & FPEXC_DZF) si_code = FPE_FLTDIV;
    else if (esr & FPEXC_OFF) si_code = FPE_FLTOVF;
    else if (esr & FPEXC_UFF) si_code = FPE_FLTUND;
    else if (esr & FPEXC_IXF) si_code = FPE_FLTRES;
  }

  send_sig_fault(SIGFPE, si_code, instruction_pointer(regs), current());
}

// arch/arm64/kernel/fpsimd.c: fpsimd_thread_switch (v6.4)
// Context switch (preemption already off, so the plain claim suffices): save the outgoing task's
// live state, then decide whether `next` will find its own state still in this CPU's registers.
// That holds only if this CPU last held next's state and next last ran it here; kernel threads
// never match.
export function fpsimd_thread_switch(next: task_struct): void {
  if (!system_supports_fpsimd()) return;

  __get_cpu_fpsimd_context();

  fpsimd_save();

  const wrong_task = this_cpu_ptr('fpsimd_last_state').st !== next.thread.uw.fpsimd_state;
  const wrong_cpu = next.thread.fpsimd_cpu !== smp_processor_id();

  update_tsk_thread_flag(next, TIF_FOREIGN_FPSTATE, wrong_task || wrong_cpu);

  __put_cpu_fpsimd_context();
}

// arch/arm64/kernel/fpsimd.c: fpsimd_flush_thread_vl (v6.4)
// At exec: the VL becomes the on-exec one or the default, checked against what the system
// supports (a bad value is a kernel bug, but the task still gets a valid VL).
export function fpsimd_flush_thread_vl(type: vec_type): void {
  let vl: number;

  vl = task_get_vl_onexec(current(), type);
  if (!vl) vl = get_default_vl(type);

  if (WARN_ON(!sve_vl_valid(vl))) vl = kernelState().vl_info[type].min_vl;

  const supported_vl = find_supported_vector_length(type, vl);
  if (WARN_ON(supported_vl !== vl)) vl = supported_vl;

  task_set_vl(current(), type, vl);

  // Without the inherit flag the exec after this one resets the VL again.
  if (!test_thread_flag(vec_vl_inherit_flag(type))) task_set_vl_onexec(current(), type, 0);
}

// arch/arm64/kernel/fpsimd.c: fpsimd_flush_thread (v6.4)
// Exec: the task starts from zeroed FPSIMD state, no SVE/SME, fresh VLs. The buffers are detached
// while the context is claimed and freed after it is released, since kfree is not done in that
// atomic section.
export function* fpsimd_flush_thread(): KernelPath {
  let sve_state: SveBuffer | null = null;
  let sme_state: SmeBuffer | null = null;

  if (!system_supports_fpsimd()) return;

  get_cpu_fpsimd_context();

  fpsimd_flush_task_state(current());
  const st = current().thread.uw.fpsimd_state;
  st.vregs = ZERO;
  st.fpsr = ZERO;

  if (system_supports_sve()) {
    clear_thread_flag(TIF_SVE);

    sve_state = current().thread.sve_state;
    current().thread.sve_state = null;

    fpsimd_flush_thread_vl(ARM64_VEC_SVE);
  }

  if (system_supports_sme()) {
    clear_thread_flag(TIF_SME);

    sme_state = current().thread.sme_state;
    current().thread.sme_state = null;

    fpsimd_flush_thread_vl(ARM64_VEC_SME);
    current().thread.svcr = 0;
  }

  current().thread.fp_type = FP_STATE_FPSIMD;

  put_cpu_fpsimd_context();
  yield* point('fpsimd_flush_thread:after put_cpu_fpsimd_context');
  kfree(sve_state);
  kfree(sme_state);
}

// arch/arm64/kernel/fpsimd.c: fpsimd_preserve_current_state (v6.4)
// Brings current's saved copy up to date if its state is live.
export function fpsimd_preserve_current_state(): void {
  if (!system_supports_fpsimd()) return;

  get_cpu_fpsimd_context();
  fpsimd_save();
  put_cpu_fpsimd_context();
}

// arch/arm64/kernel/fpsimd.c: fpsimd_signal_preserve_current_state (v6.4)
// For a signal frame: as above, plus the FPSIMD copy refreshed from SVE data, which the frame's
// fpsimd record is built from. The conversion runs after the context is released, so it reads
// whatever format the save (or a save by a preemption in between) left.
export function* fpsimd_signal_preserve_current_state(): KernelPath {
  fpsimd_preserve_current_state();
  yield* point('fpsimd_signal_preserve_current_state:after preserve');
  if (test_thread_flag(TIF_SVE)) sve_to_fpsimd(current());
}

// arch/arm64/kernel/fpsimd.c: fpsimd_kvm_prepare (v6.4)
// Before KVM runs a guest from the VMM's KVM_RUN syscall: the syscall ABI lets the kernel drop the
// non-FPSIMD SVE bits, so a task with SVE enabled is converted to FPSIMD-only state and KVM only
// needs to preserve that.
export function fpsimd_kvm_prepare(): void {
  if (!system_supports_sve()) return;

  get_cpu_fpsimd_context();

  if (test_and_clear_thread_flag(TIF_SVE)) {
    sve_to_fpsimd(current());
    current().thread.fp_type = FP_STATE_FPSIMD;
  }

  put_cpu_fpsimd_context();
}

// arch/arm64/kernel/fpsimd.c: fpsimd_bind_task_to_cpu (v6.4)
// Records that this CPU's registers now hold current's user state (all of it: storage, VLs, SVCR
// and format pointers), and sets the EL0 SVE/SME traps to match the task's flags. The trap changes
// take effect by the time the task is back in user space.
export function fpsimd_bind_task_to_cpu(): void {
  const last = this_cpu_ptr('fpsimd_last_state');

  WARN_ON(!system_supports_fpsimd());
  last.st = current().thread.uw.fpsimd_state;
  last.sve_state = current().thread.sve_state;
  last.sme_state = current().thread.sme_state;
  last.sve_vl = task_get_sve_vl(current());
  last.sme_vl = task_get_sme_vl(current());
  last.svcr = { obj: current().thread, key: 'svcr' };
  last.fp_type = { obj: current().thread, key: 'fp_type' };
  last.to_save = FP_STATE_CURRENT;
  current().thread.fpsimd_cpu = smp_processor_id();

  if (system_supports_sme()) {
    if (test_thread_flag(TIF_SME)) sme_user_enable();
    else sme_user_disable();
  }

  if (system_supports_sve()) {
    if (test_thread_flag(TIF_SVE)) sve_user_enable();
    else sve_user_disable();
  }
}

// arch/arm64/kernel/fpsimd.c: fpsimd_bind_state_to_cpu (v6.4)
// KVM's variant: the registers now hold the given (guest) state. Called with softirqs or
// interrupts off so that no kernel-mode NEON user sees a half-written record.
export function fpsimd_bind_state_to_cpu(state: cpu_fp_state): void {
  const last = this_cpu_ptr('fpsimd_last_state');

  WARN_ON(!system_supports_fpsimd());
  WARN_ON(!in_softirq() && !irqs_disabled());

  Object.assign(last, state);
}

// arch/arm64/kernel/fpsimd.c: fpsimd_restore_current_state (v6.4)
// On the way to user space: reload current's state only if the registers are not already its.
// Without FP at all the flag is just cleared, or the return-to-user loop would never finish.
export function fpsimd_restore_current_state(): void {
  if (!system_supports_fpsimd()) {
    clear_thread_flag(TIF_FOREIGN_FPSTATE);
    return;
  }

  get_cpu_fpsimd_context();

  if (test_and_clear_thread_flag(TIF_FOREIGN_FPSTATE)) {
    task_fpsimd_load();
    fpsimd_bind_task_to_cpu();
  }

  put_cpu_fpsimd_context();
}

// arch/arm64/kernel/fpsimd.c: fpsimd_update_current_state (v6.4)
// sigreturn with an FPSIMD-only frame: the new V/FPSR/FPCR become current's state and go straight
// into the registers. For an SVE user the SVE buffer gets the new V values first (its other bits
// stay), since the load uses the saved format.
export function fpsimd_update_current_state(state: user_fpsimd_state): void {
  if (WARN_ON(!system_supports_fpsimd())) return;

  get_cpu_fpsimd_context();

  Object.assign(current().thread.uw.fpsimd_state, state);
  if (test_thread_flag(TIF_SVE)) fpsimd_to_sve(current());

  task_fpsimd_load();
  fpsimd_bind_task_to_cpu();

  clear_thread_flag(TIF_FOREIGN_FPSTATE);

  put_cpu_fpsimd_context();
}

// arch/arm64/kernel/fpsimd.c: fpsimd_flush_task_state (v6.4)
// Makes any copy of t's state in some CPU's registers stale: t no longer matches any CPU, and t's
// flag says its registers must be reloaded. May run preemptible; the CPU number is written before
// the flag so a racing context switch cannot clear the flag again.
export function fpsimd_flush_task_state(t: task_struct): void {
  t.thread.fpsimd_cpu = NR_CPUS;
  // Without FP only the CPU number matters.
  if (!system_supports_fpsimd()) return;
  barrier();
  set_tsk_thread_flag(t, TIF_FOREIGN_FPSTATE);

  barrier();
}

// arch/arm64/kernel/fpsimd.c: fpsimd_flush_cpu_state (v6.4)
// Makes this CPU's registers belong to nobody. SM and ZA are also turned off: streaming mode
// would break kernel-mode NEON, and either costs power. Caller holds the FP context.
export function fpsimd_flush_cpu_state(): void {
  WARN_ON(!system_supports_fpsimd());
  this_cpu_ptr('fpsimd_last_state').st = null;

  if (system_supports_sme()) sme_smstop();

  set_thread_flag(TIF_FOREIGN_FPSTATE);
}

// arch/arm64/kernel/fpsimd.c: fpsimd_save_and_flush_cpu_state (v6.4)
// Save whatever is live and forget it (KVM's vcpu_put, CPU power-down). Preemption must already
// be off.
export function fpsimd_save_and_flush_cpu_state(): void {
  if (!system_supports_fpsimd()) return;
  WARN_ON(preemptible());
  __get_cpu_fpsimd_context();
  fpsimd_save();
  fpsimd_flush_cpu_state();
  __put_cpu_fpsimd_context();
}

// arch/arm64/kernel/fpsimd.c: kernel_neon_begin (v6.4)
// The kernel takes the FP registers: the owner's live state is saved and the CPU's registers
// marked as nobody's. The claim is held until kernel_neon_end, so softirqs stay off meanwhile
// and a nested user is refused by may_use_simd.
export function kernel_neon_begin(): void {
  if (WARN_ON(!system_supports_fpsimd())) return;

  BUG_ON(!may_use_simd());

  get_cpu_fpsimd_context();

  fpsimd_save();

  fpsimd_flush_cpu_state();
}

// arch/arm64/kernel/fpsimd.c: kernel_neon_end (v6.4)
// Gives the registers back; nothing to restore, the owner reloads on its way to user space.
export function kernel_neon_end(): void {
  if (!system_supports_fpsimd()) return;

  put_cpu_fpsimd_context();
}

/** The per-CPU efi_fpsimd_state: static storage, zero until first used. */
function efi_fpsimd_state_ptr(): user_fpsimd_state {
  let st = this_cpu_ptr('efi_fpsimd_state');
  if (!st) __this_cpu_write('efi_fpsimd_state', (st = { vregs: ZERO, fpsr: ZERO }));
  return st;
}

/** this_cpu_ptr(efi_sve_state): NULL when sve_efi_setup did not run (EFI not configured). */
function efi_sve_state_ptr(): SveBuffer | null {
  const all = kernelState().efi_sve_state;
  return all ? (all[smp_processor_id()] ?? null) : null;
}

// arch/arm64/kernel/fpsimd.c: __efi_fpsimd_begin (v6.4)
// EFI runtime calls may use FP freely. Where kernel-mode NEON is allowed, that is used. Otherwise
// (e.g. an EFI call from an interrupt) the live registers are stashed in per-CPU EFI storage,
// the full SVE registers at the maximum VL when SVE exists; streaming mode is left for the call.
export function __efi_fpsimd_begin(): void {
  if (!system_supports_fpsimd()) return;

  WARN_ON(preemptible());

  if (may_use_simd()) {
    kernel_neon_begin();
  } else {
    // No EFI SVE buffer means SVE was never set up, so only FPSIMD can be live.
    if (system_supports_sve() && efi_sve_state_ptr()) {
      const sve_state = efi_sve_state_ptr();
      let ffr = true;
      let svcr: number;

      __this_cpu_write('efi_sve_state_used', true);

      if (system_supports_sme()) {
        svcr = read_sysreg_s(SYS_SVCR);

        __this_cpu_write('efi_sm_state', (svcr & SVCR_SM_MASK) !== 0);

        // FFR is absent in streaming mode unless FA64 adds it.
        if (!system_supports_fa64()) ffr = !(svcr & SVCR_SM_MASK);
      }

      sve_save_state(sve_state_plus(sve_state, sve_ffr_offset(sve_max_vl())), efi_fpsimd_state_ptr(), ffr);

      if (system_supports_sme()) sysreg_clear_set_s(SYS_SVCR, SVCR_SM_MASK, 0);
    } else {
      fpsimd_save_state(efi_fpsimd_state_ptr());
    }

    __this_cpu_write('efi_fpsimd_state_used', true);
  }
}

// arch/arm64/kernel/fpsimd.c: __efi_fpsimd_end (v6.4)
// Undoes __efi_fpsimd_begin along the path it took, re-entering streaming mode before the reload
// when it was on.
export function __efi_fpsimd_end(): void {
  if (!system_supports_fpsimd()) return;

  if (!__this_cpu_xchg('efi_fpsimd_state_used', false)) {
    kernel_neon_end();
  } else {
    if (system_supports_sve() && __this_cpu_read('efi_sve_state_used')) {
      const sve_state = efi_sve_state_ptr();
      let ffr = true;

      // EFI returns like a normal call, outside streaming mode; restore the caller's mode.
      if (system_supports_sme()) {
        if (__this_cpu_read('efi_sm_state')) {
          sysreg_clear_set_s(SYS_SVCR, 0, SVCR_SM_MASK);

          if (!system_supports_fa64()) ffr = false;
        }
      }

      sve_load_state(sve_state_plus(sve_state, sve_ffr_offset(sve_max_vl())), efi_fpsimd_state_ptr(), ffr);

      __this_cpu_write('efi_sve_state_used', false);
    } else {
      fpsimd_load_state(efi_fpsimd_state_ptr());
    }
  }
}

// arch/arm64/kernel/fpsimd.c: fpsimd_cpu_pm_notifier (v6.4)
// A CPU about to lose power saves and forgets its live FP state.
export function fpsimd_cpu_pm_notifier(_self: unknown, cmd: number, _v: unknown): number {
  switch (cmd) {
    case CPU_PM_ENTER:
      fpsimd_save_and_flush_cpu_state();
      break;
    case CPU_PM_EXIT:
      break;
    case CPU_PM_ENTER_FAILED:
    default:
      return NOTIFY_DONE;
  }
  return NOTIFY_OK;
}

// arch/arm64/kernel/fpsimd.c: fpsimd_cpu_dead (v6.4)
// A CPU going offline holds nobody's state any more (its registers will not survive).
export function fpsimd_cpu_dead(cpu: number): number {
  per_cpu('fpsimd_last_state', cpu).st = null;
  return 0;
}
