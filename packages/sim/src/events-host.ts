// The host events that reach the FP code outside the instruction traps: signals (delivery on the
// way back to user space, sigreturn), ptrace stops and the FP regsets, the vector-length prctls,
// fork and exec. Each enters the kernel the way a program does (a syscall goes through el0_svc,
// so its entry discard runs first; a signal sent to a running task arrives by an interrupt) and
// calls the ported functions through the revision's entry table. What the program may observe
// afterwards changes only through the named ABI rules of rules.ts.
//
// Parts of these kernel paths that hold no FP state (siginfo, the signal mask, the scheduler's
// choice, the pid allocator, the ELF loader) are the sim's: plain data here, kept small.

import {
  aarch64_fp_regsets,
  E,
  ESR_MAGIC,
  type KernelPath,
  type ksignal,
  newUserMemory,
  NO_SYSCALL,
  NT_ARM_SSVE,
  NT_ARM_SVE,
  NT_ARM_ZA,
  NT_ARM_ZT,
  NT_PRFPREG,
  peek,
  point,
  poke,
  PR_SVE_SET_VL_ONEXEC,
  PR_SVE_VL_INHERIT,
  PTRACE_GETREGSET,
  PTRACE_SETREGSET,
  TIF_FOREIGN_FPSTATE,
  type pt_regs,
  type RegsetHeader,
  SA_RESTORER,
  SA_SIGINFO,
  type sig_pt_regs,
  SIGFRAME_FIELDS,
  setForcedSignalSink,
  SIGKILL,
  SIGSEGV,
  sizeof_fpsimd_context,
  sizeof_sigcontext_reserved,
  sizeof_sve_context,
  sizeof_za_context,
  SVE_MAGIC,
  SVE_PT_FPSIMD_OFFSET,
  SVE_PT_REGS_FPSIMD,
  SVE_PT_REGS_MASK,
  SVE_PT_REGS_OFFSET,
  SVE_PT_REGS_SVE,
  SVE_PT_SIZE,
  SVE_PT_SVE_FPSR_OFFSET,
  SVE_PT_SVE_OFFSET,
  SVE_SIG_FLAG_SM,
  SVE_SIG_REGS_SIZE,
  sve_vq_from_vl,
  type task_struct,
  TIF_NEED_RESCHED,
  TIF_NOTIFY_SIGNAL,
  TIF_SIGPENDING,
  type UserMemory,
  ZA_MAGIC,
  ZA_PT_SIZE,
  ZA_PT_ZA_OFFSET,
  ZA_SIG_REGS_SIZE,
  ZT_MAGIC,
  zeroFill,
  EXTRA_MAGIC,
  FPSIMD_MAGIC,
  offsetof_sigframe_reserved,
} from '@kvmfp/fpsimd';
import { type Val, ZERO } from '@kvmfp/machine';
import { SVCR_SM_MASK, SVCR_ZA_MASK } from '@kvmfp/sysreg';
import {
  ARM_EXCEPTION_IRQ,
  checkView,
  contextSwitch,
  EventError,
  exitToUserMode,
  runningCpu,
  runTo,
  settle,
  syscall,
  user,
  violate,
} from './events.js';
import { RULES, signalGrant } from './rules.js';
import type { Runtime } from './runtime.js';
import { FRAME_EDITS, REGSETS, type FrameEdit, type Regset } from './scenario-schema.js';
import { setAllowed, type View } from './view.js';
import {
  cpuOfTask,
  inPtraceStop,
  newTask,
  nextValue,
  type SignalFrameState,
  taskOf,
  type UserProgram,
  type World,
} from './world.js';

export type RegsetData = 'regs' | 'fpsimd' | 'none';

export type HostEvent =
  | { do: 'signal'; task: string; sig?: number; to?: string }
  | { do: 'sigreturn'; task: string; edit?: FrameEdit; to?: string }
  | { do: 'ptrace_stop'; task: string }
  | { do: 'ptrace_cont'; task: string; syscall?: boolean; to?: string }
  | { do: 'ptrace_get'; tracer: string; task: string; regset: Regset; to?: string }
  | {
      do: 'ptrace_set';
      tracer: string;
      task: string;
      regset: Regset;
      data?: RegsetData;
      vl?: number;
      to?: string;
    }
  | {
      do: 'prctl';
      task: string;
      op: 'sve_set_vl' | 'sme_set_vl';
      vl: number;
      onexec?: boolean;
      inherit?: boolean;
      to?: string;
    }
  | { do: 'fork'; task: string; child: string; to?: string }
  | { do: 'exec'; task: string; to?: string };

export { FRAME_EDITS, REGSETS, type FrameEdit, type Regset };
/** Edits that always leave a frame the kernel must refuse (sve.rst and sme.rst section 5). */
const REJECTED_EDITS = new Set<FrameEdit>(['bad_magic', 'drop_fpsimd', 'wrong_vl', 'truncate']);

/** The invariants these events check, each with the reason it must hold. */
export const HOST_INVARIANTS = [
  {
    name: 'tracer-reads-target-registers',
    why: "a tracer reading a stopped task's FP regsets sees what the task itself could read, laid out as sve.rst section 7 and sme.rst section 7 say",
  },
  {
    name: 'signal-frame-holds-context',
    why: 'the frame a handler gets holds the interrupted registers (sve.rst section 4, sme.rst section 5), since sigreturn restores from it',
  },
  {
    name: 'sigreturn-rejects-bad-frame',
    why: 'a frame with a wrong vector length or without fpsimd_context must end in SIGSEGV (sve.rst and sme.rst section 5)',
  },
  {
    name: 'syscall-succeeds',
    why: 'a syscall with valid arguments on a configuration that supports it does not fail',
  },
] as const;

const SIGUSR1 = 10;
const HANDLER = 0x1_0000;
const RESTORER = 0x1_1000;
/** The user stack pointer a program starts with (16-byte aligned, far below the top). */
export const STACK_TOP = 0x7fff_0000;
/** Where a tracer keeps its regset buffer. */
export const TRACER_BUF = 0x4000_0000;

