// Helpers for the tests of the syscall, signal, ptrace and process ports (a test helper, not a
// kernel file), on top of the shared test world of testing.ts: put a user task in user space with
// live register state of a given shape, switch tasks the way the scheduler does, run a syscall
// entry, and read a signal frame back out of user memory.

import { type Banks, type Cpu, symbolic, type Val } from '@kvmfp/machine';
import { onCpu, setCurrent, type TestWorld } from './testing.js';
import { type ChunkKind, type ChunkValues, peek, type UserMemory } from './user-memory.js';
import {
  __switch_to,
  fp_user_discard,
  fpsimd_restore_current_state,
  FP_STATE_FPSIMD,
  FP_STATE_SVE,
  EXTRA_MAGIC,
  NO_SYSCALL,
  offsetof_sigframe_reserved,
  type sig_pt_regs,
  SIGFRAME_FIELDS,
  sizeof_sigcontext_reserved,
  sme_alloc,
  sve_alloc,
  type task_struct,
  TIF_FOREIGN_FPSTATE,
  TIF_SME,
  TIF_SVE,
} from './index.js';
import { SVCR_SM_MASK, SVCR_ZA_MASK, SYS_TPIDR2_EL0, write_sysreg_s } from '@kvmfp/sysreg';

export { symbolic, type Val };

export const setFlag = (t: task_struct, flag: number, on: boolean): void => {
  if (on) t.flags |= 1 << flag;
  else t.flags &= ~(1 << flag);
};
export const hasFlag = (t: task_struct, flag: number): boolean => (t.flags & (1 << flag)) !== 0;

export interface UserShape {
  /** The task uses SVE (TIF_SVE, SVE-format saves). */
  sve?: boolean;
  /** Streaming mode is on. */
  sm?: boolean;
  /** ZA is on. */
  za?: boolean;
  /** Values the task then writes into its live registers. */
  values?: Partial<Banks>;
  tpidr2?: Val;
}

/** The user registers of a task that entered the kernel by an exception (not a syscall). */
export function userRegs(sp = 0x40_0000): sig_pt_regs {
  return { syscallno: NO_SYSCALL, regs: Array.from({ length: 31 }, () => 0), sp, pc: 0x1000 };
}

/**
 * Puts `task` in user space on `cpu` with its register state live and of the given shape: the
 * flags and buffers the access traps would have set up, the state loaded by the port's own
 * return-to-user restore, then the values written into the registers as user code would.
 */
export function enterUser(w: TestWorld, task: task_struct, cpu: number, shape: UserShape = {}): Cpu {
  setCurrent(w, task, cpu);
  if (!('sp' in task.regs)) task.regs = userRegs();
  if (shape.sve || shape.sm || shape.za) sve_alloc(task, true);
  if (shape.sve) {
    setFlag(task, TIF_SVE, true);
    task.thread.fp_type = FP_STATE_SVE;
  }
  if (shape.sm || shape.za) {
    sme_alloc(task);
    setFlag(task, TIF_SME, true);
    task.thread.svcr = (shape.sm ? SVCR_SM_MASK : 0) | (shape.za ? SVCR_ZA_MASK : 0);
    if (shape.sm) task.thread.fp_type = FP_STATE_SVE;
  }
  if (!shape.sve && !shape.sm) task.thread.fp_type = FP_STATE_FPSIMD;
  setFlag(task, TIF_FOREIGN_FPSTATE, true);
  fpsimd_restore_current_state();
  const c = w.machine.cpus[cpu];
  Object.assign(c.regs, shape.values ?? {});
  if (shape.tpidr2 !== undefined) write_sysreg_s(shape.tpidr2, SYS_TPIDR2_EL0);
  return c;
}

/** What a user task on `cpu` would read from its registers now. */
export function liveRegs(w: TestWorld, cpu: number): Banks & { svcr: number; tpidr2: number } {
  const c = w.machine.cpus[cpu];
  return { ...c.regs, svcr: c.sys.svcr, tpidr2: c.sys.tpidr2_el0 };
}

/** A context switch on `cpu` from its current task to `next`, with preemption off as in schedule(). */
export function switchTo(w: TestWorld, cpu: number, next: task_struct): void {
  onCpu(w, cpu);
  const p = w.kernel.percpu[cpu];
  next.cpu = cpu;
  p.preempt_count++;
  __switch_to(p.current, next);
  p.preempt_count--;
}

/** The way back to user space: the FP restore of the return-to-user work. */
export function returnToUser(w: TestWorld, cpu: number): void {
  onCpu(w, cpu);
  fpsimd_restore_current_state();
}

/** An SVC from user space: the entry discard, then the saved registers say "in syscall nr". */
export function syscallEntry(w: TestWorld, cpu: number, nr: number): void {
  onCpu(w, cpu);
  fp_user_discard();
  w.kernel.percpu[cpu].current.regs.syscallno = nr;
}

export interface FrameRecord {
  addr: number;
  magic: number;
  size: number;
}

/** The records of a signal frame at `sf`, in order, following an extra_context record if any. */
export function frameRecords(mm: UserMemory, sf: number): FrameRecord[] {
  const out: FrameRecord[] = [];
  let base = sf + offsetof_sigframe_reserved;
  let off = 0;
  let limit = sizeof_sigcontext_reserved;
  for (let guard = 0; guard < 64 && off + 8 <= limit; guard++) {
    const addr = base + off;
    const magic = peek(mm, addr, 4, 'num');
    const size = peek(mm, addr + 4, 4, 'num');
    out.push({ addr, magic, size });
    if (magic === 0) break;
    if (magic === EXTRA_MAGIC) {
      base = peek(mm, addr + SIGFRAME_FIELDS.extra_datap.off, 8, 'num');
      limit = peek(mm, addr + SIGFRAME_FIELDS.extra_size.off, 4, 'num');
      off = 0;
      continue;
    }
    off += size;
  }
  return out;
}

/** The record with `magic` in the frame at `sf`. */
export function frameRecord(mm: UserMemory, sf: number, magic: number): FrameRecord {
  const r = frameRecords(mm, sf).find((x) => x.magic === magic);
  if (!r) throw new Error(`no record ${magic.toString(16)} in the frame`);
  return r;
}

/** A field of a record (SIGFRAME_FIELDS gives offsets, lengths and kinds). */
export function recordField<K extends ChunkKind>(
  mm: UserMemory,
  rec: FrameRecord,
  field: { off: number; len: number; kind: K },
  vq = 0,
): ChunkValues[K] {
  return peek(mm, rec.addr + field.off, field.len, field.kind, vq);
}
