// Port of the FP/SIMD, SVE and SME register sets of arch/arm64/kernel/ptrace.c (Linux v6.4): what a
// tracer reads and writes with PTRACE_GETREGSET/PTRACE_SETREGSET for NT_PRFPREG, NT_ARM_TLS,
// NT_ARM_SVE, NT_ARM_SSVE, NT_ARM_ZA and NT_ARM_ZT, plus the generic regset glue of kernel/ptrace.c
// and linux/regset.h those calls go through. Functions are in the kernel's order.
//
// Tracer buffers are user memory in the model (src/user-memory.ts), offsets from the start of the
// regset: a header is one `header` chunk, register data are `vregs`/`fpsr`/`sve`/`za`/`zt` chunks at
// the ABI's offsets, so what a read produces can be written back unchanged. A copy that covers
// only part of a register image gives an unknown image (the model keeps whole banks).
//
// The tracer runs preemptible while the target is stopped; set paths that allocate or copy from
// the tracer's memory are generators with points there.

import { SVCR_SM_MASK, SVCR_ZA_MASK } from '@kvmfp/sysreg';
import {
  type ChunkKind,
  type ChunkValues,
  garbageValue,
  newUserMemory,
  peek,
  type RegsetHeader,
  type UserMemory,
  userAccessOk,
  userFaults,
  userStore,
  zeroFill,
} from '../user-memory.js';
import { SME_VQ_MAX, sme_max_vl, thread_za_enabled, thread_sm_enabled, vec_max_vl } from './asm-fpsimd.js';
import { task_get_sme_vl } from './asm-processor.js';
import {
  fpsimd_flush_task_state,
  fpsimd_preserve_current_state,
  fpsimd_sync_to_sve,
  sme_alloc,
  sve_alloc,
  sve_sync_from_fpsimd_zeropad,
  sve_sync_to_fpsimd,
  task_get_vl,
  vec_set_vector_length,
} from './fpsimd.js';
import {
  BUG_ON,
  clear_tsk_thread_flag,
  current,
  EINVAL,
  type KernelPath,
  point,
  set_tsk_thread_flag,
  system_supports_fpsimd,
  system_supports_sme,
  system_supports_sme2,
  system_supports_sve,
  test_tsk_thread_flag,
  WARN_ON_ONCE,
} from './linux.js';
import { tls_preserve_current_state } from './process.js';
import {
  EFAULT,
  EIO,
  ENODEV,
  ENOMEM,
  image_to_sme_state,
  image_to_sve_state,
  sme_state_to_image,
  sve_state_to_image,
  system_supports_tpidr2,
  ZT_SIG_REG_BYTES,
  zt_state_of,
} from './signal.js';
import {
  ARM64_VEC_SME,
  ARM64_VEC_SVE,
  FP_STATE_FPSIMD,
  FP_STATE_SVE,
  type task_struct,
  TIF_SME,
  TIF_SME_VL_INHERIT,
  TIF_SVE,
  TIF_SVE_VL_INHERIT,
  type user_fpsimd_state,
  type vec_type,
} from './types.js';
import {
  __SVE_FFR_OFFSET,
  __SVE_FFR_SIZE,
  SVE_SIG_REGS_SIZE,
  SVE_VQ_BYTES,
  SVE_VQ_MAX,
  sve_vq_from_vl,
  ZA_SIG_REGS_SIZE,
} from './uapi-sve-context.js';

// ---------------------------------------------------------------------------------------------
// The user ABI of arch/arm64/include/uapi/asm/ptrace.h and uapi/linux/elf.h for these regsets.

export const NT_PRFPREG = 2;
export const NT_ARM_TLS = 0x401;
export const NT_ARM_SVE = 0x405;
export const NT_ARM_SSVE = 0x40b;
export const NT_ARM_ZA = 0x40c;
export const NT_ARM_ZT = 0x40d;

export const PTRACE_GETREGSET = 0x4204;
export const PTRACE_SETREGSET = 0x4205;

export const sizeof_user_fpsimd_state = 528;
export const sizeof_user_sve_header = 16;
export const sizeof_user_za_header = 16;

export const SVE_PT_REGS_MASK = 1 << 0;
export const SVE_PT_REGS_FPSIMD = 0;
export const SVE_PT_REGS_SVE = SVE_PT_REGS_MASK;
// The prctl flag bits, shifted down into the header's 16-bit flags.
export const SVE_PT_VL_INHERIT = (1 << 17) >> 16;
export const SVE_PT_VL_ONEXEC = (1 << 18) >> 16;
export const ZA_PT_VL_INHERIT = (1 << 17) >> 16;
export const ZA_PT_VL_ONEXEC = (1 << 18) >> 16;

const round_up = (x: number, a: number): number => Math.ceil(x / a) * a;
const DIV_ROUND_UP = (x: number, d: number): number => Math.ceil(x / d);