// ---------------------------------------------------------------------------------------------
// Glue: the runtime whose world the signal hook acts on, and the user registers of a task.

let hostRt: Runtime | null = null;

/** Called by applyEvent before every event: the return-to-user work below acts on this world. */
export function bindHostRuntime(rt: Runtime): void {
  hostRt = rt;
}

/** The task's saved user registers with the fields signal delivery uses (x0-x30, sp, pc). */
export function sigRegs(task: task_struct): sig_pt_regs {
  const r = task.regs as pt_regs & Partial<sig_pt_regs>;
  if (r.sp === undefined) {
    r.regs = new Array<number>(31).fill(0);
    r.sp = STACK_TOP;
    r.pc = 0x1000;
  }
  return r as sig_pt_regs;
}

function cloneView(v: View): View {
  return { slots: [...v.slots], sm: v.sm, za: v.za };
}

/** Nothing the program can observe is specified (it is about to take a fatal signal). */
function anyView(v: View): View {
  const out = cloneView(v);
  for (const b of ['V', 'Zhi', 'P', 'FFR', 'ZA', 'ZT0', 'FPSR'] as const) setAllowed(out, b, 'any');
  return out;
}

function setPending(task: task_struct): void {
  task.flags |= 1 << TIF_SIGPENDING;
}

function isIdle(w: World, cpu: number): boolean {
  return !w.kernel.percpu[cpu].current.mm;
}

/** An interrupt from user space (an IPI) whose only work is the return-to-user loop. */
function* el0Ipi(task: task_struct): KernelPath {
  task.regs.syscallno = NO_SYSCALL;
  yield* exitToUserMode(task);
}

// ---------------------------------------------------------------------------------------------
// Signal frames as the program sees them: its own memory, read with the uapi layout.

interface FrameRecords {
  fpsimd?: number;
  sve?: number;
  za?: number;
  zt?: number;
}

function num(mm: UserMemory, addr: number, len: number): number {
  return peek(mm, addr, len, 'num');
}

/** The FP records of the frame at `sf`, following an extra_context record if there is one. */
export function frameRecords(mm: UserMemory, sf: number): FrameRecords {
  const out: FrameRecords = {};
  let base = sf + offsetof_sigframe_reserved;
  let off = 0;
  let limit = sizeof_sigcontext_reserved;
  for (let guard = 0; guard < 64 && off + 8 <= limit; guard++) {
    const addr = base + off;
    const magic = num(mm, addr, 4);
    const size = num(mm, addr + 4, 4);
    if (magic === 0 || size < 8) break;
    if (magic === EXTRA_MAGIC) {
      base = num(mm, addr + SIGFRAME_FIELDS.extra_datap.off, 8);
      limit = num(mm, addr + SIGFRAME_FIELDS.extra_size.off, 4);
      off = 0;
      continue;
    }
    if (magic === FPSIMD_MAGIC) out.fpsimd ??= addr;
    if (magic === SVE_MAGIC) out.sve ??= addr;
    if (magic === ZA_MAGIC) out.za ??= addr;
    if (magic === ZT_MAGIC) out.zt ??= addr;
    off += size;
  }
  return out;
}

/** What the frame says about the registers sigreturn will restore. */
interface FrameShape {
  sveVq: number;
  sm: boolean;
  zaVq: number;
}

function frameShape(mm: UserMemory, r: FrameRecords): FrameShape {
  let sveVq = 0;
  let sm = false;
  let zaVq = 0;
  if (r.sve !== undefined) {
    const size = num(mm, r.sve + 4, 4);
    sm = (num(mm, r.sve + SIGFRAME_FIELDS.sve_flags.off, 2) & SVE_SIG_FLAG_SM) !== 0;
    if (size > sizeof_sve_context) sveVq = sve_vq_from_vl(num(mm, r.sve + SIGFRAME_FIELDS.sve_vl.off, 2));
  }
  if (r.za !== undefined && num(mm, r.za + 4, 4) > sizeof_za_context)
    zaVq = sve_vq_from_vl(num(mm, r.za + SIGFRAME_FIELDS.za_vl.off, 2));
  return { sveVq, sm, zaVq };
}

/** signal-frame-holds-context: the records the handler got against what the program could see. */
function checkFrame(w: World, u: UserProgram, sf: number, saved: View): void {
  const r = frameRecords(u.mm, sf);
  const who = `${u.name}'s signal frame`;
  const inv = 'signal-frame-holds-context';
  if (r.fpsimd === undefined) {
    violate(w, inv, `${who} has no fpsimd_context`);
    return;
  }
  const regs: Record<string, Val> = {
    V: peek(u.mm, r.fpsimd + SIGFRAME_FIELDS.fpsimd_vregs.off, 512, 'vregs'),
    FPSR: peek(u.mm, r.fpsimd + SIGFRAME_FIELDS.fpsimd_fpsr.off, 8, 'fpsr'),
  };
  const banks = ['V', 'FPSR'];
  const shape = frameShape(u.mm, r);
  if (r.sve !== undefined && shape.sm !== saved.sm)
    violate(w, inv, `${who}: SVE record SM flag ${+shape.sm}, the program had PSTATE.SM ${+saved.sm}`);
  if (shape.sveVq) {
    const f = SIGFRAME_FIELDS.sve_regs(shape.sveVq);
    const img = peek(u.mm, r.sve! + f.off, f.len, 'sve', shape.sveVq);
    Object.assign(regs, { Zlo: img.zlo, Zhi: img.zhi, P: img.p, FFR: img.ffr });
    banks.push('Zhi', 'P');
    if (!shape.sm || w.machine.config.features.fa64) banks.push('FFR');
    if (img.zlo !== regs.V)
      violate(w, inv, `${who}: sve_context Z low bits differ from fpsimd_context V0-V31`);
  } else if (saved.sm) {
    violate(w, inv, `${who}: no streaming register data for a program in streaming mode`);
  }
  if (r.za !== undefined && shape.zaVq > 0 !== saved.za)
    violate(
      w,
      inv,
      `${who}: ZA record ${shape.zaVq ? 'has' : 'lacks'} data, the program had PSTATE.ZA ${+saved.za}`,
    );
  if (shape.zaVq && saved.za) {
    const f = SIGFRAME_FIELDS.za_regs(shape.zaVq);
    regs.ZA = peek(u.mm, r.za! + f.off, f.len, 'za', shape.zaVq).za;
    banks.push('ZA');
  }
  if (r.zt !== undefined && saved.za) {
    const f = SIGFRAME_FIELDS.zt_regs(1);
    regs.ZT0 = peek(u.mm, r.zt + f.off, f.len, 'zt');
    banks.push('ZT0');
  }
  checkView(w, who, saved, banks, regs, inv);
}

