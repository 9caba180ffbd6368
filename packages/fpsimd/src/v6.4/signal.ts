// Port of the FP/SIMD, SVE and SME parts of arch/arm64/kernel/signal.c (Linux v6.4): how the
// register state is written into a signal frame at delivery, how the handler is entered, and how
// a frame is validated and loaded back at sigreturn. Functions are in the kernel's order.
//
// The frame lives in user memory, which the model keeps as typed chunks (src/user-memory.ts): the
// kernel's offsets, sizes and checks run unchanged, the register images stay symbolic, and a user
// access fails only where the memory has a faulting range. Parts of a frame that carry no FP state
// (siginfo, general registers, the signal mask, the alternate stack) are reduced to the accesses
// that can fail, so that error paths keep their order.
//
// Delivery runs on the way back to user space and sigreturn is a syscall: both are preemptible, so
// the paths are generators with a point wherever the kernel could be preempted between two steps
// that the FP state bookkeeping cares about (around allocations, user copies, and between changes
// to the saved state and to the live registers).

import { machineFault, sme_smstop, type SmeBuffer, type SveBuffer, UNKNOWN, ZERO } from '@kvmfp/machine';
import { read_sysreg_s, SVCR_SM_MASK, SVCR_ZA_MASK, SYS_TPIDR2_EL0 } from '@kvmfp/sysreg';
import {
  type ChunkKind,
  type ChunkValues,
  garbageValue,
  type SveImage,
  type UserMemory,
  userAccessOk,
  userFaults,
  userLoad,
  userStore,
  type ZaImage,
  zeroValue,
} from '../user-memory.js';
import { sme_max_vl, sve_max_vl, thread_sm_enabled, thread_za_enabled } from './asm-fpsimd.js';
import { task_get_sme_vl, task_get_sve_vl, thread_get_cur_vl } from './asm-processor.js';
import {
  fpsimd_flush_task_state,
  fpsimd_signal_preserve_current_state,
  fpsimd_update_current_state,
  sme_alloc,
  sve_alloc,
} from './fpsimd.js';
import {
  clear_thread_flag,
  current,
  deref,
  EINVAL,
  force_sig,
  type KernelPath,
  point,
  set_thread_flag,
  SIGSEGV,
  system_supports_fpsimd,
  system_supports_sme,
  system_supports_sme2,
  system_supports_sve,
  test_thread_flag,
  WARN_ON,
} from './linux.js';
import {
  FP_STATE_FPSIMD,
  FP_STATE_SVE,
  NO_SYSCALL,
  type pt_regs,
  TIF_SME,
  TIF_SVE,
  type thread_struct,
  type user_fpsimd_state,
} from './types.js';
import {
  SVE_SIG_REGS_SIZE,
  SVE_VQ_BYTES,
  sve_vq_from_vl,
  ZA_SIG_REGS_SIZE,
  ZT_SIG_REG_SIZE,
} from './uapi-sve-context.js';

// Error numbers (include/uapi/asm-generic/errno-base.h) the FP paths return.
export const EIO = 5;
export const ENOMEM = 12;
export const EFAULT = 14;
export const ENODEV = 19;

// arch/arm64/include/asm/cpufeature.h: system_supports_tpidr2 (v6.4)
// TPIDR2_EL0 comes with SME, so the feature test is SME's.
export function system_supports_tpidr2(): boolean {
  return system_supports_sme();
}

// ---------------------------------------------------------------------------------------------
// The user ABI of arch/arm64/include/uapi/asm/sigcontext.h: record magics, record sizes and the
// offsets of their fields (facts of the ABI; the byte layout is what the checks below depend on).

export const FPSIMD_MAGIC = 0x46508001;
export const ESR_MAGIC = 0x45535201;
export const EXTRA_MAGIC = 0x45585401;
export const SVE_MAGIC = 0x53564501;
export const TPIDR2_MAGIC = 0x54504902;
export const ZA_MAGIC = 0x54366345;
export const ZT_MAGIC = 0x5a544e01;

/** SVE record flag: the registers are the streaming-mode ones. */
export const SVE_SIG_FLAG_SM = 0x1;

/** Record sizes: a record starts with an 8-byte header (magic, size). */
export const sizeof_aarch64_ctx = 8;
export const sizeof_fpsimd_context = 528;
export const sizeof_esr_context = 16;
export const sizeof_extra_context = 32;
export const sizeof_sve_context = 16;
export const sizeof_tpidr2_context = 16;
export const sizeof_za_context = 16;
export const sizeof_zt_context = 16;

/** Bytes of __reserved[] in struct sigcontext, where the records go. */
export const sizeof_sigcontext_reserved = 4096;

/** Offsets in the signal frame (struct rt_sigframe: siginfo, then the ucontext). */
export const sizeof_siginfo = 128;
export const offsetof_uc_flags = 128;
export const offsetof_uc_stack = 144;
export const offsetof_uc_sigmask = 168;
export const offsetof_uc_mcontext = 304;
/** offsetof(struct rt_sigframe, uc.uc_mcontext.__reserved) */
export const offsetof_sigframe_reserved = 592;
export const sizeof_rt_sigframe = offsetof_sigframe_reserved + sizeof_sigcontext_reserved;
export const sizeof_frame_record = 16;

// The SVE, ZA and ZT records put their register data at a 16-byte boundary after the header.
export const SVE_SIG_REGS_OFFSET = Math.ceil(sizeof_sve_context / SVE_VQ_BYTES) * SVE_VQ_BYTES;
export const SVE_SIG_CONTEXT_SIZE = (vq: number): number => SVE_SIG_REGS_OFFSET + SVE_SIG_REGS_SIZE(vq);
export const ZA_SIG_REGS_OFFSET = Math.ceil(sizeof_za_context / SVE_VQ_BYTES) * SVE_VQ_BYTES;
export const ZA_SIG_CONTEXT_SIZE = (vq: number): number => ZA_SIG_REGS_OFFSET + ZA_SIG_REGS_SIZE(vq);
export const ZT_SIG_REG_BYTES = ZT_SIG_REG_SIZE / 8;
export const ZT_SIG_REGS_OFFSET = sizeof_zt_context;
export const ZT_SIG_REGS_SIZE = (n: number): number => ZT_SIG_REG_BYTES * n;
export const ZT_SIG_CONTEXT_SIZE = (n: number): number => sizeof_zt_context + ZT_SIG_REGS_SIZE(n);