export const SVE_PT_REGS_OFFSET = round_up(sizeof_user_sve_header, SVE_VQ_BYTES);
export const SVE_PT_FPSIMD_OFFSET = SVE_PT_REGS_OFFSET;
export const SVE_PT_FPSIMD_SIZE = (_vq: number, _flags: number): number => sizeof_user_fpsimd_state;
export const SVE_PT_SVE_OFFSET = SVE_PT_REGS_OFFSET;
export const SVE_PT_SVE_FFR_OFFSET = (vq: number): number => SVE_PT_REGS_OFFSET + __SVE_FFR_OFFSET(vq);
export const SVE_PT_SVE_FFR_SIZE = (vq: number): number => __SVE_FFR_SIZE(vq);
export const SVE_PT_SVE_FPSR_SIZE = 4;
export const SVE_PT_SVE_FPCR_SIZE = 4;
export const SVE_PT_SVE_FPSR_OFFSET = (vq: number): number =>
  round_up(SVE_PT_SVE_FFR_OFFSET(vq) + SVE_PT_SVE_FFR_SIZE(vq), SVE_VQ_BYTES);
export const SVE_PT_SVE_FPCR_OFFSET = (vq: number): number =>
  SVE_PT_SVE_FPSR_OFFSET(vq) + SVE_PT_SVE_FPSR_SIZE;
export const SVE_PT_SVE_SIZE = (vq: number, _flags: number): number =>
  round_up(SVE_PT_SVE_FPCR_OFFSET(vq) + SVE_PT_SVE_FPCR_SIZE - SVE_PT_SVE_OFFSET, SVE_VQ_BYTES);
export const SVE_PT_SIZE = (vq: number, flags: number): number =>
  (flags & SVE_PT_REGS_MASK) === SVE_PT_REGS_SVE
    ? SVE_PT_SVE_OFFSET + SVE_PT_SVE_SIZE(vq, flags)
    : (flags & SVE_PT_REGS_MASK) === SVE_PT_REGS_FPSIMD
      ? SVE_PT_FPSIMD_OFFSET + SVE_PT_FPSIMD_SIZE(vq, flags)
      : SVE_PT_REGS_OFFSET;

export const ZA_PT_ZA_OFFSET = round_up(sizeof_user_za_header, SVE_VQ_BYTES);
export const ZA_PT_ZA_SIZE = (vq: number): number => ZA_SIG_REGS_SIZE(vq);
export const ZA_PT_SIZE = (vq: number): number => ZA_PT_ZA_OFFSET + ZA_PT_ZA_SIZE(vq);

// ---------------------------------------------------------------------------------------------
// The regset plumbing (linux/regset.h), on the user-memory model.

/** struct user_regset, as far as these regsets use it. */
export interface user_regset {
  core_note_type: number;
  n: number;
  size: number;
  align: number;
}

/** struct membuf: the rest of the buffer a regset read writes into, and how much is left. */
export interface membuf {
  mm: UserMemory;
  off: number;
  left: number;
}

// linux/regset.h: membuf_write (v6.4)
// Copies what fits; a register image cut short reads back as unknown.
export function membuf_write<K extends ChunkKind>(
  s: membuf,
  kind: K,
  v: ChunkValues[K],
  size: number,
): number {
  if (s.left) {
    if (size > s.left) size = s.left;
    userStore(s.mm, s.off, size, kind, v);
    s.off += size;
    s.left -= size;
  }
  return s.left;
}

// linux/regset.h: membuf_zero (v6.4)
export function membuf_zero(s: membuf, size: number): number {
  if (s.left) {
    if (size > s.left) size = s.left;
    zeroFill(s.mm, s.off, size);
    s.off += size;
    s.left -= size;
  }
  return s.left;
}

// linux/regset.h: membuf_store (v6.4)
// One 64-bit value.
export function membuf_store<K extends 'num' | 'tpidr2'>(s: membuf, kind: K, v: ChunkValues[K]): number {
  return membuf_write(s, kind, v, 8);
}

/** The position, remaining count and source of a regset write (pos, count, kbuf, ubuf in C). */
export interface regset_io {
  pos: number;
  count: number;
  /** The tracer's buffer and the address its next byte comes from. */
  ubuf: { mm: UserMemory; addr: number };
}

/** A member of the kernel object a regset write lands in, relative to the object's start. */
export interface kfield<K extends ChunkKind = ChunkKind> {
  off: number;
  len: number;
  kind: K;
  vq?: number;
  set: (v: ChunkValues[K]) => void;
}

const kf = <K extends ChunkKind>(
  off: number,
  len: number,
  kind: K,
  set: (v: ChunkValues[K]) => void,
  vq?: number,
): kfield => ({ off, len, kind, set, vq }) as unknown as kfield;