// ---------------------------------------------------------------------------------------------
// Signals.

/**
 * A signal the kernel generates for a task (force_sig, force_signal_inject): queued like any other
 * and delivered on the way back to user space, where it runs the task's handler or, for SIGKILL,
 * ends the task. The instruction that trapped does not complete (no retry). What the ABI makes of
 * it is judged here, with the program's state when it ran the instruction (kernel-signal-granted).
 */
function forcedSignal(pid: number, sig: number, where: string): void {
  const w = hostRt?.world;
  const u = w?.users.find((x) => x.pid === pid);
  if (!w || !u) return;
  const op = u.retry?.op ?? null;
  u.retry = null;
  const granted = signalGrant({
    sig,
    where,
    op,
    features: w.machine.config.features,
    sm: u.view.sm,
    za: u.view.za,
  });
  u.kernelSignals.push({ sig, where, op, granted });
  u.signals.push(sig);
  u.pending.push(sig);
  setPending(taskOf(w, pid));
}

setForcedSignalSink(forcedSignal);

/**
 * The signal work of the return-to-user loop (do_signal: get_signal, then handle_signal). A task
 * in a ptrace stop stays at the point 'ptrace_stop:schedule' (off-CPU) until a tracer continues it; then
 * one queued signal is delivered: setup_rt_frame writes the frame into the task's memory and
 * points the task at its handler.
 */
export function* deliverSignal(task: task_struct): KernelPath<boolean> {
  const rt = hostRt;
  const u = rt?.world.users.find((x) => x.pid === task.pid);
  if (!rt || !u) {
    task.flags &= ~(1 << TIF_SIGPENDING);
    return false;
  }
  const w = rt.world;
  // get_signal: a tracer's stop request makes this a signal-delivery stop. do_signal has already
  // forgotten the syscall, so in_syscall() is false while the tracer works on the registers.
  if (u.stop === 'signal') {
    yield* point('ptrace_stop:schedule');
    checkContinued(task);
  }
  const sig = u.pending.shift();
  // recalc_sigpending: the flag stays while more signals are queued.
  if (!u.pending.length) task.flags &= ~(1 << TIF_SIGPENDING);
  if (sig === undefined) return false;
  // get_signal: SIGKILL has no handler; do_group_exit ends the task here and it never returns to
  // user space (the sim then takes it off its CPU).
  if (sig === SIGKILL) {
    u.mode = 'dead';
    u.pending = [];
    return true;
  }

  const regs = sigRegs(task);
  const sp = regs.sp;
  const saved = cloneView(u.view);
  const ksig: ksignal = {
    sig,
    ka: { sa: { sa_handler: HANDLER, sa_flags: SA_SIGINFO | SA_RESTORER, sa_restorer: RESTORER } },
  };
  const ret = yield* E.setup_rt_frame(sig, ksig, 0, regs, u.mm);
  // signal_setup_done: a frame that could not be written is a SIGSEGV for the task.
  if (ret) {
    u.signals.push(SIGSEGV);
    violate(
      w,
      'no-unexpected-user-signal',
      `${u.name}: the frame for signal ${sig} could not be written (SIGSEGV)`,
    );
    return false;
  }
  const frame: SignalFrameState = { sig, sp, frame: regs.sp, view: saved };
  u.frames.push(frame);
  checkFrame(w, u, regs.sp, saved);
  if (saved.sm) RULES.signalHandlerLeavesStreaming.apply(u.view);
  RULES.signalHandlerEntry.apply(u.view);
  return false;
}

/**
 * A signal with a handler is queued for a task. A task running in user space is interrupted (the
 * IPI of signal_wake_up) and takes the signal on its way back; one running a guest is kicked out
 * of it as `kick` does; any other takes it at its next return to user space.
 */
function signalEvent(rt: Runtime, u: UserProgram, sig: number, to: string | undefined): void {
  const w = rt.world;
  if (u.mode === 'unborn' || u.mode === 'dead' || u.mode === 'forking')
    throw new EventError(`task '${u.name}' does not exist`);
  const task = taskOf(w, u.pid);
  u.pending.push(sig);
  setPending(task);
  if (inPtraceStop(w, u)) return;
  const cpu = cpuOfTask(w, u.pid);
  if (cpu < 0) return;
  if (u.kpath?.startsWith('guest:')) {
    settle(rt, u, cpu, runTo(rt, u.pid, cpu, rt.resume(u.pid, cpu, ARM_EXCEPTION_IRQ), to));
  } else if (u.mode === 'user') {
    settle(rt, u, cpu, runTo(rt, u.pid, cpu, rt.start(u.pid, cpu, el0Ipi(task), 'el0_ipi'), to));
  }
}

/** What a frame edit changed, for the view sigreturn leads to, and whether the ABI refuses it. */
interface EditResult {
  vregs?: Val;
  zaVal?: Val;
  ztVal?: Val;
  /** The ZT record was removed: ZT0 comes back unspecified. */
  ztDropped?: boolean;
  /** sve.rst / sme.rst section 5 make the kernel refuse the edited frame (SIGSEGV). */
  refuse: boolean;
}