/** A few limits of the frame walk and the frame size (linux/sizes.h SZ_256K). */
export const SIGFRAME_MAXSZ = 256 * 1024;
const round_up = (x: number, a: number): number => Math.ceil(x / a) * a;
const round_down = (x: number, a: number): number => Math.floor(x / a) * a;
const IS_ALIGNED = (x: number, a: number): boolean => x % a === 0;
export const BASE_SIGFRAME_SIZE = round_up(sizeof_rt_sigframe, 16);
export const TERMINATOR_SIZE = round_up(sizeof_aarch64_ctx, 16);
export const EXTRA_CONTEXT_SIZE = round_up(sizeof_extra_context, 16);

// Signal action flags (include/uapi/asm-generic/signal.h).
export const SA_SIGINFO = 0x00000004;
export const SA_RESTORER = 0x04000000;
/** Where the model's vDSO sigreturn trampoline sits (any fixed user address will do). */
export const VDSO_SIGTRAMP = 0x7ff0_0000;

// ---------------------------------------------------------------------------------------------
// User pointers and the uaccess primitives, on the user-memory model.

/** `void __user *`: an address in a task's user memory. */
export interface user_ptr {
  mm: UserMemory;
  addr: number;
}

/** A member of a user structure: its offset from the structure's start, size and chunk kind. */
interface ufield<K extends ChunkKind> {
  off: number;
  len: number;
  kind: K;
}

/**
 * A member whose contents the model keeps inside a neighbouring member (FPCR travels with FPSR,
 * as one machine value): its access can still fault, but carries no data of its own.
 */
interface ufolded {
  off: number;
  len: number;
  kind: 'folded';
}

const f = <K extends ChunkKind>(off: number, len: number, kind: K): ufield<K> => ({ off, len, kind });

const head_magic = f(0, 4, 'num');
const head_size = f(4, 4, 'num');
const fpsimd_fpsr = f(8, 8, 'fpsr');
const fpsimd_fpcr: ufolded = { off: 12, len: 4, kind: 'folded' };
const fpsimd_vregs = f(16, 512, 'vregs');
const esr_esr = f(8, 8, 'num');
const extra_datap = f(8, 8, 'num');
const extra_size = f(16, 4, 'num');
const sve_vl = f(8, 2, 'num');
const sve_flags = f(10, 2, 'num');
const sve_reserved = f(12, 4, 'num');
const sve_regs = (vq: number) => f(SVE_SIG_REGS_OFFSET, SVE_SIG_REGS_SIZE(vq), 'sve');
const tpidr2_tpidr2 = f(8, 8, 'tpidr2');
const za_vl = f(8, 2, 'num');
const za_reserved = f(10, 6, 'num');
const za_regs = (vq: number) => f(ZA_SIG_REGS_OFFSET, ZA_SIG_REGS_SIZE(vq), 'za');
const zt_nregs = f(8, 2, 'num');
const zt_reserved = f(10, 6, 'num');
const zt_regs = (n: number) => f(ZT_SIG_REGS_OFFSET, ZT_SIG_REGS_SIZE(n), 'zt');

/** The fields of a record, for readers of a frame (tests, the sim's traces). */
export const SIGFRAME_FIELDS = {
  head_magic,
  head_size,
  fpsimd_fpsr,
  fpsimd_vregs,
  esr_esr,
  extra_datap,
  extra_size,
  sve_vl,
  sve_flags,
  sve_regs,
  tpidr2_tpidr2,
  za_vl,
  za_regs,
  zt_nregs,
  zt_regs,
};

export const uptr = (p: user_ptr, off: number): user_ptr => ({ mm: p.mm, addr: p.addr + off });

/** __put_user_error: on a fault the error becomes -EFAULT; otherwise it is left as it was. */
function __put_user_error<K extends ChunkKind>(
  x: ChunkValues[K],
  p: user_ptr,
  m: ufield<K> | ufolded,
  err: number,
): number {
  if (m.kind === 'folded') return userFaults(p.mm, p.addr + m.off, m.len) ? -EFAULT : err;
  return userStore(p.mm, p.addr + m.off, m.len, m.kind, x) ? err : -EFAULT;
}

/** An `int err` that __get_user_error writes through. */
interface errbox {
  err: number;
}

/** __get_user_error: on a fault the value reads as zero and the error becomes -EFAULT. */
function __get_user_error<K extends ChunkKind>(p: user_ptr, m: ufield<K>, e: errbox, vq = 0): ChunkValues[K] {
  const v = userLoad(p.mm, p.addr + m.off, m.len, m.kind, vq);
  if (v === undefined) {
    e.err = -EFAULT;
    return zeroValue(m.kind, vq);
  }
  return v;
}

/** The FPCR half of the FPSR/FPCR pair: a load that can fault and has nothing else to read. */
function __get_user_error_folded(p: user_ptr, m: ufolded, e: errbox): void {
  if (userFaults(p.mm, p.addr + m.off, m.len)) e.err = -EFAULT;
}

/** __copy_to_user: the number of bytes not copied (all of them when the range faults). */
function __copy_to_user<K extends ChunkKind>(p: user_ptr, m: ufield<K>, x: ChunkValues[K]): number {
  return userStore(p.mm, p.addr + m.off, m.len, m.kind, x) ? 0 : m.len;
}

/**
 * __copy_from_user: the number of bytes not copied, and what was read. On a fault the
 * destination may hold part of the data, so the model gives garbage for it.
 */
function __copy_from_user<K extends ChunkKind>(p: user_ptr, m: ufield<K>, vq = 0): [number, ChunkValues[K]] {
  const v = userLoad(p.mm, p.addr + m.off, m.len, m.kind, vq);
  if (v === undefined) return [m.len, garbageValue(m.kind, m.len, vq)];
  return [0, v];
}

/** A user access the model does not look into (general registers, siginfo...): can only fault. */
function user_area_faults(p: user_ptr, off: number, len: number): boolean {
  return userFaults(p.mm, p.addr + off, len);
}

// Moves between kernel buffers and user register images. Reading a buffer at a layout other than
// the one it was written at gives garbage, as the real byte copy would.

export function sve_state_to_image(sst: SveBuffer | null, vq: number): SveImage {
  const buf = deref(sst, 'sve_state');
  if (vq > buf.capacityVq) {
    machineFault('overflow', `copy of vq ${vq} SVE registers out of an sve_state of vq ${buf.capacityVq}`);
    return { vq, zlo: UNKNOWN, zhi: UNKNOWN, p: UNKNOWN, ffr: UNKNOWN };
  }
  if (buf.layoutVq === 0 || buf.layoutVq === vq)
    return { vq, zlo: buf.zlo, zhi: buf.zhi, p: buf.p, ffr: buf.ffr };
  return { vq, zlo: UNKNOWN, zhi: UNKNOWN, p: UNKNOWN, ffr: UNKNOWN };
}