// linux/regset.h: user_regset_copyin (v6.4)
// Copies the next bytes of the tracer's buffer, up to end_pos of the object that starts at
// start_pos, into the object's members. A negative end_pos takes everything left.
export function user_regset_copyin(
  io: regset_io,
  data: kfield[],
  start_pos: number,
  end_pos: number,
): number {
  if (io.count === 0) return 0;
  BUG_ON(io.pos < start_pos);
  if (end_pos < 0 || io.pos < end_pos) {
    const copy = end_pos < 0 ? io.count : Math.min(io.count, end_pos - io.pos);
    const from = io.pos - start_pos;
    const src = io.ubuf.addr - from;
    if (userFaults(io.ubuf.mm, io.ubuf.addr, copy)) {
      for (const m of data)
        if (m.off < from + copy && from < m.off + m.len) m.set(garbageValue(m.kind, m.len, m.vq ?? 0));
      return -EFAULT;
    }
    for (const m of data) {
      if (!(m.off < from + copy && from < m.off + m.len)) continue;
      const whole = m.off >= from && m.off + m.len <= from + copy;
      m.set(
        whole
          ? peek(io.ubuf.mm, src + m.off, m.len, m.kind, m.vq ?? 0)
          : garbageValue(m.kind, m.len, m.vq ?? 0),
      );
    }
    io.ubuf.addr += copy;
    io.pos += copy;
    io.count -= copy;
  }
  return 0;
}

// linux/regset.h: user_regset_copyin_ignore (v6.4)
// Skips bytes of the tracer's buffer (padding) up to end_pos.
export function user_regset_copyin_ignore(io: regset_io, start_pos: number, end_pos: number): void {
  if (io.count === 0) return;
  BUG_ON(io.pos < start_pos);
  if (end_pos < 0 || io.pos < end_pos) {
    const copy = end_pos < 0 ? io.count : Math.min(io.count, end_pos - io.pos);
    io.ubuf.addr += copy;
    io.pos += copy;
    io.count -= copy;
  }
}

/** The members of struct user_fpsimd_state: V0-V31, then FPSR and FPCR kept as one value. */
function user_fpsimd_state_fields(st: user_fpsimd_state): kfield[] {
  return [kf(0, 512, 'vregs', (v) => (st.vregs = v)), kf(512, 8, 'fpsr', (v) => (st.fpsr = v))];
}

// ---------------------------------------------------------------------------------------------

// arch/arm64/kernel/ptrace.c: fpr_active (v6.4)
export function fpr_active(_target: task_struct, regset: user_regset): number {
  if (!system_supports_fpsimd()) return -ENODEV;
  return regset.n;
}

// arch/arm64/kernel/ptrace.c: __fpr_get (v6.4)
// The FPSIMD view of the saved state: when the saved format is SVE, V0-V31 are first refreshed
// from the SVE buffer.
export function __fpr_get(target: task_struct, _regset: user_regset, to: membuf): number {
  sve_sync_to_fpsimd(target);

  const uregs = target.thread.uw.fpsimd_state;

  membuf_write(to, 'vregs', uregs.vregs, 512);
  membuf_write(to, 'fpsr', uregs.fpsr, 8);
  return membuf_zero(to, sizeof_user_fpsimd_state - 520);
}

// arch/arm64/kernel/ptrace.c: fpr_get (v6.4)
// A task reading its own registers (a core dump) saves its live state first.
export function fpr_get(target: task_struct, regset: user_regset, to: membuf): number {
  if (!system_supports_fpsimd()) return -EINVAL;

  if (target === current()) fpsimd_preserve_current_state();

  return __fpr_get(target, regset, to);
}

// arch/arm64/kernel/ptrace.c: __fpr_set (v6.4)
// New FPSIMD values over an up-to-date copy of the old ones, so that a short write keeps the rest;
// the copy goes back only if the whole transfer worked.
export function* __fpr_set(
  target: task_struct,
  _regset: user_regset,
  pos: number,
  count: number,
  _kbuf: null,
  ubuf: user_buf,
  start_pos: number,
): KernelPath<number> {
  const io = regset_io_of(pos, count, ubuf);

  sve_sync_to_fpsimd(target);

  const newstate: user_fpsimd_state = { ...target.thread.uw.fpsimd_state };

  const ret = user_regset_copyin(
    io,
    user_fpsimd_state_fields(newstate),
    start_pos,
    start_pos + sizeof_user_fpsimd_state,
  );
  yield* point('__fpr_set:after copyin');
  if (ret) return ret;

  Object.assign(target.thread.uw.fpsimd_state, newstate);

  return ret;
}