/** Turns a record into one sigreturn skips (an esr_context): the frame no longer has it. */
function dropRecord(mm: UserMemory, addr: number): void {
  poke(mm, addr, 4, 'num', ESR_MAGIC);
}

/**
 * The handler changes its own frame before returning, as the ABI lets it (new V, ZA or ZT0 data,
 * records removed, the streaming flag switched) or in ways the kernel must refuse.
 */
function editFrame(u: UserProgram, task: task_struct, sf: number, edit: FrameEdit): EditResult {
  const r = frameRecords(u.mm, sf);
  const mm = u.mm;
  const need = (addr: number | undefined, what: string): number => {
    if (addr === undefined) throw new EventError(`${u.name}'s frame has no ${what} record to edit`);
    return addr;
  };
  const refuse = REJECTED_EDITS.has(edit);
  switch (edit) {
    case 'bad_magic':
      poke(mm, need(r.fpsimd, 'fpsimd'), 4, 'num', 0x0bad0bad);
      return { refuse };
    case 'drop_fpsimd':
      dropRecord(mm, need(r.fpsimd, 'fpsimd'));
      return { refuse };
    case 'wrong_vl': {
      const at = need(r.sve, 'SVE') + SIGFRAME_FIELDS.sve_vl.off;
      poke(mm, at, 2, 'num', num(mm, at, 2) + 16);
      return { refuse };
    }
    case 'truncate':
      poke(mm, need(r.fpsimd, 'fpsimd') + 4, 4, 'num', sizeof_fpsimd_context - 16);
      return { refuse };
    case 'set_v': {
      const v = nextValue(u);
      poke(mm, need(r.fpsimd, 'fpsimd') + SIGFRAME_FIELDS.fpsimd_vregs.off, 512, 'vregs', v);
      return { vregs: v, refuse };
    }
    case 'set_za': {
      const vq = frameShape(mm, r).zaVq;
      if (!vq) throw new EventError(`${u.name}'s frame has no ZA data to edit`);
      const v = nextValue(u);
      poke(mm, r.za! + SIGFRAME_FIELDS.za_regs(vq).off, ZA_SIG_REGS_SIZE(vq), 'za', { vq, za: v });
      return { zaVal: v, refuse };
    }
    case 'drop_sve':
      // sve.rst section 5: without sve_context the SVE bits become non-live and unspecified.
      dropRecord(mm, need(r.sve, 'SVE'));
      return { refuse };
    case 'toggle_sm':
      return toggleStreaming(u, task, r);
    case 'drop_za':
      // sme.rst section 5: no za_context turns ZA off; a ZT record with PSTATE.ZA 0 is illegal.
      dropRecord(mm, need(r.za, 'ZA'));
      return { refuse: r.zt !== undefined };
    case 'drop_zt':
      dropRecord(mm, need(r.zt, 'ZT'));
      return { ztDropped: true, refuse };
    case 'set_zt': {
      const v = nextValue(u);
      poke(mm, need(r.zt, 'ZT') + SIGFRAME_FIELDS.zt_regs(1).off, 64, 'zt', v);
      return { ztVal: v, refuse };
    }
  }
}

/**
 * sve.rst section 5: the handler may enter or leave streaming mode at sigreturn by switching
 * SVE_SIG_FLAG_SM, but the record's vector length must be the task's length for the new mode (and
 * streaming mode needs SME), or the frame is illegal.
 */
function toggleStreaming(u: UserProgram, task: task_struct, r: FrameRecords): EditResult {
  const mm = u.mm;
  const at = r.sve;
  if (at === undefined || frameShape(mm, r).sveVq === 0)
    throw new EventError(`${u.name}'s frame has no SVE register data to switch`);
  const flags = num(mm, at + SIGFRAME_FIELDS.sve_flags.off, 2);
  const toSm = (flags & SVE_SIG_FLAG_SM) === 0;
  poke(mm, at + SIGFRAME_FIELDS.sve_flags.off, 2, 'num', flags ^ SVE_SIG_FLAG_SM);
  const vl = num(mm, at + SIGFRAME_FIELDS.sve_vl.off, 2);
  const smeOk = !toSm || hostRt!.world.machine.config.features.sme;
  return { refuse: !smeOk || vl !== task.thread.vl[toSm ? 1 : 0] };
}

/**
 * The handler returns: rt_sigreturn is a syscall (its entry discard runs first). On success the
 * registers are the frame's; a frame the kernel refuses raises SIGSEGV, which the task takes (to
 * its handler) on the way back.
 */
function sigreturnEvent(
  rt: Runtime,
  u: UserProgram,
  edit: FrameEdit | undefined,
  to: string | undefined,
): void {
  const w = rt.world;
  const fr = u.frames[u.frames.length - 1];
  if (!fr) throw new EventError(`task '${u.name}' is not in a signal handler`);
  if (u.mode !== 'user') throw new EventError(`task '${u.name}' is not in user space`);
  runningCpu(w, u);
  const task = taskOf(w, u.pid);
  const { refuse, ...written } = edit ? editFrame(u, task, fr.frame, edit) : { refuse: false };
  const shape = frameShape(u.mm, frameRecords(u.mm, fr.frame));
  syscall(
    rt,
    u,
    function* () {
      const regs = sigRegs(task);
      const before = w.kernel.findings.length;
      yield* E.sys_rt_sigreturn(regs, u.mm);
      const segv = w.kernel.findings
        .slice(before)
        .some((f) => f.kind === 'signal' && f.pid === u.pid && f.detail === `signal ${SIGSEGV}`);
      u.frames.pop();
      const refused = refuse;
      if (!segv) {
        // The general registers come back from the frame too (the port leaves them out): the
        // stack pointer is the one the signal interrupted.
        regs.sp = fr.sp;
        RULES.sigreturnRestores.apply(u.view, {
          saved: fr.view,
          sveData: shape.sveVq > 0,
          sm: shape.sm,
          za: shape.zaVq > 0,
          ...written,
        });
        if (refused)
          violate(
            w,
            'sigreturn-rejects-bad-frame',
            `${u.name}: sigreturn accepted a frame with edit ${edit}`,
          );
        return;
      }
      if (!refused)
        violate(
          w,
          'no-unexpected-user-signal',
          `${u.name}: sigreturn raised SIGSEGV on a frame it should accept`,
        );
      // Whatever the failed restore left is not specified, PSTATE.SM and PSTATE.ZA included (a
      // refused frame may have been restored in part): the program takes them as the kernel left
      // them. The SIGSEGV that force_sig queued (forcedSignal above) goes to the handler next.
      // While the task's registers are live on its CPU (TIF_FOREIGN_FPSTATE clear) thread.svcr
      // is stale (only a save refreshes it: an SMSTART that did not trap left it behind), so the
      // CPU's SVCR is what the task has; otherwise the saved one is what it will get.
      const live = (task.flags & (1 << TIF_FOREIGN_FPSTATE)) === 0;
      const svcr = live ? w.machine.cpus[runningCpu(w, u)].sys.svcr : task.thread.svcr;
      u.view = anyView(u.view);
      u.view.sm = (svcr & SVCR_SM_MASK) !== 0;
      u.view.za = (svcr & SVCR_ZA_MASK) !== 0;
    },
    to,
    `sigreturn:${JSON.stringify(edit ?? null)}`,
  );
}