export function image_to_sve_state(sst: SveBuffer | null, img: SveImage, vq: number): void {
  const buf = deref(sst, 'sve_state');
  if (vq > buf.capacityVq) {
    machineFault('overflow', `copy of vq ${vq} SVE registers into an sve_state of vq ${buf.capacityVq}`);
    return;
  }
  const same = img.vq === vq;
  buf.zlo = same ? img.zlo : UNKNOWN;
  buf.zhi = same ? img.zhi : UNKNOWN;
  buf.p = same ? img.p : UNKNOWN;
  buf.ffr = same ? img.ffr : UNKNOWN;
  buf.layoutVq = vq;
}

export function sme_state_to_image(sst: SmeBuffer | null, vq: number): ZaImage {
  const buf = deref(sst, 'sme_state');
  if (vq > buf.capacityVq) {
    machineFault('overflow', `copy of vq ${vq} ZA out of an sme_state of vq ${buf.capacityVq}`);
    return { vq, za: UNKNOWN };
  }
  return { vq, za: buf.layoutVq === 0 || buf.layoutVq === vq ? buf.za : UNKNOWN };
}

export function image_to_sme_state(sst: SmeBuffer | null, img: ZaImage, vq: number): void {
  const buf = deref(sst, 'sme_state');
  if (vq > buf.capacityVq) {
    machineFault('overflow', `copy of vq ${vq} ZA into an sme_state of vq ${buf.capacityVq}`);
    return;
  }
  buf.za = img.vq === vq ? img.za : UNKNOWN;
  buf.layoutVq = vq;
}

/**
 * thread_zt_state() points just past ZA in sme_state, at the thread's streaming VL; the model keeps
 * ZT0 as its own field of the buffer, so the ZT copies below go through this accessor.
 */
export function zt_state_of(thread: thread_struct): SmeBuffer {
  return deref(thread.sme_state, 'sme_state (ZT)');
}

// ---------------------------------------------------------------------------------------------
// Kernel types of signal.c, as data.

/** struct rt_sigframe_user_layout: where each record goes, as offsets from the frame base. */
export interface rt_sigframe_user_layout {
  sigframe: user_ptr | null;
  next_frame: user_ptr | null;
  size: number;
  limit: number;
  fpsimd_offset: number;
  esr_offset: number;
  sve_offset: number;
  tpidr2_offset: number;
  za_offset: number;
  zt_offset: number;
  extra_offset: number;
  end_offset: number;
}

type layout_offset = Exclude<keyof rt_sigframe_user_layout, 'sigframe' | 'next_frame' | 'size' | 'limit'>;

/** struct user_ctxs: the FP records found in a frame at sigreturn, and their sizes. */
export interface user_ctxs {
  fpsimd: user_ptr | null;
  fpsimd_size: number;
  sve: user_ptr | null;
  sve_size: number;
  tpidr2: user_ptr | null;
  tpidr2_size: number;
  za: user_ptr | null;
  za_size: number;
  zt: user_ptr | null;
  zt_size: number;
}

/** struct pt_regs as signal delivery uses it: x0-x30, the stack pointer and the PC. */
export interface sig_pt_regs extends pt_regs {
  regs: number[];
  sp: number;
  pc: number;
}

/** struct k_sigaction, as far as setup_return reads it. */
export interface k_sigaction {
  sa: { sa_handler: number; sa_flags: number; sa_restorer: number };
}

/** struct ksignal: the signal being delivered and its action. */
export interface ksignal {
  sig: number;
  ka: k_sigaction;
}

/** The model thread_struct may carry the fault syndrome of the last fault (thread.fault_code). */
function thread_fault_code(thread: thread_struct): number {
  return (thread as thread_struct & { fault_code?: number }).fault_code ?? 0;
}

function empty_user_ctxs(): user_ctxs {
  return {
    fpsimd: null,
    fpsimd_size: 0,
    sve: null,
    sve_size: 0,
    tpidr2: null,
    tpidr2_size: 0,
    za: null,
    za_size: 0,
    zt: null,
    zt_size: 0,
  };
}

export function empty_user_layout(): rt_sigframe_user_layout {
  return {
    sigframe: null,
    next_frame: null,
    size: 0,
    limit: 0,
    fpsimd_offset: 0,
    esr_offset: 0,
    sve_offset: 0,
    tpidr2_offset: 0,
    za_offset: 0,
    zt_offset: 0,
    extra_offset: 0,
    end_offset: 0,
  };
}

// ---------------------------------------------------------------------------------------------

// arch/arm64/kernel/signal.c: init_user_layout (v6.4)
// Records start at __reserved[]; room is kept back at its end for an extra_context record and the
// terminator, so that a frame that outgrows __reserved can still say where the rest went.
export function init_user_layout(user: rt_sigframe_user_layout): void {
  const reserved_size = sizeof_sigcontext_reserved;

  Object.assign(user, empty_user_layout());
  user.size = offsetof_sigframe_reserved;

  user.limit = user.size + reserved_size;

  user.limit -= TERMINATOR_SIZE;
  user.limit -= EXTRA_CONTEXT_SIZE;
}

// arch/arm64/kernel/signal.c: sigframe_size (v6.4)
// Never smaller than the fixed structure, and a multiple of 16 to keep the stack aligned.
export function sigframe_size(user: rt_sigframe_user_layout): number {
  return round_up(Math.max(user.size, sizeof_rt_sigframe), 16);
}

// arch/arm64/kernel/signal.c: __sigframe_alloc (v6.4)
// Places a record. When __reserved[] is full the first time, an extra_context record is placed
// (from the space held back) and the frame may then grow up to SIGFRAME_MAXSZ past it.
export function __sigframe_alloc(
  user: rt_sigframe_user_layout,
  offset: layout_offset,
  size: number,
  extend: boolean,
): number {
  const padded_size = round_up(size, 16);

  if (padded_size > user.limit - user.size && !user.extra_offset && extend) {
    user.limit += EXTRA_CONTEXT_SIZE;
    const ret = __sigframe_alloc(user, 'extra_offset', sizeof_extra_context, false);
    if (ret) {
      user.limit -= EXTRA_CONTEXT_SIZE;
      return ret;
    }

    // The terminator of __reserved[] follows the extra_context record.
    user.size += TERMINATOR_SIZE;

    // From here on only the overall cap applies, less room for the final terminator.
    user.limit = SIGFRAME_MAXSZ - TERMINATOR_SIZE;
  }

  if (padded_size > user.limit - user.size) return -ENOMEM;

  user[offset] = user.size;
  user.size += padded_size;

  return 0;
}