// arch/arm64/kernel/ptrace.c: fpr_set (v6.4)
// NT_PRFPREG write: for an SVE user the new V values replace Z (other SVE bits zeroed), and the
// task's state is detached from any CPU so the registers are reloaded from memory.
export function* fpr_set(
  target: task_struct,
  regset: user_regset,
  pos: number,
  count: number,
  _kbuf: null,
  ubuf: user_buf,
): KernelPath<number> {
  if (!system_supports_fpsimd()) return -EINVAL;

  const ret = yield* __fpr_set(target, regset, pos, count, null, ubuf, 0);
  if (ret) return ret;

  sve_sync_from_fpsimd_zeropad(target);
  fpsimd_flush_task_state(target);

  return ret;
}

// arch/arm64/kernel/ptrace.c: tls_get (v6.4)
// TPIDR_EL0 then TPIDR2_EL0 (zero without SME). A task reading its own first saves the registers.
export function tls_get(target: task_struct, _regset: user_regset, to: membuf): number {
  let ret: number;

  if (target === current()) tls_preserve_current_state();

  ret = membuf_store(to, 'num', target.thread.uw.tp_value);
  if (system_supports_tpidr2()) ret = membuf_store(to, 'tpidr2', target.thread.tpidr2_el0);
  else ret = membuf_zero(to, 8);

  return ret;
}

// arch/arm64/kernel/ptrace.c: tls_set (v6.4)
// Only the saved copies change; a stopped target loads them when it is next switched in.
export function tls_set(
  target: task_struct,
  _regset: user_regset,
  pos: number,
  count: number,
  _kbuf: null,
  ubuf: user_buf,
): number {
  const tls = [target.thread.uw.tp_value, 0];

  if (system_supports_tpidr2()) tls[1] = target.thread.tpidr2_el0;

  const ret = user_regset_copyin(
    regset_io_of(pos, count, ubuf),
    [kf(0, 8, 'num', (v) => (tls[0] = v)), kf(8, 8, 'tpidr2', (v) => (tls[1] = v))],
    0,
    count,
  );
  if (ret) return ret;

  target.thread.uw.tp_value = tls[0];
  if (system_supports_tpidr2()) target.thread.tpidr2_el0 = tls[1];

  return ret;
}

// arch/arm64/kernel/ptrace.c: sve_init_header_from_task (v6.4)
// Describes the target's registers for the SVE or SSVE view: register data only in the view of
// the mode the task is in (SSVE while streaming, SVE otherwise); the SVE view of a task without
// SVE in use is the FPSIMD layout. Sizes follow the task's VL; max_size is for the largest VL.
export function sve_init_header_from_task(header: RegsetHeader, target: task_struct, type: vec_type): void {
  let fpsimd_only: boolean;
  let task_type: vec_type;

  Object.assign(header, { size: 0, max_size: 0, vl: 0, max_vl: 0, flags: 0 });

  if (thread_sm_enabled(target.thread)) task_type = ARM64_VEC_SME;
  else task_type = ARM64_VEC_SVE;
  const active = task_type === type;

  switch (type) {
    case ARM64_VEC_SVE:
      if (test_tsk_thread_flag(target, TIF_SVE_VL_INHERIT)) header.flags |= SVE_PT_VL_INHERIT;
      fpsimd_only = !test_tsk_thread_flag(target, TIF_SVE);
      break;
    case ARM64_VEC_SME:
      if (test_tsk_thread_flag(target, TIF_SME_VL_INHERIT)) header.flags |= SVE_PT_VL_INHERIT;
      fpsimd_only = false;
      break;
    default:
      WARN_ON_ONCE(true);
      return;
  }

  if (active) {
    if (fpsimd_only) {
      header.flags |= SVE_PT_REGS_FPSIMD;
    } else {
      header.flags |= SVE_PT_REGS_SVE;
    }
  }

  header.vl = task_get_vl(target, type);
  const vq = sve_vq_from_vl(header.vl);

  header.max_vl = vec_max_vl(type);
  header.size = SVE_PT_SIZE(vq, header.flags);
  header.max_size = SVE_PT_SIZE(sve_vq_from_vl(header.max_vl), SVE_PT_REGS_SVE);
}

// arch/arm64/kernel/ptrace.c: sve_size_from_header (v6.4)
export function sve_size_from_header(header: RegsetHeader): number {
  return round_up(header.size, SVE_VQ_BYTES);
}