// ---------------------------------------------------------------------------------------------
// ptrace.

/**
 * The tracer stops the target (PTRACE_INTERRUPT or SIGSTOP): a signal-delivery stop. A target
 * running in user space is interrupted and stops in its signal work (get_signal) at once; one
 * inside the kernel (at a preemption point, e.g. in a syscall) stops there on its way back to
 * user space, after do_signal's forget_syscall. ptrace_stop then calls schedule(): the next
 * runnable task runs on its CPU (or the idle task). A stopped task is off every CPU, which is
 * when the kernel lets a tracer at its registers.
 */
function ptraceStop(rt: Runtime, u: UserProgram): void {
  const w = rt.world;
  if (u.stop !== 'none') throw new EventError(`task '${u.name}' is already stopped`);
  const task = taskOf(w, u.pid);
  if (u.mode === 'kernel' && !u.kpath?.startsWith('guest:')) {
    u.stop = 'signal';
    setPending(task);
    return;
  }
  if (u.mode !== 'user') throw new EventError(`task '${u.name}' is not in user space or at a kernel point`);
  const cpu = runningCpu(w, u);
  u.stop = 'signal';
  setPending(task);
  const stop = runTo(rt, u.pid, cpu, rt.start(u.pid, cpu, el0Ipi(task), 'el0_ipi'), undefined);
  settle(rt, u, cpu, stop);
  if (stop.kind !== 'point') u.stop = 'none';
}

/**
 * PTRACE_CONT, or PTRACE_SYSCALL with `syscall` (ptrace_resume, kernel/ptrace.c): the request sets
 * or clears the target's TIF_SYSCALL_TRACE, then wakes it. An idle CPU (its own first) takes it at
 * once and it runs on from its stop; otherwise it waits in the run queue.
 */
function ptraceCont(rt: Runtime, u: UserProgram, syscallTrace: boolean, to: string | undefined): void {
  const w = rt.world;
  if (!inPtraceStop(w, u)) throw new EventError(`task '${u.name}' is not in a ptrace stop`);
  if (u.frozen) throw new EventError(`a tracer is accessing '${u.name}'`);
  u.stop = 'none';
  const task = taskOf(w, u.pid);
  if (syscallTrace) task.flags |= 1 << TIF_SYSCALL_TRACE;
  else task.flags &= ~(1 << TIF_SYSCALL_TRACE);
  const cpus = w.kernel.percpu.map((_, i) => i).filter((i) => isIdle(w, i));
  const cpu = cpus.includes(task.cpu) ? task.cpu : (cpus[0] ?? -1);
  if (cpu < 0) {
    w.runq.push(u.pid);
    return;
  }
  if (!contextSwitch(rt, cpu, undefined, task)) return;
  settle(rt, u, cpu, runTo(rt, u.pid, cpu, rt.resume(u.pid, cpu, undefined), to));
}

/** TIF_SYSCALL_TRACE (arch/arm64/include/asm/thread_info.h, v6.4): PTRACE_SYSCALL is in force. */
export const TIF_SYSCALL_TRACE = 8;

/**
 * syscall_trace_enter (arch/arm64/kernel/ptrace.c, v6.4), its PTRACE_SYSCALL part: with
 * TIF_SYSCALL_TRACE set, report_syscall stops the task before the syscall body runs, after the
 * entry discard and with in_syscall() true. Seccomp, tracepoints and audit hold no FP state.
 */
export function* syscallTraceEnter(task: task_struct): KernelPath {
  if (task.flags & (1 << TIF_SYSCALL_TRACE)) yield* reportSyscall(task, 'entry');
}

/** syscall_trace_exit (ptrace.c, v6.4): the exit stop, taken when TIF_SYSCALL_TRACE is set now. */
export function* syscallTraceExit(task: task_struct): KernelPath {
  if (task.flags & (1 << TIF_SYSCALL_TRACE)) yield* reportSyscall(task, 'exit');
}

/**
 * report_syscall -> ptrace_report_syscall_{entry,exit} -> ptrace_stop (v6.4): the task stops with
 * its registers still marked as a syscall's (the x7 marker the kernel swaps in is not FP state). It
 * stays at the point until a tracer continues it (ptraceCont).
 */
function* reportSyscall(task: task_struct, which: 'entry' | 'exit'): KernelPath {
  const u = hostRt?.world.users.find((x) => x.pid === task.pid);
  if (!u) return;
  u.stop = 'syscall';
  if (which === 'entry') yield* point('ptrace_stop:syscall entry');
  else yield* point('ptrace_stop:syscall exit');
  checkContinued(task);
}