// arch/arm64/kernel/signal.c: sigframe_alloc (v6.4)
export function sigframe_alloc(user: rt_sigframe_user_layout, offset: layout_offset, size: number): number {
  return __sigframe_alloc(user, offset, size, true);
}

// arch/arm64/kernel/signal.c: sigframe_alloc_end (v6.4)
// The terminating record takes the space held back for it, and nothing may follow it.
export function sigframe_alloc_end(user: rt_sigframe_user_layout): number {
  user.limit += TERMINATOR_SIZE;

  const ret = sigframe_alloc(user, 'end_offset', sizeof_aarch64_ctx);
  if (ret) return ret;

  user.limit = user.size;
  return 0;
}

// arch/arm64/kernel/signal.c: apply_user_offset (v6.4)
export function apply_user_offset(user: rt_sigframe_user_layout, offset: number): user_ptr {
  const base = deref(user.sigframe, 'user->sigframe');

  return uptr(base, offset);
}

// arch/arm64/kernel/signal.c: preserve_fpsimd_context (v6.4)
// The fpsimd record: V0-V31, FPSR and FPCR from the saved FPSIMD copy (the caller has refreshed
// it), then the header. Every store is attempted; any fault makes the result -EFAULT.
export function preserve_fpsimd_context(ctx: user_ptr): number {
  const fpsimd = current().thread.uw.fpsimd_state;
  let err: number;

  err = __copy_to_user(ctx, fpsimd_vregs, fpsimd.vregs);
  err = __put_user_error(fpsimd.fpsr, ctx, fpsimd_fpsr, err);
  err = __put_user_error(fpsimd.fpsr, ctx, fpsimd_fpcr, err);

  err = __put_user_error(FPSIMD_MAGIC, ctx, head_magic, err);
  err = __put_user_error(sizeof_fpsimd_context, ctx, head_size, err);

  return err ? -EFAULT : 0;
}

// arch/arm64/kernel/signal.c: restore_fpsimd_context (v6.4)
// sigreturn without an SVE record: the task goes back to FPSIMD-only state. The size must be
// exact. The flags change even when a load faulted; the registers change only when all loads
// worked.
export function* restore_fpsimd_context(user: user_ctxs): KernelPath<number> {
  const fpsimd: user_fpsimd_state = { vregs: UNKNOWN, fpsr: UNKNOWN };
  const e: errbox = { err: 0 };

  if (user.fpsimd_size !== sizeof_fpsimd_context) return -EINVAL;

  const fp = deref(user.fpsimd, 'user->fpsimd');
  let left: number;
  [left, fpsimd.vregs] = __copy_from_user(fp, fpsimd_vregs);
  e.err = left;
  fpsimd.fpsr = __get_user_error(fp, fpsimd_fpsr, e);
  __get_user_error_folded(fp, fpsimd_fpcr, e);

  clear_thread_flag(TIF_SVE);
  current().thread.fp_type = FP_STATE_FPSIMD;

  yield* point('restore_fpsimd_context:before fpsimd_update_current_state');
  if (!e.err) fpsimd_update_current_state(fpsimd);

  return e.err ? -EFAULT : 0;
}

// arch/arm64/kernel/signal.c: preserve_sve_context (v6.4)
// The SVE record. In streaming mode it describes the streaming registers at the SME VL (flag SM);
// with SVE in use, the SVE registers; otherwise it is a header only (vq 0) that still gives the
// VL. The register data comes from sve_state, which the caller's preserve has filled.
export function* preserve_sve_context(ctx: user_ptr): KernelPath<number> {
  let err = 0;
  let flags = 0;
  let vl = task_get_sve_vl(current());
  let vq = 0;

  if (thread_sm_enabled(current().thread)) {
    vl = task_get_sme_vl(current());
    vq = sve_vq_from_vl(vl);
    flags |= SVE_SIG_FLAG_SM;
  } else if (test_thread_flag(TIF_SVE)) {
    vq = sve_vq_from_vl(vl);
  }

  err = __put_user_error(SVE_MAGIC, ctx, head_magic, err);
  err = __put_user_error(round_up(SVE_SIG_CONTEXT_SIZE(vq), 16), ctx, head_size, err);
  err = __put_user_error(vl, ctx, sve_vl, err);
  err = __put_user_error(flags, ctx, sve_flags, err);
  err |= __copy_to_user(ctx, sve_reserved, 0);

  if (vq) {
    yield* point('preserve_sve_context:before register copy');
    err |= __copy_to_user(ctx, sve_regs(vq), sve_state_to_image(current().thread.sve_state, vq));
  }

  return err ? -EFAULT : 0;
}