// arch/arm64/kernel/ptrace.c: sve_get_common (v6.4)
// Header, then (after saving current's live state if the target is the caller) either the FPSIMD
// layout, or Z/P/FFR from sve_state, padding, FPSR/FPCR and padding up to the header's size. An
// inactive view (for example SSVE of a task not streaming) is the header alone.
export function sve_get_common(target: task_struct, regset: user_regset, to: membuf, type: vec_type): number {
  const header: RegsetHeader = { size: 0, max_size: 0, vl: 0, max_vl: 0, flags: 0 };
  let start: number;
  let end: number;

  sve_init_header_from_task(header, target, type);
  const vq = sve_vq_from_vl(header.vl);

  membuf_write(to, 'header', header, sizeof_user_sve_header);

  if (target === current()) fpsimd_preserve_current_state();

  switch (header.flags & SVE_PT_REGS_MASK) {
    case SVE_PT_REGS_FPSIMD:
      return __fpr_get(target, regset, to);

    case SVE_PT_REGS_SVE:
      start = SVE_PT_SVE_OFFSET;
      end = SVE_PT_SVE_FFR_OFFSET(vq) + SVE_PT_SVE_FFR_SIZE(vq);
      membuf_write(to, 'sve', sve_state_to_image(target.thread.sve_state, vq), end - start);

      start = end;
      end = SVE_PT_SVE_FPSR_OFFSET(vq);
      membuf_zero(to, end - start);

      // FPSR and FPCR sit together in the thread's FPSIMD copy.
      start = end;
      end = SVE_PT_SVE_FPCR_OFFSET(vq) + SVE_PT_SVE_FPCR_SIZE;
      membuf_write(to, 'fpsr', target.thread.uw.fpsimd_state.fpsr, end - start);

      start = end;
      end = sve_size_from_header(header);
      return membuf_zero(to, end - start);

    default:
      return 0;
  }
}

// arch/arm64/kernel/ptrace.c: sve_get (v6.4)
export function sve_get(target: task_struct, regset: user_regset, to: membuf): number {
  if (!system_supports_sve()) return -EINVAL;

  return sve_get_common(target, regset, to, ARM64_VEC_SVE);
}

// arch/arm64/kernel/ptrace.c: sve_set_common (v6.4)
// A write to the SVE or SSVE view. The header sets the VL (and inherit/on-exec flags) first;
// writing one view puts the task in that view's mode (SSVE streaming, SVE not), with a fresh SVE
// buffer if the mode changed. The FPSIMD layout makes the task FPSIMD-only. Otherwise the data
// must be for the VL actually set; the buffer starts from the task's current values (so a short
// write keeps the rest) and the task gets TIF_SVE even for SSVE. The task's state is always
// detached from any CPU at the end, error or not.
export function* sve_set_common(
  target: task_struct,
  regset: user_regset,
  pos: number,
  count: number,
  _kbuf: null,
  ubuf: user_buf,
  type: vec_type,
): KernelPath<number> {
  let ret: number;
  const header: RegsetHeader = { size: 0, max_size: 0, vl: 0, max_vl: 0, flags: 0 };
  let vq: number;
  let start: number;
  let end: number;
  const io = regset_io_of(pos, count, ubuf);

  if (io.count < sizeof_user_sve_header) return -EINVAL;

  out: {
    ret = user_regset_copyin(
      io,
      [kf(0, sizeof_user_sve_header, 'header', (v) => Object.assign(header, v))],
      0,
      sizeof_user_sve_header,
    );
    yield* point('sve_set_common:after header copyin');
    if (ret) break out;

    // All flags except the register layout are vec_set_vector_length's to check.
    ret = yield* vec_set_vector_length(target, type, header.vl, (header.flags & ~SVE_PT_REGS_MASK) << 16);
    if (ret) break out;

    // The VL set may be smaller than the one asked for.
    vq = sve_vq_from_vl(task_get_vl(target, type));

    if (system_supports_sme()) {
      const old_svcr = target.thread.svcr;

      switch (type) {
        case ARM64_VEC_SVE:
          target.thread.svcr &= ~SVCR_SM_MASK;
          break;
        case ARM64_VEC_SME:
          target.thread.svcr |= SVCR_SM_MASK;
          break;
        default:
          WARN_ON_ONCE(true);
          return -EINVAL;
      }

      // A change of mode leaves no valid SVE data: start from a zeroed (or new) buffer.
      if (target.thread.svcr !== old_svcr) {
        sve_alloc(target, true);
        yield* point('sve_set_common:after mode-change sve_alloc');
      }
    }

    if ((header.flags & SVE_PT_REGS_MASK) === SVE_PT_REGS_FPSIMD) {
      ret = yield* __fpr_set(target, regset, io.pos, io.count, null, io.ubuf, SVE_PT_FPSIMD_OFFSET);
      clear_tsk_thread_flag(target, TIF_SVE);
      target.thread.fp_type = FP_STATE_FPSIMD;
      break out;
    }

    // No register data, or SVE data (empty flags count as SVE for old tracers).

    // Data laid out for another VL than the one set would be read wrongly: refuse it.
    if (io.count && vq !== sve_vq_from_vl(header.vl)) {
      ret = -EIO;
      break out;
    }

    sve_alloc(target, true);
    yield* point('sve_set_common:after sve_alloc');
    if (!target.thread.sve_state) {
      ret = -ENOMEM;
      clear_tsk_thread_flag(target, TIF_SVE);
      target.thread.fp_type = FP_STATE_FPSIMD;
      break out;
    }

    // Seed the buffer with the current V values; SVE is enabled even for the streaming view.
    fpsimd_sync_to_sve(target);
    set_tsk_thread_flag(target, TIF_SVE);
    target.thread.fp_type = FP_STATE_SVE;

    start = SVE_PT_SVE_OFFSET;
    end = SVE_PT_SVE_FFR_OFFSET(vq) + SVE_PT_SVE_FFR_SIZE(vq);
    const sst = target.thread.sve_state;
    ret = user_regset_copyin(
      io,
      [kf(0, SVE_SIG_REGS_SIZE(vq), 'sve', (img) => image_to_sve_state(sst, img, vq), vq)],
      start,
      end,
    );
    yield* point('sve_set_common:after register copyin');
    if (ret) break out;

    start = end;
    end = SVE_PT_SVE_FPSR_OFFSET(vq);
    user_regset_copyin_ignore(io, start, end);

    // FPSR and FPCR go to the thread's FPSIMD copy, where they are kept together.
    start = end;
    end = SVE_PT_SVE_FPCR_OFFSET(vq) + SVE_PT_SVE_FPCR_SIZE;
    const st = target.thread.uw.fpsimd_state;
    ret = user_regset_copyin(io, [kf(0, 8, 'fpsr', (v) => (st.fpsr = v))], start, end);
  }

  fpsimd_flush_task_state(target);
  return ret;
}