/** Only a tracer's PTRACE_CONT/PTRACE_SYSCALL ends a stop; passing it otherwise is a model error. */
function checkContinued(task: task_struct): void {
  const u = hostRt?.world.users.find((x) => x.pid === task.pid);
  if (u && u.stop !== 'none') throw new Error(`${u.name} left its ptrace stop without being continued`);
}

const NOTE: Record<Regset, number> = {
  fpr: NT_PRFPREG,
  sve: NT_ARM_SVE,
  ssve: NT_ARM_SSVE,
  za: NT_ARM_ZA,
  zt: NT_ARM_ZT,
};

function regsetSupported(w: World, r: Regset): boolean {
  const f = w.machine.config.features;
  return r === 'fpr' ? f.fpsimd : r === 'sve' ? f.sve : r === 'zt' ? f.sme2 : f.sme;
}

function tracing(w: World, ev: { tracer: string; task: string; regset: Regset }) {
  const tracer = user(w, ev.tracer);
  const target = user(w, ev.task);
  if (tracer === target) throw new EventError(`a task cannot trace itself`);
  if (!inPtraceStop(w, target)) throw new EventError(`task '${target.name}' is not in a ptrace stop`);
  if (target.frozen) throw new EventError(`a tracer is already accessing '${target.name}'`);
  if (!regsetSupported(w, ev.regset)) throw new EventError(`the machine has no ${ev.regset} regset`);
  return { tracer, target, task: taskOf(w, target.pid) };
}

/** The whole regset: what a tracer asks for when it does not know the size. */
function regsetLen(note: number): number {
  const r = aarch64_fp_regsets.find((x) => x.core_note_type === note)!;
  return r.n * r.size;
}

/** The chunk value at exactly `addr`, or what the bytes there read as. */
function read<K extends 'vregs' | 'fpsr' | 'sve' | 'za' | 'zt' | 'header'>(
  mm: UserMemory,
  addr: number,
  len: number,
  kind: K,
  vq = 0,
) {
  return peek(mm, addr, len, kind, vq);
}

/** tracer-reads-target-registers: the tracer's buffer against the target's view. */
function checkRead(w: World, tracer: UserProgram, target: UserProgram, regset: Regset): void {
  const mm = tracer.mm;
  const b = TRACER_BUF;
  const inv = 'tracer-reads-target-registers';
  const who = `${tracer.name} (${regset} of ${target.name})`;
  const view = target.view;
  const regs: Record<string, Val> = {};
  switch (regset) {
    case 'fpr':
      regs.V = read(mm, b, 512, 'vregs');
      regs.FPSR = read(mm, b + 512, 8, 'fpsr');
      return checkView(w, who, view, ['V', 'FPSR'], regs, inv);
    case 'sve':
    case 'ssve': {
      const h = read(mm, b, 16, 'header');
      const active = (regset === 'ssve') === view.sm;
      const vq = sve_vq_from_vl(h.vl);
      if (!active) {
        if (h.size !== SVE_PT_REGS_OFFSET)
          violate(
            w,
            inv,
            `${who}: register data (size ${h.size}, flags ${h.flags}) for the mode the target is not in`,
          );
        return;
      }
      if ((h.flags & SVE_PT_REGS_MASK) === SVE_PT_REGS_SVE) {
        const img = read(mm, b + SVE_PT_SVE_OFFSET, SVE_SIG_REGS_SIZE(vq), 'sve', vq);
        Object.assign(regs, { V: img.zlo, Zhi: img.zhi, P: img.p, FFR: img.ffr });
        regs.FPSR = read(mm, b + SVE_PT_SVE_FPSR_OFFSET(vq), 8, 'fpsr');
        const banks = ['V', 'Zhi', 'P', 'FPSR'];
        if (!view.sm || w.machine.config.features.fa64) banks.push('FFR');
        return checkView(w, who, view, banks, regs, inv);
      }
      if (regset === 'ssve') violate(w, inv, `${who}: NT_ARM_SSVE read gives the FPSIMD layout`);
      regs.V = read(mm, b + SVE_PT_FPSIMD_OFFSET, 512, 'vregs');
      regs.FPSR = read(mm, b + SVE_PT_FPSIMD_OFFSET + 512, 8, 'fpsr');
      return checkView(w, who, view, ['V', 'FPSR'], regs, inv);
    }
    case 'za': {
      const h = read(mm, b, 16, 'header');
      const vq = sve_vq_from_vl(h.vl);
      const hasData = h.size > ZA_PT_ZA_OFFSET;
      if (hasData !== view.za)
        violate(
          w,
          inv,
          `${who}: ZA ${hasData ? 'data' : 'header only'} while the target has PSTATE.ZA ${+view.za}`,
        );
      if (!hasData || !view.za) return;
      regs.ZA = read(mm, b + ZA_PT_ZA_OFFSET, ZA_SIG_REGS_SIZE(vq), 'za', vq).za;
      return checkView(w, who, view, ['ZA'], regs, inv);
    }
    case 'zt':
      regs.ZT0 = read(mm, b, 64, 'zt');
      if (!view.za) {
        if (regs.ZT0 !== ZERO) violate(w, inv, `${who}: ZT0 reads non-zero while the target has PSTATE.ZA 0`);
        return;
      }
      return checkView(w, who, view, ['ZT0'], regs, inv);
  }
}

function ptraceGet(rt: Runtime, ev: { tracer: string; task: string; regset: Regset; to?: string }): void {
  const w = rt.world;
  const { tracer, target, task } = tracing(w, ev);
  runningCpu(w, tracer);
  if (tracer.mode !== 'user') throw new EventError(`task '${tracer.name}' is not in user space`);
  const note = NOTE[ev.regset];
  target.frozen = true;
  syscall(
    rt,
    tracer,
    function* () {
      const kiov = { iov: { mm: tracer.mm, addr: TRACER_BUF }, iov_len: regsetLen(note) };
      const ret = yield* E.ptrace_regset(task, PTRACE_GETREGSET, note, kiov);
      target.frozen = false;
      if (ret < 0)
        violate(w, 'syscall-succeeds', `${tracer.name}: PTRACE_GETREGSET ${ev.regset} returned ${ret}`);
      else checkRead(w, tracer, target, ev.regset);
    },
    ev.to,
    eventTag(ev),
  );
}