// arch/arm64/kernel/signal.c: restore_sve_fpsimd_context (v6.4)
// sigreturn with an SVE record. The header's VL must be the task's VL for the mode the flag names.
// A header-only record means FPSIMD-only state (and leaves streaming mode). Otherwise the
// registers are copied straight into sve_state; the task's state is first detached from any CPU so
// that a context switch during the copy cannot save live registers over the new data. The fpsimd
// record then supplies V0-V31 (merged by fpsimd_update_current_state), FPSR and FPCR.
export function* restore_sve_fpsimd_context(user: user_ctxs): KernelPath<number> {
  const e: errbox = { err: 0 };
  let vl: number;
  let vq: number;
  const fpsimd: user_fpsimd_state = { vregs: UNKNOWN, fpsr: UNKNOWN };

  if (user.sve_size < sizeof_sve_context) return -EINVAL;

  const sve = deref(user.sve, 'user->sve');
  const user_vl = __get_user_error(sve, sve_vl, e);
  const flags = __get_user_error(sve, sve_flags, e);
  if (e.err) return e.err;

  if (flags & SVE_SIG_FLAG_SM) {
    if (!system_supports_sme()) return -EINVAL;

    vl = task_get_sme_vl(current());
  } else {
    // With SME but no SVE, a non-streaming record can only be the empty one (VL 0).
    if (!system_supports_sve() && !system_supports_sme()) return -EINVAL;

    vl = task_get_sve_vl(current());
  }

  if (user_vl !== vl) return -EINVAL;

  fpsimd_only: {
    if (user.sve_size === sizeof_sve_context) {
      clear_thread_flag(TIF_SVE);
      current().thread.svcr &= ~SVCR_SM_MASK;
      current().thread.fp_type = FP_STATE_FPSIMD;
      break fpsimd_only;
    }

    vq = sve_vq_from_vl(vl);

    if (user.sve_size < SVE_SIG_CONTEXT_SIZE(vq)) return -EINVAL;

    // Detach first: from here no context switch writes live registers into sve_state.
    fpsimd_flush_task_state(current());
    yield* point('restore_sve_fpsimd_context:after fpsimd_flush_task_state');

    sve_alloc(current(), true);
    yield* point('restore_sve_fpsimd_context:after sve_alloc');
    if (!current().thread.sve_state) {
      clear_thread_flag(TIF_SVE);
      return -ENOMEM;
    }

    const [left, img] = __copy_from_user(sve, sve_regs(vq), vq);
    image_to_sve_state(current().thread.sve_state, img, vq);
    if (left) return -EFAULT;
    yield* point('restore_sve_fpsimd_context:after register copy');

    if (flags & SVE_SIG_FLAG_SM) current().thread.svcr |= SVCR_SM_MASK;
    else set_thread_flag(TIF_SVE);
    current().thread.fp_type = FP_STATE_SVE;
  }

  // restore_sigframe has made sure there is an fpsimd record.
  const fp = deref(user.fpsimd, 'user->fpsimd');
  let left: number;
  [left, fpsimd.vregs] = __copy_from_user(fp, fpsimd_vregs);
  e.err = left;
  fpsimd.fpsr = __get_user_error(fp, fpsimd_fpsr, e);
  __get_user_error_folded(fp, fpsimd_fpcr, e);

  yield* point('restore_sve_fpsimd_context:before fpsimd_update_current_state');
  if (!e.err) fpsimd_update_current_state(fpsimd);

  return e.err ? -EFAULT : 0;
}

// arch/arm64/kernel/signal.c: preserve_tpidr2_context (v6.4)
// TPIDR2_EL0 is read from the register (the saved copy may be old) into the thread, then written
// to the record. Returns the raw error (0 or -EFAULT).
export function preserve_tpidr2_context(ctx: user_ptr): number {
  let err = 0;

  current().thread.tpidr2_el0 = read_sysreg_s(SYS_TPIDR2_EL0);

  err = __put_user_error(TPIDR2_MAGIC, ctx, head_magic, err);
  err = __put_user_error(sizeof_tpidr2_context, ctx, head_size, err);
  err = __put_user_error(current().thread.tpidr2_el0, ctx, tpidr2_tpidr2, err);

  return err;
}

// arch/arm64/kernel/signal.c: restore_tpidr2_context (v6.4)
// Only the saved copy in the thread is updated, not the register itself.
export function restore_tpidr2_context(user: user_ctxs): number {
  const e: errbox = { err: 0 };

  if (user.tpidr2_size !== sizeof_tpidr2_context) return -EINVAL;

  const tpidr2_el0 = __get_user_error(deref(user.tpidr2, 'user->tpidr2'), tpidr2_tpidr2, e);
  if (!e.err) current().thread.tpidr2_el0 = tpidr2_el0;

  return e.err;
}

// arch/arm64/kernel/signal.c: preserve_za_context (v6.4)
// The ZA record always gives the SME VL; it carries ZA (from sme_state, filled by the caller's
// preserve) only while ZA is enabled, else it is a header only.
export function* preserve_za_context(ctx: user_ptr): KernelPath<number> {
  let err = 0;
  const vl = task_get_sme_vl(current());
  let vq: number;

  if (thread_za_enabled(current().thread)) vq = sve_vq_from_vl(vl);
  else vq = 0;

  err = __put_user_error(ZA_MAGIC, ctx, head_magic, err);
  err = __put_user_error(round_up(ZA_SIG_CONTEXT_SIZE(vq), 16), ctx, head_size, err);
  err = __put_user_error(vl, ctx, za_vl, err);
  err |= __copy_to_user(ctx, za_reserved, 0);

  if (vq) {
    yield* point('preserve_za_context:before register copy');
    err |= __copy_to_user(ctx, za_regs(vq), sme_state_to_image(current().thread.sme_state, vq));
  }

  return err ? -EFAULT : 0;
}

// arch/arm64/kernel/signal.c: restore_za_context (v6.4)
// A header-only ZA record turns ZA off (in the saved SVCR only). With data, the task's state is
// detached from the CPU, sme_state is (re)allocated zeroed, ZA is copied in, and SME and ZA are
// marked in use. The VL must be the task's SME VL.
export function* restore_za_context(user: user_ctxs): KernelPath<number> {
  const e: errbox = { err: 0 };

  if (user.za_size < sizeof_za_context) return -EINVAL;

  const za = deref(user.za, 'user->za');
  const user_vl = __get_user_error(za, za_vl, e);
  if (e.err) return e.err;

  if (user_vl !== task_get_sme_vl(current())) return -EINVAL;

  if (user.za_size === sizeof_za_context) {
    current().thread.svcr &= ~SVCR_ZA_MASK;
    return 0;
  }

  const vq = sve_vq_from_vl(user_vl);

  if (user.za_size < ZA_SIG_CONTEXT_SIZE(vq)) return -EINVAL;

  fpsimd_flush_task_state(current());
  yield* point('restore_za_context:after fpsimd_flush_task_state');

  sme_alloc(current());
  yield* point('restore_za_context:after sme_alloc');
  if (!current().thread.sme_state) {
    current().thread.svcr &= ~SVCR_ZA_MASK;
    clear_thread_flag(TIF_SME);
    return -ENOMEM;
  }

  const [left, img] = __copy_from_user(za, za_regs(vq), vq);
  image_to_sme_state(current().thread.sme_state, img, vq);
  if (left) return -EFAULT;
  yield* point('restore_za_context:after register copy');

  set_thread_flag(TIF_SME);
  current().thread.svcr |= SVCR_ZA_MASK;

  return 0;
}