// arch/arm64/kernel/ptrace.c: sve_set (v6.4)
export function* sve_set(
  target: task_struct,
  regset: user_regset,
  pos: number,
  count: number,
  kbuf: null,
  ubuf: user_buf,
): KernelPath<number> {
  if (!system_supports_sve()) return -EINVAL;

  return yield* sve_set_common(target, regset, pos, count, kbuf, ubuf, ARM64_VEC_SVE);
}

// arch/arm64/kernel/ptrace.c: ssve_get (v6.4)
export function ssve_get(target: task_struct, regset: user_regset, to: membuf): number {
  if (!system_supports_sme()) return -EINVAL;

  return sve_get_common(target, regset, to, ARM64_VEC_SME);
}

// arch/arm64/kernel/ptrace.c: ssve_set (v6.4)
export function* ssve_set(
  target: task_struct,
  regset: user_regset,
  pos: number,
  count: number,
  kbuf: null,
  ubuf: user_buf,
): KernelPath<number> {
  if (!system_supports_sme()) return -EINVAL;

  return yield* sve_set_common(target, regset, pos, count, kbuf, ubuf, ARM64_VEC_SME);
}

// arch/arm64/kernel/ptrace.c: za_get (v6.4)
// Header (VL, inherit flag, size with or without data), then ZA from sme_state while ZA is on,
// then zero padding. max_size here is computed from the task's current VL.
export function za_get(target: task_struct, _regset: user_regset, to: membuf): number {
  const header: RegsetHeader = { size: 0, max_size: 0, vl: 0, max_vl: 0, flags: 0 };
  let start: number;
  let end: number;

  if (!system_supports_sme()) return -EINVAL;

  if (test_tsk_thread_flag(target, TIF_SME_VL_INHERIT)) header.flags |= ZA_PT_VL_INHERIT;

  header.vl = task_get_sme_vl(target);
  const vq = sve_vq_from_vl(header.vl);
  header.max_vl = sme_max_vl();
  header.max_size = ZA_PT_SIZE(vq);

  // With ZA off the regset is only the header.
  if (thread_za_enabled(target.thread)) header.size = ZA_PT_SIZE(vq);
  else header.size = ZA_PT_ZA_OFFSET;

  membuf_write(to, 'header', header, sizeof_user_za_header);

  end = ZA_PT_ZA_OFFSET;

  if (target === current()) fpsimd_preserve_current_state();

  if (thread_za_enabled(target.thread)) {
    start = end;
    end = ZA_PT_SIZE(vq);
    membuf_write(to, 'za', sme_state_to_image(target.thread.sme_state, vq), end - start);
  }

  start = end;
  end = round_up(header.size, SVE_VQ_BYTES);
  return membuf_zero(to, end - start);
}