interface SetPlan {
  len: number;
  apply: (view: View) => void;
}

/** Writes the tracer's buffer for a SETREGSET and says what the ABI makes of it. */
function planSet(
  w: World,
  tracer: UserProgram,
  target: UserProgram,
  task: task_struct,
  ev: { regset: Regset; data?: RegsetData; vl?: number },
): SetPlan {
  const mm = tracer.mm;
  const b = TRACER_BUF;
  const val = () => nextValue(tracer);
  const cfg = w.machine.config;
  const data = ev.data ?? 'regs';
  const header = (h: Partial<RegsetHeader>) =>
    poke(mm, b, 16, 'header', { size: 0, max_size: 0, vl: 0, max_vl: 0, flags: 0, ...h });
  const vlFor = (type: 0 | 1): number => {
    const vl = ev.vl ?? task.thread.vl[type];
    if (!(type === 0 ? cfg.sveVls : cfg.smeVls).includes(vl))
      throw new EventError(`vector length ${vl} is not supported for ${ev.regset}`);
    return vl;
  };
  switch (ev.regset) {
    case 'fpr': {
      const V = val();
      const FPSR = val();
      zeroFill(mm, b, 528);
      poke(mm, b, 512, 'vregs', V);
      poke(mm, b + 512, 8, 'fpsr', FPSR);
      return { len: 528, apply: (v) => RULES.ptraceFprWrite.apply(v, { V, FPSR }) };
    }
    case 'sve':
    case 'ssve': {
      const streaming = ev.regset === 'ssve';
      const type = streaming ? 1 : 0;
      const vl = vlFor(type);
      const vq = sve_vq_from_vl(vl);
      const changed = vl !== task.thread.vl[type];
      const vlRule = (v: View) => {
        if (changed) (streaming ? RULES.smeVlChange : RULES.vlChange).apply(v);
      };
      if (data === 'fpsimd') {
        // sve_set_common takes an FPSIMD payload for NT_ARM_SSVE too (it enters streaming mode).
        const V = val();
        const FPSR = val();
        const len = SVE_PT_SIZE(vq, SVE_PT_REGS_FPSIMD);
        zeroFill(mm, b, len);
        header({ size: len, vl, flags: SVE_PT_REGS_FPSIMD });
        poke(mm, b + SVE_PT_FPSIMD_OFFSET, 512, 'vregs', V);
        poke(mm, b + SVE_PT_FPSIMD_OFFSET + 512, 8, 'fpsr', FPSR);
        return {
          len,
          apply: (v) => {
            vlRule(v);
            RULES.ptraceSveWrite.apply(v, { streaming, fpsimd: { V, FPSR } });
          },
        };
      }
      if (data === 'none') {
        header({ size: SVE_PT_REGS_OFFSET, vl, flags: SVE_PT_REGS_SVE });
        return {
          len: 16,
          apply: (v) => {
            vlRule(v);
            RULES.ptraceSveWrite.apply(v, { streaming });
          },
        };
      }
      const regs = { V: val(), Zhi: vq === 1 ? ZERO : val(), P: val(), FFR: val(), FPSR: val() };
      const len = SVE_PT_SIZE(vq, SVE_PT_REGS_SVE);
      zeroFill(mm, b, len);
      header({ size: len, vl, flags: SVE_PT_REGS_SVE });
      poke(mm, b + SVE_PT_SVE_OFFSET, SVE_SIG_REGS_SIZE(vq), 'sve', {
        vq,
        zlo: regs.V,
        zhi: regs.Zhi,
        p: regs.P,
        ffr: regs.FFR,
      });
      poke(mm, b + SVE_PT_SVE_FPSR_OFFSET(vq), 8, 'fpsr', regs.FPSR);
      return {
        len,
        apply: (v) => {
          vlRule(v);
          RULES.ptraceSveWrite.apply(v, { streaming, regs });
        },
      };
    }
    case 'za': {
      const vl = vlFor(1);
      const vq = sve_vq_from_vl(vl);
      const changed = vl !== task.thread.vl[1];
      const vlRule = (v: View) => {
        if (changed) RULES.smeVlChange.apply(v);
      };
      if (data === 'fpsimd') throw new EventError('NT_ARM_ZA takes register data or none');
      if (data === 'none') {
        header({ size: ZA_PT_ZA_OFFSET, vl });
        return {
          len: 16,
          apply: (v) => {
            vlRule(v);
            RULES.ptraceZaWrite.apply(v, null);
          },
        };
      }
      const za = val();
      const len = ZA_PT_SIZE(vq);
      zeroFill(mm, b, len);
      header({ size: len, vl });
      poke(mm, b + ZA_PT_ZA_OFFSET, ZA_SIG_REGS_SIZE(vq), 'za', { vq, za });
      return {
        len,
        apply: (v) => {
          vlRule(v);
          RULES.ptraceZaWrite.apply(v, za);
        },
      };
    }
    case 'zt': {
      if (data !== 'regs') throw new EventError('NT_ARM_ZT takes register data');
      const zt = val();
      poke(mm, b, 64, 'zt', zt);
      return { len: 64, apply: (v) => RULES.ptraceZtWrite.apply(v, zt) };
    }
  }
}

function ptraceSet(
  rt: Runtime,
  ev: { tracer: string; task: string; regset: Regset; data?: RegsetData; vl?: number; to?: string },
): void {
  const w = rt.world;
  const { tracer, target, task } = tracing(w, ev);
  runningCpu(w, tracer);
  if (tracer.mode !== 'user') throw new EventError(`task '${tracer.name}' is not in user space`);
  const note = NOTE[ev.regset];
  const plan = planSet(w, tracer, target, task, ev);
  target.frozen = true;
  syscall(
    rt,
    tracer,
    function* () {
      const kiov = { iov: { mm: tracer.mm, addr: TRACER_BUF }, iov_len: plan.len };
      const ret = yield* E.ptrace_regset(task, PTRACE_SETREGSET, note, kiov);
      target.frozen = false;
      if (ret !== 0) {
        violate(w, 'syscall-succeeds', `${tracer.name}: PTRACE_SETREGSET ${ev.regset} returned ${ret}`);
        target.view = anyView(target.view);
        return;
      }
      plan.apply(target.view);
    },
    ev.to,
    eventTag(ev),
  );
}