// arch/arm64/kernel/signal.c: preserve_zt_context (v6.4)
// The ZT record (SME2) is only laid out while ZA is on; asking for it otherwise is a kernel bug.
export function preserve_zt_context(ctx: user_ptr): number {
  let err = 0;

  if (WARN_ON(!thread_za_enabled(current().thread))) return -EINVAL;

  err = __put_user_error(ZT_MAGIC, ctx, head_magic, err);
  err = __put_user_error(round_up(ZT_SIG_CONTEXT_SIZE(1), 16), ctx, head_size, err);
  err = __put_user_error(1, ctx, zt_nregs, err);
  err |= __copy_to_user(ctx, zt_reserved, 0);

  err |= __copy_to_user(ctx, zt_regs(1), zt_state_of(current().thread).zt0);

  return err ? -EFAULT : 0;
}

// arch/arm64/kernel/signal.c: restore_zt_context (v6.4)
// Needs ZA to be on already (so the ZA record must be restored first), an exact size and one
// register. ZT0 is copied into sme_state after detaching the task's state from the CPU.
export function* restore_zt_context(user: user_ctxs): KernelPath<number> {
  if (!thread_za_enabled(current().thread)) return -EINVAL;

  if (user.zt_size !== ZT_SIG_CONTEXT_SIZE(1)) return -EINVAL;

  const zt = deref(user.zt, 'user->zt');
  const [nleft, nregs] = __copy_from_user(zt, zt_nregs);
  if (nleft) return -EFAULT;

  if (nregs !== 1) return -EINVAL;

  fpsimd_flush_task_state(current());
  yield* point('restore_zt_context:after fpsimd_flush_task_state');

  const [left, img] = __copy_from_user(zt, zt_regs(1));
  zt_state_of(current().thread).zt0 = img;
  if (left) return -EFAULT;

  return 0;
}

// arch/arm64/kernel/signal.c: parse_user_sigframe (v6.4)
// Walks the records of __reserved[] (and of the extra space, if an extra_context record points
// to one), noting where each FP record is. Every record must be 16-byte aligned, fit in what is
// left, be known, and appear at most once; a zero record ends the walk. An extra_context record
// must be followed by a terminator and point exactly past it, and the extra space must stay within
// SIGFRAME_MAXSZ of the frame. Any violation is -EINVAL; a faulting header read is -EFAULT.
export function parse_user_sigframe(user: user_ctxs, sf: user_ptr): number {
  let base = uptr(sf, offsetof_sigframe_reserved);
  let offset = 0;
  let limit = sizeof_sigcontext_reserved;
  let have_extra_context = false;
  const sfp = sf.addr;

  user.fpsimd = null;
  user.sve = null;
  user.tpidr2 = null;
  user.za = null;
  user.zt = null;

  invalid: {
    if (!IS_ALIGNED(base.addr, 16)) break invalid;

    for (;;) {
      const e: errbox = { err: 0 };

      if (limit - offset < sizeof_aarch64_ctx) break invalid;

      if (!IS_ALIGNED(offset, 16)) break invalid;

      const head = uptr(base, offset);
      const magic = __get_user_error(head, head_magic, e);
      const size = __get_user_error(head, head_size, e);
      if (e.err) return e.err;

      if (limit - offset < size) break invalid;

      switch (magic) {
        case 0:
          if (size) break invalid;

          return 0;

        case FPSIMD_MAGIC:
          if (!system_supports_fpsimd()) break invalid;
          if (user.fpsimd) break invalid;

          user.fpsimd = head;
          user.fpsimd_size = size;
          break;

        case ESR_MAGIC:
          // Written for the handler's information; nothing to restore.
          break;

        case SVE_MAGIC:
          if (!system_supports_sve() && !system_supports_sme()) break invalid;

          if (user.sve) break invalid;

          user.sve = head;
          user.sve_size = size;
          break;

        case TPIDR2_MAGIC:
          if (!system_supports_tpidr2()) break invalid;

          if (user.tpidr2) break invalid;

          user.tpidr2 = head;
          user.tpidr2_size = size;
          break;

        case ZA_MAGIC:
          if (!system_supports_sme()) break invalid;

          if (user.za) break invalid;

          user.za = head;
          user.za_size = size;
          break;

        case ZT_MAGIC:
          if (!system_supports_sme2()) break invalid;

          if (user.zt) break invalid;

          user.zt = head;
          user.zt_size = size;
          break;

        case EXTRA_MAGIC: {
          if (have_extra_context) break invalid;

          if (size < sizeof_extra_context) break invalid;

          let userp = head;

          const extra = userp;
          userp = uptr(userp, size);

          const extra_datap_v = __get_user_error(extra, extra_datap, e);
          const extra_size_v = __get_user_error(extra, extra_size, e);
          if (e.err) return e.err;

          // The terminator of __reserved[] must follow the extra_context record.
          if (limit - offset - size < TERMINATOR_SIZE) break invalid;

          const end = userp;
          userp = uptr(userp, TERMINATOR_SIZE);

          const end_magic = __get_user_error(end, head_magic, e);
          const end_size = __get_user_error(end, head_size, e);
          if (e.err) return e.err;

          if (end_magic || end_size) break invalid;

          // One extra space per frame, so the walk cannot loop.
          have_extra_context = true;

          base = { mm: sf.mm, addr: extra_datap_v };
          if (!IS_ALIGNED(base.addr, 16)) break invalid;

          if (!IS_ALIGNED(extra_size_v, 16)) break invalid;

          if (base.addr !== userp.addr) break invalid;

          // The extra space may not reach past SIGFRAME_MAXSZ from the frame.
          if (extra_size_v > sfp + SIGFRAME_MAXSZ - userp.addr) break invalid;

          // Continue in the extra space; the terminator just read is not a record.
          offset = 0;
          limit = extra_size_v;

          if (!userAccessOk(sf.mm, base.addr, limit)) break invalid;

          continue;
        }

        default:
          break invalid;
      }

      if (size < sizeof_aarch64_ctx) break invalid;

      if (limit - offset < size) break invalid;

      offset += size;
    }
  }

  return -EINVAL;
}