// arch/arm64/kernel/ptrace.c: za_set (v6.4)
// The header sets the SME VL. Streaming mode needs an SVE buffer, so one is made if missing; the
// ZA buffer is (re)allocated zeroed. No data turns ZA off; data must match the VL set and turns
// SME and ZA on. The task's state is detached from any CPU at the end in every case.
export function* za_set(
  target: task_struct,
  _regset: user_regset,
  pos: number,
  count: number,
  _kbuf: null,
  ubuf: user_buf,
): KernelPath<number> {
  let ret: number;
  const header: RegsetHeader = { size: 0, max_size: 0, vl: 0, max_vl: 0, flags: 0 };
  let vq: number;
  let start: number;
  let end: number;
  const io = regset_io_of(pos, count, ubuf);

  if (!system_supports_sme()) return -EINVAL;

  if (io.count < sizeof_user_za_header) return -EINVAL;

  out: {
    ret = user_regset_copyin(
      io,
      [kf(0, sizeof_user_za_header, 'header', (v) => Object.assign(header, v))],
      0,
      sizeof_user_za_header,
    );
    yield* point('za_set:after header copyin');
    if (ret) break out;

    // Every ZA_PT_* flag is a VL-setting flag.
    ret = yield* vec_set_vector_length(target, ARM64_VEC_SME, header.vl, header.flags << 16);
    if (ret) break out;

    vq = sve_vq_from_vl(task_get_sme_vl(target));

    if (!target.thread.sve_state) {
      sve_alloc(target, false);
      yield* point('za_set:after sve_alloc');
      if (!target.thread.sve_state) {
        ret = -ENOMEM;
        break out;
      }
    }

    sme_alloc(target);
    yield* point('za_set:after sme_alloc');
    if (!target.thread.sme_state) {
      ret = -ENOMEM;
      break out;
    }

    if (!io.count) {
      target.thread.svcr &= ~SVCR_ZA_MASK;
      break out;
    }

    if (vq !== sve_vq_from_vl(header.vl)) {
      ret = -EIO;
      break out;
    }

    start = ZA_PT_ZA_OFFSET;
    end = ZA_PT_SIZE(vq);
    const sst = target.thread.sme_state;
    ret = user_regset_copyin(
      io,
      [kf(0, ZA_PT_ZA_SIZE(vq), 'za', (img) => image_to_sme_state(sst, img, vq), vq)],
      start,
      end,
    );
    yield* point('za_set:after register copyin');
    if (ret) break out;

    set_tsk_thread_flag(target, TIF_SME);
    target.thread.svcr |= SVCR_ZA_MASK;
  }

  fpsimd_flush_task_state(target);
  return ret;
}

// arch/arm64/kernel/ptrace.c: zt_get (v6.4)
// ZT0 while ZA is on; zero otherwise, since enabling ZA zeroes ZT0.
export function zt_get(target: task_struct, _regset: user_regset, to: membuf): number {
  if (!system_supports_sme2()) return -EINVAL;

  if (thread_za_enabled(target.thread))
    membuf_write(to, 'zt', zt_state_of(target.thread).zt0, ZT_SIG_REG_BYTES);
  else membuf_zero(to, ZT_SIG_REG_BYTES);

  return 0;
}

// arch/arm64/kernel/ptrace.c: zt_set (v6.4)
// Writing ZT0 turns ZA on (with ZA zeroed, via a fresh sme_state, if it was off). Unlike the other
// setters this one does not detach the task's state from the CPU it last ran on.
export function* zt_set(
  target: task_struct,
  _regset: user_regset,
  pos: number,
  count: number,
  _kbuf: null,
  ubuf: user_buf,
): KernelPath<number> {
  if (!system_supports_sme2()) return -EINVAL;

  if (!thread_za_enabled(target.thread)) {
    sme_alloc(target);
    yield* point('zt_set:after sme_alloc');
    if (!target.thread.sme_state) return -ENOMEM;
  }

  const sst = zt_state_of(target.thread);
  const ret = user_regset_copyin(
    regset_io_of(pos, count, ubuf),
    [kf(0, ZT_SIG_REG_BYTES, 'zt', (v) => (sst.zt0 = v))],
    0,
    ZT_SIG_REG_BYTES,
  );
  yield* point('zt_set:after copyin');
  if (ret === 0) target.thread.svcr |= SVCR_ZA_MASK;

  return ret;
}

// ---------------------------------------------------------------------------------------------
// The FP entries of aarch64_regsets[] and the generic PTRACE_{GET,SET}REGSET path.

/** A tracer's buffer: user memory and the address of its first byte. */
export interface user_buf {
  mm: UserMemory;
  addr: number;
}

function regset_io_of(pos: number, count: number, ubuf: user_buf): regset_io {
  return { pos, count, ubuf: { mm: ubuf.mm, addr: ubuf.addr } };
}

interface fp_regset extends user_regset {
  active?: (target: task_struct, regset: user_regset) => number;
  regset_get: (target: task_struct, regset: user_regset, to: membuf) => number;
  set: (
    target: task_struct,
    regset: user_regset,
    pos: number,
    count: number,
    kbuf: null,
    ubuf: user_buf,
  ) => number | KernelPath<number>;
}