// ---------------------------------------------------------------------------------------------
// prctl, fork, exec.

/** An event's fields without its stopping label: what a syscall body closes over from it. */
function eventTag(ev: { to?: string }): string {
  const { to: _to, ...rest } = ev;
  return JSON.stringify(rest);
}

/** PR_SVE_SET_VL / PR_SME_SET_VL through the syscall path. */
function prctlEvent(rt: Runtime, u: UserProgram, ev: Extract<HostEvent, { do: 'prctl' }>): void {
  const w = rt.world;
  const sme = ev.op === 'sme_set_vl';
  const type = sme ? 1 : 0;
  const supported = sme ? w.machine.config.features.sme : w.machine.config.features.sve;
  const arg = ev.vl | (ev.onexec ? PR_SVE_SET_VL_ONEXEC : 0) | (ev.inherit ? PR_SVE_VL_INHERIT : 0);
  const task = taskOf(w, u.pid);
  syscall(
    rt,
    u,
    function* () {
      const before = task.thread.vl[type];
      const ret = sme ? yield* E.sme_set_current_vl(arg) : yield* E.sve_set_current_vl(arg);
      if (ret < 0) {
        if (supported) violate(w, 'syscall-succeeds', `${u.name}: prctl ${ev.op} ${ev.vl} returned ${ret}`);
        return;
      }
      // Only a change of the current VL has consequences (a deferred one waits for exec).
      if (task.thread.vl[type] !== before) (sme ? RULES.smeVlChange : RULES.vlChange).apply(u.view);
    },
    ev.to,
    eventTag(ev),
  );
}

/**
 * fork: copy_process's FP part. dup_task_struct gets a new task_struct and arch_dup_task_struct
 * fills it from the parent; the child gets its pid; copy_thread sets up its registers; then
 * wake_up_new_task makes it runnable. The child's first run goes through the return-to-user work.
 */
function forkEvent(rt: Runtime, u: UserProgram, childName: string, to: string | undefined): void {
  const w = rt.world;
  const child = user(w, childName);
  if (child.mode !== 'unborn') throw new EventError(`task '${childName}' already exists`);
  if (child === u) throw new EventError('a task cannot fork itself into being');
  const parent = taskOf(w, u.pid);
  if (u.mode !== 'user') throw new EventError(`task '${u.name}' is not in user space`);
  runningCpu(w, u);
  // The child's name stands for the pid this fork will allocate: claimed now, so no other fork in
  // flight can create the same task.
  child.mode = 'forking';
  syscall(
    rt,
    u,
    function* () {
      if (child.mode !== 'forking') {
        violate(w, 'syscall-succeeds', `${u.name}: fork found '${child.name}' already created`);
        return;
      }
      const p = newTask(child.pid, child.name, true, parent.cpu, [0, 0]);
      const err = yield* E.arch_dup_task_struct(p, parent);
      if (err) {
        child.mode = 'unborn';
        violate(w, 'syscall-succeeds', `${u.name}: fork failed in arch_dup_task_struct (${err})`);
        return;
      }
      p.pid = child.pid;
      p.comm = child.name;
      // A new task has no pending signals and no reschedule of its own.
      p.flags &= ~((1 << TIF_SIGPENDING) | (1 << TIF_NEED_RESCHED) | (1 << TIF_NOTIFY_SIGNAL));
      const ret = E.copy_thread(p, { flags: 0, stack: 0, tls: 0 });
      if (ret) {
        child.mode = 'unborn';
        violate(w, 'syscall-succeeds', `${u.name}: copy_thread returned ${ret}`);
        return;
      }
      const idx = w.kernel.tasks.findIndex((t) => t.pid === child.pid);
      w.kernel.tasks[idx] = p;
      child.mode = 'user';
      child.mm = structuredClone(u.mm);
      child.frames = structuredClone(u.frames);
      child.pending = [];
      child.stop = 'none';
      RULES.forkChild.apply(child.view, u.view);
      w.runq.push(child.pid);
    },
    to,
    `fork:${childName}`,
  );
}

/** execve: flush_thread with the new image's registers, memory and stack. */
function execEvent(rt: Runtime, u: UserProgram, to: string | undefined): void {
  const task = taskOf(rt.world, u.pid);
  syscall(
    rt,
    u,
    function* () {
      yield* E.flush_thread();
      u.mm = newUserMemory();
      u.frames = [];
      const regs = sigRegs(task);
      regs.regs.fill(0);
      regs.sp = STACK_TOP;
      RULES.execNewProgram.apply(u.view);
    },
    to,
    'exec',
  );
}

export function applyHostEvent(rt: Runtime, ev: HostEvent): void {
  const w = rt.world;
  switch (ev.do) {
    case 'signal':
      return signalEvent(rt, user(w, ev.task), ev.sig ?? SIGUSR1, ev.to);
    case 'sigreturn':
      return sigreturnEvent(rt, user(w, ev.task), ev.edit, ev.to);
    case 'ptrace_stop':
      return ptraceStop(rt, user(w, ev.task));
    case 'ptrace_cont':
      return ptraceCont(rt, user(w, ev.task), ev.syscall ?? false, ev.to);
    case 'ptrace_get':
      return ptraceGet(rt, ev);
    case 'ptrace_set':
      return ptraceSet(rt, ev);
    case 'prctl':
      return prctlEvent(rt, user(w, ev.task), ev);
    case 'fork':
      return forkEvent(rt, user(w, ev.task), ev.child, ev.to);
    case 'exec':
      return execEvent(rt, user(w, ev.task), ev.to);
  }
}