// arch/arm64/kernel/signal.c: restore_sigframe (v6.4)
// Reads the non-FP part of the frame (the model only checks those reads for faults), stops the
// syscall from being restarted, then parses the records and restores FP state in a fixed order:
// FPSIMD (or SVE+FPSIMD), TPIDR2, ZA, then ZT (which needs ZA restored first). An fpsimd record is
// mandatory when the CPU has FP. The first error stops the sequence.
export function* restore_sigframe(regs: sig_pt_regs, sf: user_ptr): KernelPath<number> {
  let err: number;
  const user = empty_user_ctxs();

  // The signal mask, x0-x30, sp, pc and pstate.
  err = user_area_faults(sf, offsetof_uc_sigmask, 8) ? 8 : 0;
  if (user_area_faults(sf, offsetof_uc_mcontext + 8, 34 * 8)) err = -EFAULT;

  // sigreturn must not be restarted as a syscall.
  forget_syscall(regs);

  // valid_user_regs() accepts every register set the model can hold.
  if (err === 0) err = parse_user_sigframe(user, sf);

  if (err === 0 && system_supports_fpsimd()) {
    if (!user.fpsimd) return -EINVAL;

    if (user.sve) err = yield* restore_sve_fpsimd_context(user);
    else err = yield* restore_fpsimd_context(user);
  }

  if (err === 0 && system_supports_tpidr2() && user.tpidr2) err = restore_tpidr2_context(user);

  if (err === 0 && system_supports_sme() && user.za) err = yield* restore_za_context(user);

  if (err === 0 && system_supports_sme2() && user.zt) err = yield* restore_zt_context(user);

  return err;
}

/** forget_syscall() (asm/ptrace.h): these registers no longer belong to a syscall in progress. */
function forget_syscall(regs: pt_regs): void {
  regs.syscallno = NO_SYSCALL;
}

// arch/arm64/kernel/signal.c: sys_rt_sigreturn (v6.4)
// The frame is at the user stack pointer, which must be 16-byte aligned and a valid user range.
// Any failure to restore is a bad frame: the task gets SIGSEGV. The model's `mm` is the task's
// user memory (current->mm in the kernel).
export function* sys_rt_sigreturn(regs: sig_pt_regs, mm: UserMemory): KernelPath<number> {
  badframe: {
    if (regs.sp & 15) break badframe;

    const frame: user_ptr = { mm, addr: regs.sp };

    if (!userAccessOk(mm, frame.addr, sizeof_rt_sigframe)) break badframe;

    if (yield* restore_sigframe(regs, frame)) break badframe;

    // restore_altstack(): only its reads can fail.
    if (user_area_faults(frame, offsetof_uc_stack, 24)) break badframe;

    return regs.regs[0];
  }

  arm64_notify_segfault(regs.sp);
  return 0;
}

/** arm64_notify_segfault(): a SIGSEGV for the bad frame (recorded as a finding). */
function arm64_notify_segfault(_addr: number): void {
  force_sig(SIGSEGV);
}

// arch/arm64/kernel/signal.c: setup_sigframe_layout (v6.4)
// Lays out the records for the task's state now (or, with add_all, the largest frame any task
// could need): fpsimd; esr if there is a fault to report; one SVE record when SVE or SME exists
// (with registers only when SVE or streaming mode is in use); TPIDR2 with SME; a ZA record with
// SME (with data only while ZA is on); ZT with SME2 while ZA is on; then the terminator.
export function setup_sigframe_layout(user: rt_sigframe_user_layout, add_all: boolean): number {
  let err: number;

  if (system_supports_fpsimd()) {
    err = sigframe_alloc(user, 'fpsimd_offset', sizeof_fpsimd_context);
    if (err) return err;
  }

  if (add_all || thread_fault_code(current().thread)) {
    err = sigframe_alloc(user, 'esr_offset', sizeof_esr_context);
    if (err) return err;
  }

  if (system_supports_sve() || system_supports_sme()) {
    let vq = 0;

    if (add_all || test_thread_flag(TIF_SVE) || thread_sm_enabled(current().thread)) {
      let vl = Math.max(sve_max_vl(), sme_max_vl());

      if (!add_all) vl = thread_get_cur_vl(current().thread);

      vq = sve_vq_from_vl(vl);
    }

    err = sigframe_alloc(user, 'sve_offset', SVE_SIG_CONTEXT_SIZE(vq));
    if (err) return err;
  }

  if (system_supports_tpidr2()) {
    err = sigframe_alloc(user, 'tpidr2_offset', sizeof_tpidr2_context);
    if (err) return err;
  }

  if (system_supports_sme()) {
    let vl: number;
    let vq = 0;

    if (add_all) vl = sme_max_vl();
    else vl = task_get_sme_vl(current());

    if (thread_za_enabled(current().thread)) vq = sve_vq_from_vl(vl);

    err = sigframe_alloc(user, 'za_offset', ZA_SIG_CONTEXT_SIZE(vq));
    if (err) return err;
  }

  if (system_supports_sme2()) {
    if (add_all || thread_za_enabled(current().thread)) {
      err = sigframe_alloc(user, 'zt_offset', ZT_SIG_CONTEXT_SIZE(1));
      if (err) return err;
    }
  }

  return sigframe_alloc_end(user);
}