/** The FP register sets of aarch64_regsets[] (arch/arm64/kernel/ptrace.c), by note type. */
export const aarch64_fp_regsets: fp_regset[] = [
  // FPSR and FPCR are 32 bits wide, so the regset counts 32-bit words.
  {
    core_note_type: NT_PRFPREG,
    n: sizeof_user_fpsimd_state / 4,
    size: 4,
    align: 4,
    active: fpr_active,
    regset_get: fpr_get,
    set: fpr_set,
  },
  { core_note_type: NT_ARM_TLS, n: 2, size: 8, align: 8, regset_get: tls_get, set: tls_set },
  {
    core_note_type: NT_ARM_SVE,
    n: DIV_ROUND_UP(SVE_PT_SIZE(SVE_VQ_MAX, SVE_PT_REGS_SVE), SVE_VQ_BYTES),
    size: SVE_VQ_BYTES,
    align: SVE_VQ_BYTES,
    regset_get: sve_get,
    set: sve_set,
  },
  {
    core_note_type: NT_ARM_SSVE,
    n: DIV_ROUND_UP(SVE_PT_SIZE(SME_VQ_MAX, SVE_PT_REGS_SVE), SVE_VQ_BYTES),
    size: SVE_VQ_BYTES,
    align: SVE_VQ_BYTES,
    regset_get: ssve_get,
    set: ssve_set,
  },
  // ZA is one variably sized register; the core wants whole "registers", so it counts 16 bytes.
  {
    core_note_type: NT_ARM_ZA,
    n: DIV_ROUND_UP(ZA_PT_SIZE(SME_VQ_MAX), SVE_VQ_BYTES),
    size: SVE_VQ_BYTES,
    align: SVE_VQ_BYTES,
    regset_get: za_get,
    set: za_set,
  },
  { core_note_type: NT_ARM_ZT, n: 1, size: ZT_SIG_REG_BYTES, align: 8, regset_get: zt_get, set: zt_set },
];

function* as_path(r: number | KernelPath<number>): KernelPath<number> {
  if (typeof r === 'number') return r;
  return yield* r;
}

// kernel/regset.c: __regset_get (v6.4)
// The read goes into a zeroed kernel buffer of at most the regset's full size; the result is how
// many bytes of it were produced, or an error.
export function __regset_get(
  target: task_struct,
  regset: fp_regset,
  size: number,
  data: { buf: UserMemory | null },
): number {
  let p = data.buf;

  if (size > regset.n * regset.size) size = regset.n * regset.size;
  if (!p) p = newUserMemory();
  const res = regset.regset_get(target, regset, { mm: p, off: 0, left: size });
  if (res < 0) return res;
  data.buf = p;
  return size - res;
}

// kernel/regset.c: regset_get_alloc (v6.4)
export function regset_get_alloc(
  target: task_struct,
  regset: fp_regset,
  size: number,
  data: { buf: UserMemory | null },
): number {
  data.buf = null;
  return __regset_get(target, regset, size, data);
}

// include/linux/regset.h: copy_regset_to_user (v6.4)
// The whole requested size is copied out, including the zeroed part the regset did not write.
export function copy_regset_to_user(
  target: task_struct,
  regset: fp_regset,
  _offset: number,
  size: number,
  data: user_buf,
): number {
  const out: { buf: UserMemory | null } = { buf: null };
  let ret = regset_get_alloc(target, regset, size, out);
  if (ret > 0) ret = copy_buffer_to_user(out.buf!, size, data) ? 0 : -EFAULT;
  return ret;
}

/** copy_to_user of a regset buffer into the tracer's memory; false when it faults. */
function copy_buffer_to_user(buf: UserMemory, size: number, data: user_buf): boolean {
  if (userFaults(data.mm, data.addr, size)) return false;
  zeroFill(data.mm, data.addr, size);
  for (const c of buf.chunks)
    if (c.off < size) userStore(data.mm, data.addr + c.off, Math.min(c.len, size - c.off), c.kind, c.v);
  return true;
}

// include/linux/regset.h: copy_regset_from_user (v6.4)
export function* copy_regset_from_user(
  target: task_struct,
  regset: fp_regset,
  offset: number,
  size: number,
  data: user_buf,
): KernelPath<number> {
  if (!userAccessOk(data.mm, data.addr, size)) return -EFAULT;

  return yield* as_path(regset.set(target, regset, offset, size, null, data));
}

// kernel/ptrace.c: ptrace_regset (v6.4)
// The length must be a whole number of the regset's units and is capped at the regset's size; on
// return it says how much was transferred (the caller writes it back to the tracer's iovec).
export function* ptrace_regset(
  task: task_struct,
  req: number,
  type: number,
  kiov: { iov: user_buf; iov_len: number },
): KernelPath<number> {
  const regset = aarch64_fp_regsets.find((r) => r.core_note_type === type);

  if (!regset || kiov.iov_len % regset.size !== 0) return -EINVAL;

  kiov.iov_len = Math.min(kiov.iov_len, regset.n * regset.size);

  if (req === PTRACE_GETREGSET) return copy_regset_to_user(task, regset, 0, kiov.iov_len, kiov.iov);
  else return yield* copy_regset_from_user(task, regset, 0, kiov.iov_len, kiov.iov);
}