// arch/arm64/kernel/signal.c: setup_sigframe (v6.4)
// Writes the frame: the unwinder's frame record and the general registers (fault checks only in
// the model), then each FP record at its laid-out offset while no error has occurred, the
// extra_context record and its terminator if the frame overflowed __reserved[], and the end.
export function* setup_sigframe(
  user: rt_sigframe_user_layout,
  _regs: sig_pt_regs,
  _set: number,
): KernelPath<number> {
  let err = 0;
  const sf = deref(user.sigframe, 'user->sigframe');

  // The frame record for unwinding, x0-x30, sp, pc, pstate, fault_address and the signal mask.
  if (user_area_faults(deref(user.next_frame, 'user->next_frame'), 0, sizeof_frame_record)) err = -EFAULT;
  if (user_area_faults(sf, offsetof_uc_mcontext, 35 * 8)) err = -EFAULT;
  if (user_area_faults(sf, offsetof_uc_sigmask, 8)) err |= 8;

  if (err === 0 && system_supports_fpsimd()) {
    const fpsimd_ctx = apply_user_offset(user, user.fpsimd_offset);
    err |= preserve_fpsimd_context(fpsimd_ctx);
  }

  if (err === 0 && user.esr_offset) {
    const esr_ctx = apply_user_offset(user, user.esr_offset);

    err = __put_user_error(ESR_MAGIC, esr_ctx, head_magic, err);
    err = __put_user_error(sizeof_esr_context, esr_ctx, head_size, err);
    err = __put_user_error(thread_fault_code(current().thread), esr_ctx, esr_esr, err);
  }

  if ((system_supports_sve() || system_supports_sme()) && err === 0 && user.sve_offset) {
    const sve_ctx = apply_user_offset(user, user.sve_offset);
    err |= yield* preserve_sve_context(sve_ctx);
  }

  if (system_supports_tpidr2() && err === 0) {
    const tpidr2_ctx = apply_user_offset(user, user.tpidr2_offset);
    err |= preserve_tpidr2_context(tpidr2_ctx);
  }

  if (system_supports_sme() && err === 0 && user.za_offset) {
    const za_ctx = apply_user_offset(user, user.za_offset);
    err |= yield* preserve_za_context(za_ctx);
  }

  if (system_supports_sme2() && err === 0 && user.zt_offset) {
    const zt_ctx = apply_user_offset(user, user.zt_offset);
    err |= preserve_zt_context(zt_ctx);
  }

  if (err === 0 && user.extra_offset) {
    const sfp = sf.addr;
    let userp = apply_user_offset(user, user.extra_offset);

    const extra = userp;
    userp = uptr(userp, EXTRA_CONTEXT_SIZE);

    const end = userp;
    userp = uptr(userp, TERMINATOR_SIZE);

    // The extra data starts right after the terminator; its address goes into the record as a
    // plain number, which sigreturn turns back into a pointer.
    const extra_datap_v = userp.addr;
    const extra_size_v = sfp + round_up(user.size, 16) - userp.addr;

    err = __put_user_error(EXTRA_MAGIC, extra, head_magic, err);
    err = __put_user_error(EXTRA_CONTEXT_SIZE, extra, head_size, err);
    err = __put_user_error(extra_datap_v, extra, extra_datap, err);
    err = __put_user_error(extra_size_v, extra, extra_size, err);

    err = __put_user_error(0, end, head_magic, err);
    err = __put_user_error(0, end, head_size, err);
  }

  if (err === 0) {
    const end = apply_user_offset(user, user.end_offset);

    err = __put_user_error(0, end, head_magic, err);
    err = __put_user_error(0, end, head_size, err);
  }

  return err;
}

// arch/arm64/kernel/signal.c: get_sigframe (v6.4)
// Lays the frame out for the task's current state and places it below the stack pointer (the
// alternate signal stack is not modelled), with the frame record above it, 16-byte aligned.
export function get_sigframe(
  user: rt_sigframe_user_layout,
  _ksig: ksignal,
  regs: sig_pt_regs,
  mm: UserMemory,
): number {
  let sp: number;

  init_user_layout(user);
  const err = setup_sigframe_layout(user, false);
  if (err) return err;

  const sp_top = (sp = regs.sp);

  sp = round_down(sp - sizeof_frame_record, 16);
  user.next_frame = { mm, addr: sp };

  sp = round_down(sp, 16) - sigframe_size(user);
  user.sigframe = { mm, addr: sp };

  if (!userAccessOk(mm, sp, sp_top - sp)) return -EFAULT;

  return 0;
}

// arch/arm64/kernel/signal.c: setup_return (v6.4)
// Points the task at the handler. With SME, the handler must start with streaming mode and ZA off:
// if the task was streaming, its saved FPSIMD copy (which the frame already holds in SVE form) is
// cleared and marked as the format in use, the saved SVCR loses SM and ZA, and SMSTOP turns both
// off in the registers. None of this runs with preemption disabled.
export function* setup_return(
  regs: sig_pt_regs,
  ka: k_sigaction,
  user: rt_sigframe_user_layout,
  usig: number,
): KernelPath {
  let sigtramp: number;

  regs.regs[0] = usig;
  regs.sp = deref(user.sigframe, 'user->sigframe').addr;
  regs.regs[29] = deref(user.next_frame, 'user->next_frame').addr;
  regs.pc = ka.sa.sa_handler;

  // BTYPE and TCO in PSTATE are not modelled.

  if (system_supports_sme()) {
    if (current().thread.svcr & SVCR_SM_MASK) {
      const st = current().thread.uw.fpsimd_state;
      st.vregs = ZERO;
      st.fpsr = ZERO;
      current().thread.fp_type = FP_STATE_FPSIMD;
    }
    yield* point('setup_return:before svcr update');

    current().thread.svcr &= ~(SVCR_ZA_MASK | SVCR_SM_MASK);
    yield* point('setup_return:before sme_smstop');
    sme_smstop();
  }

  if (ka.sa.sa_flags & SA_RESTORER) sigtramp = ka.sa.sa_restorer;
  else sigtramp = VDSO_SIGTRAMP;

  regs.regs[30] = sigtramp;
}

// arch/arm64/kernel/signal.c: setup_rt_frame (v6.4)
// Delivery: the task's FP state is first brought up to date in memory (including the FPSIMD copy
// of SVE data), the frame is placed and written, and only if all of that worked is the task sent
// to the handler. Returns non-zero on failure (the caller then forces SIGSEGV).
export function* setup_rt_frame(
  usig: number,
  ksig: ksignal,
  set: number,
  regs: sig_pt_regs,
  mm: UserMemory,
): KernelPath<number> {
  const user = empty_user_layout();
  let err = 0;

  yield* fpsimd_signal_preserve_current_state();
  yield* point('setup_rt_frame:after fpsimd_signal_preserve_current_state');

  if (get_sigframe(user, ksig, regs, mm)) return 1;

  const frame = deref(user.sigframe, 'user.sigframe');

  // uc_flags, uc_link and the alternate stack description.
  if (user_area_faults(frame, offsetof_uc_flags, 16)) err = -EFAULT;
  if (user_area_faults(frame, offsetof_uc_stack, 24)) err |= -EFAULT;
  err |= yield* setup_sigframe(user, regs, set);
  if (err === 0) {
    yield* setup_return(regs, ksig.ka, user, usig);
    if (ksig.ka.sa.sa_flags & SA_SIGINFO) {
      if (user_area_faults(frame, 0, sizeof_siginfo)) err |= -EFAULT;
      regs.regs[1] = frame.addr;
      regs.regs[2] = frame.addr + offsetof_uc_flags;
    }
  }

  return err;
}

// arch/arm64/kernel/signal.c: minsigstksz_setup (v6.4)
// The stack a handler needs in the worst case (every record at its largest), for AT_MINSIGSTKSZ.
export function minsigstksz_setup(): number {
  const user = empty_user_layout();

  init_user_layout(user);

  // A failure means SIGFRAME_MAXSZ is too small for this machine.
  if (WARN_ON(setup_sigframe_layout(user, true) !== 0)) return 0;

  return sigframe_size(user) + round_up(sizeof_frame_record, 16) + 16;
}
