// The events of the world (the alphabet of scenarios and of the explorer) and the kernel glue that
// runs the ported paths in the kernel's order: how a user task enters the kernel (syscall, trap,
// interrupt), the return-to-user work, context switches, softirqs, KVM_RUN and guests. The glue
// mirrors arch/arm64/kernel/entry-common.c and the loop of do_notify_resume (signal.c, v6.4);
// the FP work itself is always the port's, called through the revision's entry table.

import {
  E,
  in_syscall,
  KernelPath,
  local_irq_disable,
  local_irq_enable,
  NO_SYSCALL,
  point,
  forcedSignal,
  SIGILL,
  type pt_regs,
  setSoftirqRunner,
  smp_processor_id,
  task_struct,
  TIF_FOREIGN_FPSTATE,
  TIF_NEED_RESCHED,
  TIF_NOTIFY_RESUME,
  TIF_NOTIFY_SIGNAL,
  TIF_SIGPENDING,
} from '@kvmfp/fpsimd';
import {
  esr_make,
  ESR_ELx_EC_FP_ASIMD,
  ESR_ELx_EC_SME,
  ESR_ELx_EC_SVE,
  ZCR_ELx_LEN_MASK,
} from '@kvmfp/sysreg';
import { decideTrap, formatVal, Machine, setHostEl2Handler, writeWithEffects } from '@kvmfp/machine';
import type { SimEntries } from './entries.js';
import { ESR_ELx_EC_DABT_LOW, KVM_RUN } from '@kvmfp/kvm-fpsimd';
import { vcpuOfVmm } from './kvm.js';
import {
  applyHostEvent,
  bindHostRuntime,
  deliverSignal,
  type HostEvent,
  syscallTraceEnter,
  syscallTraceExit,
  TIF_SYSCALL_TRACE,
} from './events-host.js';
import { banksRead, decide, executeWrite, trapContext } from './exec.js';
import { GUEST_RULES, RULES } from './rules.js';
import type { PathStop, Runtime } from './runtime.js';
import { allows, getAllowed, View } from './view.js';
import {
  cpuOfTask,
  GuestProgram,
  PTRACE_STOP_POINTS,
  nextValue,
  taskOf,
  UserOp,
  UserOpKind,
  UserProgram,
  World,
} from './world.js';

export type Event =
  | { do: 'user'; task: string; op: UserOpKind; check?: boolean; to?: string }
  | { do: 'syscall'; task: string; neon?: boolean; to?: string }
  | { do: 'kvm_run'; task: string; immediateExit?: boolean; to?: string }
  | { do: 'step'; cpu: number; to?: string }
  | { do: 'softirq_neon'; cpu: number; deferred?: boolean; to?: string }
  | { do: 'preempt'; cpu: number; next?: string; idle?: boolean }
  | { do: 'guest'; vcpu: string; op: UserOpKind; check?: boolean }
  | { do: 'guest_exit'; vcpu: string; reason?: GuestExitReason; to?: string }
  | { do: 'guest_zcr'; vcpu: string; vl: number }
  | { do: 'kick'; task: string; to?: string }
  | HostEvent;

/** Why a guest leaves: a host interrupt, or an MMIO access (a data abort the VMM handles). */
export type GuestExitReason = 'irq' | 'mmio';

const K = E as unknown as SimEntries;

const WORK_MASK =
  (1 << TIF_NEED_RESCHED) |
  (1 << TIF_SIGPENDING) |
  (1 << TIF_NOTIFY_RESUME) |
  (1 << TIF_FOREIGN_FPSTATE) |
  (1 << TIF_NOTIFY_SIGNAL);

/** The return-to-user work loop (exit_to_user_mode -> do_notify_resume), FP-relevant parts. */
export function* exitToUserMode(task: task_struct): KernelPath {
  local_irq_disable();
  yield* workLoop(task, task.flags);
}

/** do_notify_resume's loop, entered with interrupts masked and the flags just read. */
function* workLoop(task: task_struct, flags: number): KernelPath {
  while (flags & WORK_MASK) {
    if (flags & (1 << TIF_NEED_RESCHED)) {
      // schedule(): context switches are events of their own in the sim.
      task.flags &= ~(1 << TIF_NEED_RESCHED);
    } else {
      local_irq_enable();
      yield* point('do_notify_resume:irqs on', { flags });
      if (yield* notifyWork(task, flags)) return;
    }
    local_irq_disable();
    flags = task.flags;
  }
  local_irq_enable();
}

/**
 * One pass of the work with interrupts on, driven by the flags read before they were unmasked;
 * true when a fatal signal ended the task there (get_signal's do_group_exit: it never reaches user
 * space).
 */
function* notifyWork(task: task_struct, flags: number): KernelPath<boolean> {
  if (flags & ((1 << TIF_SIGPENDING) | (1 << TIF_NOTIFY_SIGNAL)) && (yield* doSignal(task))) return true;
  if (flags & (1 << TIF_FOREIGN_FPSTATE)) K.fpsimd_restore_current_state();
  // Interrupts are still on until local_daif_mask: an IRQ here may run softirqs (kernel-mode
  // NEON) or reschedule, after the FP state was restored; the loop then reads the flags again and
  // restores once more.
  yield* point('do_notify_resume:after fpsimd_restore_current_state');
  return false;
}

// What a path stopped at a point of the loop runs when resumed. Every caller of exitToUserMode
// ends when it returns, so this is the whole rest of the path: the explorer restarts such paths
// from data instead of replaying how they got there (paths.ts).

/** After 'do_notify_resume:irqs on': the rest of that pass, then the loop. */
export function* afterIrqsOn(task: task_struct, flags: number): KernelPath {
  if (yield* notifyWork(task, flags)) return;
  local_irq_disable();
  yield* workLoop(task, task.flags);
}

/** After 'do_notify_resume:after fpsimd_restore_current_state': the loop, with the flags read anew. */
export function* afterRestoreWindow(task: task_struct): KernelPath {
  local_irq_disable();
  yield* workLoop(task, task.flags);
}

/**
 * do_signal (arch/arm64/kernel/signal.c, v6.4): registers saved by a syscall stop saying so before
 * anything else (forget_syscall), so get_signal's ptrace stop and handle_signal's frame see
 * in_syscall() false; a notify-signal (task_work, or a kick) is consumed with no handler to run;
 * a real signal's delivery is the host events' (deliverSignal).
 */
function* doSignal(task: task_struct): KernelPath<boolean> {
  if (in_syscall(task.regs)) forgetSyscall(task.regs);
  task.flags &= ~(1 << TIF_NOTIFY_SIGNAL);
  if (task.flags & (1 << TIF_SIGPENDING)) return yield* signalDelivery(task);
  return false;
}

/**
 * forget_syscall (arch/arm64/include/asm/ptrace.h, v6.4): the saved registers no longer belong to
 * a syscall, so no restart happens and the FP code treats the state as a plain user context.
 */
export function forgetSyscall(regs: pt_regs): void {
  regs.syscallno = NO_SYSCALL;
}

/** Signal delivery is installed by the host-events module (signals, sigreturn); true: the task exits. */
// eslint-disable-next-line require-yield -- the default consumes the flag without a point
let signalDelivery: (task: task_struct) => KernelPath<boolean> = function* (task) {
  task.flags &= ~(1 << TIF_SIGPENDING);
  return false;
};

export function setSignalDelivery(f: (task: task_struct) => KernelPath<boolean>): void {
  signalDelivery = f;
}

setSignalDelivery(deliverSignal);

/**
 * el0_svc -> do_el0_svc -> el0_svc_common (arch/arm64/kernel/syscall.c, v6.4): the FP discard with
 * interrupts masked, then the registers are marked as a syscall's, interrupts come on, a traced
 * task stops at syscall entry (syscall_trace_enter), the body runs, a traced task stops again at
 * syscall exit (syscall_trace_exit), and the return-to-user work follows.
 */
function* el0Svc(task: task_struct, body: () => KernelPath<unknown>): KernelPath {
  K.fp_user_discard();
  task.regs.syscallno = 0;
  local_irq_enable();
  if (hasSyscallWork(task.flags)) yield* syscallTraceEnter(task);
  yield* point('el0_svc:before invoke_syscall');
  yield* body();
  yield* el0SvcExit(task);
}

/** el0_svc_common after the syscall's body: the stop at syscall exit if traced, then the exit work. */
function* el0SvcExit(task: task_struct): KernelPath {
  // el0_svc_common also goes to syscall_trace_exit when the flags it read at entry had syscall
  // work; syscall_trace_exit reads the flags afresh before it stops, so deciding on the current
  // flags alone reaches the same stops and keeps no local across the points above.
  if (hasSyscallWork(task.flags)) yield* syscallTraceExit(task);
  yield* exitToUserMode(task);
}

/** has_syscall_work (asm/thread_info.h _TIF_SYSCALL_WORK), the part the sim sets: tracing. */
function hasSyscallWork(flags: number): boolean {
  return (flags & (1 << TIF_SYSCALL_TRACE)) !== 0;
}

/** el0_sve_acc / el0_sme_acc / el0_fpsimd_acc: the access-trap handlers, then the exit work. */
function* el0Trap(task: task_struct, ec: number, esr: number): KernelPath {
  task.regs.syscallno = NO_SYSCALL;
  local_irq_enable();
  if (ec === ESR_ELx_EC_SVE) yield* K.do_sve_acc(esr, task.regs);
  else if (ec === ESR_ELx_EC_SME) yield* K.do_sme_acc(esr, task.regs);
  else if (ec === ESR_ELx_EC_FP_ASIMD) {
    const r = K.do_fpsimd_acc(esr, task.regs);
    if (r) yield* r;
  }
  yield* exitToUserMode(task);
}

/** The tag of an access-trap path: the exception class and the syndrome its handler is given. */
function trapTag(ec: number, esr: number): string {
  return `el0_trap:${ec}:${esr}`;
}

/**
 * An access-trap path stopped at the entry point of do_sve_acc or do_sme_acc, as a fresh path
 * (the explorer restarts it from data instead of replaying the trap: paths.ts). el0Trap's own
 * statements before the handler already ran (the world holds what they did), and the point is
 * the handler's first statement, so nothing of the handler ran before it: the handler is called
 * anew, taken to that point (which runs nothing else), and continued from there, then the exit
 * work follows as in el0Trap. The exception class and syndrome come from the path's tag.
 */
export function* accessTrapFromEntry(task: task_struct, tag: string, label: string): KernelPath {
  const m = /^el0_trap:(\d+):(\d+)$/.exec(tag);
  if (!m) throw new Error(`events: ${tag} is not the tag of an access trap`);
  const [ec, esr] = [Number(m[1]), Number(m[2])];
  const handler = ec === ESR_ELx_EC_SVE ? K.do_sve_acc(esr, task.regs) : K.do_sme_acc(esr, task.regs);
  const first = handler.next();
  if (first.done || first.value.kind !== 'point' || first.value.label !== label)
    throw new Error(`events: the access-trap handler for ${tag} does not stop first at ${label}`);
  yield* handler;
  yield* exitToUserMode(task);
}

/** el0_undef (entry-common.c) -> do_el0_undef (traps.c): SIGILL, then the exit work. */
function* el0Undef(task: task_struct): KernelPath {
  task.regs.syscallno = NO_SYSCALL;
  local_irq_enable();
  forcedSignal('do_el0_undef', SIGILL);
  yield* exitToUserMode(task);
}

/** el0_interrupt with a reschedule pending: the task is switched out here and resumes after. */
function* el0Interrupt(task: task_struct): KernelPath {
  task.regs.syscallno = NO_SYSCALL;
  yield* point('el0_interrupt:schedule');
  yield* exitToUserMode(task);
}

/** A syscall body that uses kernel-mode NEON (e.g. a crypto syscall). */
function* neonSyscallBody(): KernelPath {
  K.kernel_neon_begin();
  K.kernel_neon_end();
  yield* point('syscall:after kernel_neon_end');
}

function* plainSyscallBody(): KernelPath {}

/** The syscall bodies of the core alphabet, by the kind their path's tag names (`el0_svc:<kind>`). */
const SYSCALL_BODIES: ReadonlyMap<string, () => KernelPath> = new Map([
  ['el0_svc:plain', plainSyscallBody],
  ['el0_svc:neon', neonSyscallBody],
]);

/** Whether a syscall path with this tag can be rebuilt from data at its points (syscallFromPoint). */
export function syscallRestarts(tag: string): boolean {
  return SYSCALL_BODIES.has(tag);
}

/**
 * A syscall path of the core alphabet stopped at one of its points, as a fresh path (the explorer
 * rebuilds it from data instead of replaying how it got there: paths.ts). el0Svc keeps no local
 * across its points but the task and the body, which the tag names; the NEON body ends at its
 * point. So the rest of the path is the body (at el0Svc's point) or nothing of it (at the body's
 * point), then el0SvcExit. Host syscalls' bodies close over more, and their paths replay.
 */
export function* syscallFromPoint(task: task_struct, tag: string, label: string): KernelPath {
  const body = SYSCALL_BODIES.get(tag);
  if (!body) throw new Error(`events: ${tag} names no syscall body of the core alphabet`);
  if (label === 'el0_svc:before invoke_syscall') yield* body();
  else if (label !== 'syscall:after kernel_neon_end' || body !== neonSyscallBody)
    throw new Error(`events: a ${tag} path cannot be rebuilt at ${label}`);
  yield* el0SvcExit(task);
}

export class EventError extends Error {}

/** The tag of a path that is only the return-to-user work. */
export const EXIT_TO_USER = 'exit_to_user';

/**
 * Puts every task that starts on a CPU into user space the way a new task gets there: through
 * the return-to-user work, which loads its (fresh) FP state.
 */
export function bootstrap(rt: Runtime): void {
  const w = rt.world;
  softirqWorld = w;
  w.kernel.percpu.forEach((p, cpu) => {
    const u = w.users.find((x) => x.pid === p.current.pid);
    if (u)
      settle(
        rt,
        u,
        cpu,
        runTo(rt, u.pid, cpu, rt.start(u.pid, cpu, exitToUserMode(p.current), EXIT_TO_USER), undefined),
      );
  });
}

export function user(w: World, name: string): UserProgram {
  const u = w.users.find((x) => x.name === name);
  if (!u) throw new EventError(`no task named '${name}'`);
  return u;
}

function guest(w: World, name: string): GuestProgram {
  const g = w.guests.find((x) => x.name === name);
  if (!g) throw new EventError(`no vcpu named '${name}'`);
  return g;
}

export function runningCpu(w: World, u: UserProgram): number {
  const cpu = cpuOfTask(w, u.pid);
  if (cpu < 0) throw new EventError(`task '${u.name}' is not running on any CPU`);
  return cpu;
}

const MAX_POINTS_PER_RUN = 10_000;

/** Runs a path until it stops at label `to` ('first' stops at the first point; default: end). */
export function runTo(
  rt: Runtime,
  pid: number,
  cpu: number,
  stop: PathStop,
  to: string | undefined,
): PathStop {
  for (
    let points = 0;
    stop.kind === 'point' &&
    to !== 'first' &&
    stop.label !== to &&
    !heldInPtraceStop(rt.world, pid, stop.label);
    points++
  ) {
    // The kernel's loops end when their flags clear; a path that keeps passing points without
    // finishing is a model error (a flag nobody clears), reported instead of hanging the tool.
    if (points === MAX_POINTS_PER_RUN)
      throw new Error(
        `pid ${pid}: kernel path passed ${MAX_POINTS_PER_RUN} preemption points without finishing (at ${stop.label})`,
      );
    stop = rt.resume(pid, cpu, undefined);
  }
  return stop;
}

/** A path at a ptrace stop goes no further until a tracer continues its task (ptrace_cont). */
function heldInPtraceStop(w: World, pid: number, label: string): boolean {
  const u = w.users.find((x) => x.pid === pid);
  return !!u && u.stop !== 'none' && PTRACE_STOP_POINTS.includes(label);
}

export function settle(rt: Runtime, u: UserProgram, cpu: number, stop: PathStop): void {
  if (stop.kind === 'point' && heldInPtraceStop(rt.world, u.pid, stop.label)) {
    // ptrace_stop: the task is TASK_TRACED and calls schedule(); its CPU runs the next runnable
    // task, or the idle task.
    u.mode = 'kernel';
    u.kpath = stop.label;
    if (rt.world.kernel.percpu[cpu].current.pid === u.pid) switchAway(rt, cpu, u);
    return;
  }
  if (stop.kind === 'done' && u.mode === 'dead') {
    // do_exit: the task is gone; its CPU runs the next runnable task or the idle task.
    u.kpath = null;
    u.retry = null;
    rt.world.runq = rt.world.runq.filter((x) => x !== u.pid);
    if (rt.world.kernel.percpu[cpu].current.pid === u.pid) switchAway(rt, cpu, u);
    return;
  }
  if (stop.kind === 'done') {
    u.mode = 'user';
    u.kpath = null;
    const retry = u.retry;
    u.retry = null;
    if (retry) userOp(rt, u, retry.op, retry.check, 'first');
  } else {
    u.mode = 'kernel';
    u.kpath = stop.kind === 'point' ? stop.label : `guest:${stop.vcpuId}`;
  }
}

export function violate(w: World, invariant: string, detail: string): void {
  w.violations.push({ invariant, detail, step: w.step });
}

export function checkView(
  w: World,
  who: string,
  view: View,
  banks: string[],
  regs: Record<string, number>,
  inv: string,
) {
  for (const b of banks) {
    const allowed = getAllowed(view, b as never);
    const v = regs[b];
    if (!allows(allowed, v)) {
      const want = allowed === 'any' ? 'any' : allowed.map((x) => formatVal(x, w.writers)).join('|');
      violate(w, inv, `${who} reads ${b} = ${formatVal(v, w.writers)}, expected ${want}`);
    }
  }
}

/** A user instruction: executes, or traps into the kernel and is retried on return to user. */
function userOp(rt: Runtime, u: UserProgram, op: UserOpKind, check: boolean, to?: string): void {
  const w = rt.world;
  if (u.mode !== 'user') throw new EventError(`task '${u.name}' is not in user space`);
  const cpu = runningCpu(w, u);
  const c = w.machine.cpus[cpu];
  const outcome = decide(w.machine, c, op, 0);
  if (outcome.kind === 'execute') {
    if (check)
      checkView(w, u.name, u.view, banksRead(w.machine, c, op), c.regs as never, 'user-sees-own-registers');
    else executeWrite(w.machine, c, op, nextValue(u), u.view);
    return;
  }
  if (outcome.kind === 'undef') {
    // An UNDEFINED instruction at EL0: el0_undef -> do_el0_undef finds no handler for it and
    // forces SIGILL, which the return to user space delivers. kernel-signal-granted judges it.
    u.retry = { op, check };
    const task = taskOf(w, u.pid);
    settle(
      rt,
      u,
      cpu,
      runTo(rt, u.pid, cpu, rt.start(u.pid, cpu, el0Undef(task), `el0_undef:${op}:${check}`), to),
    );
    return;
  }
  const esr = esr_make(outcome.ec, outcome.iss);
  if (outcome.el === 2 && !w.machine.config.features.vhe) {
    // nVHE: the host kernel runs at EL1, so a trap to EL2 is the hypervisor's (host.S, then
    // handle_trap); the exception return re-executes the instruction.
    rt.atomic(cpu, () => E.__kvm_hyp_host_vector_sync(esr));
    const again = decide(w.machine, c, op, 0);
    if (again.kind === 'trap' && again.el === 2) {
      violate(w, 'hyp-makes-progress', `${u.name}: ${op} traps to EL2 again after the hypervisor handled it`);
      return;
    }
    return userOp(rt, u, op, check, to);
  }
  u.retry = { op, check };
  const task = taskOf(w, u.pid);
  const tag = trapTag(outcome.ec, esr);
  settle(rt, u, cpu, runTo(rt, u.pid, cpu, rt.start(u.pid, cpu, el0Trap(task, outcome.ec, esr), tag), to));
}

/**
 * A syscall by `u` whose body is `body`. `tag` names the syscall and every value the body closes
 * over that is not world data (the event's own fields), as part of the path's identity.
 */
export function syscall(
  rt: Runtime,
  u: UserProgram,
  body: () => KernelPath<unknown>,
  to: string | undefined,
  tag: string,
): void {
  const w = rt.world;
  if (u.mode !== 'user') throw new EventError(`task '${u.name}' is not in user space`);
  const cpu = runningCpu(w, u);
  RULES.syscallSveDiscard.apply(u.view);
  if (u.view.sm) RULES.syscallLeavesStreaming.apply(u.view);
  const task = taskOf(w, u.pid);
  settle(rt, u, cpu, runTo(rt, u.pid, cpu, rt.start(u.pid, cpu, el0Svc(task, body), `el0_svc:${tag}`), to));
}

function step(rt: Runtime, cpu: number, to: string | undefined): void {
  const w = rt.world;
  const pid = w.kernel.percpu[cpu].current.pid;
  const u = w.users.find((x) => x.pid === pid);
  if (!u || u.mode !== 'kernel' || u.kpath?.startsWith('guest:'))
    throw new EventError(`CPU ${cpu} has no kernel path stopped at a point`);
  settle(rt, u, cpu, runTo(rt, pid, cpu, rt.resume(pid, cpu, undefined), to));
}

/** The softirq work: kernel-mode NEON when the context allows it (may_use_simd). */
function softirqWork(w: World, cpu: number): void {
  const p = w.kernel.percpu[cpu];
  p.in_softirq = true;
  if (K.may_use_simd()) {
    K.kernel_neon_begin();
    const c = w.machine.cpus[cpu];
    c.regs.V = c.regs.FPSR = kernelValue(w);
    K.kernel_neon_end();
  }
  p.in_softirq = false;
}

// The nVHE host kernel's own SVE instructions and ZCR_EL1 accesses that CPTR_EL2.TZ traps go to
// the hypervisor's host vector (host.S -> handle_trap), which untraps SVE and returns to them.
setHostEl2Handler((esr) => E.__kvm_hyp_host_vector_sync(esr));

/** The world whose pending softirqs local_bh_enable runs (bound by applyEvent and bootstrap). */
let softirqWorld: World | null = null;

setSoftirqRunner(() => {
  if (softirqWorld) softirqWork(softirqWorld, smp_processor_id());
});

/** An interrupt taken from user space whose exit runs a softirq, then the return-to-user work. */
function* el0IrqSoftirq(w: World, task: task_struct, cpu: number): KernelPath {
  task.regs.syscallno = NO_SYSCALL;
  softirqWork(w, cpu);
  yield* exitToUserMode(task);
}

/**
 * A softirq that uses kernel-mode NEON, run on `cpu` where an interrupt can be taken now. With
 * `deferred`, the interrupt that raises it arrives inside the next section of this CPU that has
 * softirqs disabled with interrupts on (get_cpu_fpsimd_context .. put_cpu_fpsimd_context): the
 * softirq is pending until the local_bh_enable that ends the section runs it.
 */
function softirqNeon(rt: Runtime, cpu: number, to: string | undefined, deferred: boolean): void {
  const w = rt.world;
  const p = w.kernel.percpu[cpu];
  const u = w.users.find((x) => x.pid === p.current.pid);
  if (u?.kpath?.startsWith('guest:')) throw new EventError(`CPU ${cpu} is running a guest`);
  if (deferred) {
    if (p.softirq_pending) throw new EventError(`CPU ${cpu} already has a softirq pending`);
    p.softirq_pending = true;
    return;
  }
  if (p.irqs_disabled || p.softirq_disable > 0 || p.in_softirq)
    throw new EventError(`CPU ${cpu} cannot take a softirq now`);
  if (u?.mode === 'user') {
    settle(
      rt,
      u,
      cpu,
      runTo(rt, u.pid, cpu, rt.start(u.pid, cpu, el0IrqSoftirq(w, p.current, cpu), 'el0_irq_softirq'), to),
    );
    return;
  }
  rt.atomic(cpu, () => softirqWork(w, cpu));
}

function kernelValue(w: World): number {
  return nextValue(w.kneon);
}

/**
 * __schedule's switch on `cpu` from the current task to `next`, as the preempt event does it:
 * with preemption and interrupts off, prev's preempt notifiers, the FP switch, the new current,
 * next's notifiers. False when a BUG in the switch stopped the world.
 */
export function contextSwitch(
  rt: Runtime,
  cpu: number,
  prevU: UserProgram | undefined,
  next: task_struct,
): boolean {
  const w = rt.world;
  const p = w.kernel.percpu[cpu];
  const nextU = w.users.find((x) => x.pid === next.pid);
  const prevVcpu = prevU ? loadedVcpu(rt, prevU.name) : undefined;
  const nextVcpu = nextU ? loadedVcpu(rt, nextU.name) : undefined;
  // A BUG (or a fault) in the switch stops the world (Runtime.atomic records it).
  rt.atomic(cpu, () => {
    p.preempt_count++;
    p.irqs_disabled = true;
    if (prevVcpu) E.kvm_sched_out(prevVcpu);
    K.fpsimd_thread_switch(next);
    p.current = next;
    next.cpu = cpu;
    if (nextVcpu) E.kvm_sched_in(nextVcpu, cpu);
    p.irqs_disabled = false;
    p.preempt_count--;
  });
  return rt.dead === null;
}

export function idleTask(w: World, cpu: number): task_struct {
  const t = w.kernel.tasks.find((x) => !x.mm && x.pid === cpu);
  if (!t) throw new Error(`no idle task for CPU ${cpu}`);
  return t;
}

/** schedule() from a task that blocks: the head of the run queue runs next, or the idle task. */
export function switchAway(rt: Runtime, cpu: number, prevU: UserProgram): void {
  const w = rt.world;
  const nextPid = w.runq[0];
  const next = nextPid === undefined ? idleTask(w, cpu) : taskOf(w, nextPid);
  if (!contextSwitch(rt, cpu, prevU, next) || nextPid === undefined) return;
  w.runq.shift();
  const nu = w.users.find((x) => x.pid === nextPid)!;
  // A runnable task in user mode has no kernel path (settle keeps mode and path in step).
  if (nu.mode === 'user')
    settle(
      rt,
      nu,
      cpu,
      runTo(rt, nu.pid, cpu, rt.start(nu.pid, cpu, exitToUserMode(next), EXIT_TO_USER), undefined),
    );
}

/**
 * A context switch on `cpu` to `next` (a runnable task) or, with `idle`, to the CPU's idle task
 * (__schedule's pick_next_task with nothing else to run here), from a preemption point or from user
 * space (interrupt). Switching to idle leaves the previous task's registers in the CPU while the
 * task is runnable and may run elsewhere.
 */
function preempt(rt: Runtime, cpu: number, nextName: string | undefined, idle: boolean): void {
  const w = rt.world;
  const p = w.kernel.percpu[cpu];
  const prevU = w.users.find((x) => x.pid === p.current.pid);
  const next = pickNext(w, cpu, nextName, idle);
  if (prevU?.mode === 'user') {
    const stop = rt.start(prevU.pid, cpu, el0Interrupt(taskOf(w, prevU.pid)), 'el0_interrupt');
    settle(rt, prevU, cpu, stop);
  } else if (prevU && (prevU.mode !== 'kernel' || prevU.kpath?.startsWith('guest:'))) {
    throw new EventError(`CPU ${cpu} is not at a preemption point`);
  } else if (p.preempt_count > 0 || p.softirq_disable > 0 || p.irqs_disabled) {
    throw new EventError(`CPU ${cpu} is not preemptible here`);
  }
  const nextTask = next ? taskOf(w, next.pid) : idleTask(w, cpu);
  if (!contextSwitch(rt, cpu, prevU, nextTask)) return;
  if (next) w.runq = w.runq.filter((x) => x !== next.pid);
  if (prevU) w.runq.push(prevU.pid);
  // A runnable task in user mode has no kernel path (settle keeps mode and path in step).
  if (next?.mode === 'user') {
    settle(
      rt,
      next,
      cpu,
      runTo(rt, next.pid, cpu, rt.start(next.pid, cpu, exitToUserMode(nextTask), EXIT_TO_USER), undefined),
    );
  }
}

/** The task a preempt switches to: a runnable user task, or none for the idle task. */
function pickNext(w: World, cpu: number, nextName: string | undefined, idle: boolean): UserProgram | null {
  if (idle === (nextName !== undefined)) throw new EventError('preempt names either a next task or idle');
  if (idle) {
    if (!w.kernel.percpu[cpu].current.mm) throw new EventError(`CPU ${cpu} is already idle`);
    return null;
  }
  const next = user(w, nextName!);
  if (!w.runq.includes(next.pid)) throw new EventError(`task '${nextName}' is not runnable`);
  return next;
}

/** The vcpu whose preempt notifier the VMM holds (between vcpu_load and vcpu_put). */
export function loadedVcpu(rt: Runtime, vmm: string) {
  const v = vcpuOfVmm(rt, vmm);
  return v?.preempt_notifier_registered ? v : undefined;
}

function guestCpu(w: World, g: GuestProgram): { cpu: number; vmm: UserProgram } {
  const vmm = w.users.find((u) => u.kpath === `guest:${g.vcpuId}`);
  if (!vmm) throw new EventError(`vcpu '${g.name}' is not running`);
  return { cpu: runningCpu(w, vmm), vmm };
}

export const ARM_EXCEPTION_IRQ = 0;
export const ARM_EXCEPTION_TRAP = 2;

/** A guest instruction at the guest's EL1: executes, exits to the hypervisor, or faults in the guest. */
function guestOp(rt: Runtime, g: GuestProgram, op: UserOpKind, check: boolean): void {
  const w = rt.world;
  const { cpu, vmm } = guestCpu(w, g);
  const c = w.machine.cpus[cpu];
  takeInjectedException(w, g);
  if ((c.sys.svcr & 3) !== 0)
    violate(w, 'guest-without-host-sm-za', `${g.name} runs with host PSTATE.SM/ZA = ${c.sys.svcr}`);
  const outcome = decide(w.machine, c, op, 1);
  if (outcome.kind === 'execute') {
    if (check)
      checkView(w, g.name, g.view, banksRead(w.machine, c, op), c.regs as never, 'guest-sees-own-registers');
    else executeWrite(w.machine, c, op, nextValue(g), g.view);
    return;
  }
  if (outcome.kind === 'trap' && outcome.el === 2) {
    g.trapped = op;
    c.sys.esr_el2 = esr_make(outcome.ec, outcome.iss);
    const stop = rt.resume(vmm.pid, cpu, ARM_EXCEPTION_TRAP);
    settle(rt, vmm, cpu, stop);
    if (vmm.kpath !== `guest:${g.vcpuId}`) return;
    if (takeInjectedException(w, g)) return;
    guestRetry(rt, g, op, check);
    return;
  }
  g.unexpected.push(`${op}: ${outcome.kind === 'trap' ? `EC ${outcome.ec.toString(16)}` : 'UNDEF'} at EL1`);
  // Only an instruction the guest has (FP/SIMD always, SVE when the vcpu has SVE) must not fault:
  // an SVE instruction in a guest without SVE may UNDEF or trap to the guest's own EL1 (EC 0x19,
  // CPACR_EL1.ZEN is checked before any EL2 control), which is the architecture, not a KVM bug.
  if (guestHasInstruction(g, op))
    violate(w, 'guest-no-unconfigured-exception', `${g.name} takes ${g.unexpected[g.unexpected.length - 1]}`);
}

/**
 * An exception the host injected (kvm_inject_undefined, delivered at the next entry) is taken by
 * the guest before anything else it does; the instruction that trapped is not re-executed.
 */
function takeInjectedException(w: World, g: GuestProgram): boolean {
  const regs = w.kvm.vcpus[g.vcpuId].arch.ctxt.regs;
  if (regs.exception_taken === null) return false;
  regs.exception_taken = null;
  g.undefs++;
  const op = g.trapped;
  g.trapped = null;
  if (op && guestHasInstruction(g, op))
    violate(w, 'guest-no-unconfigured-exception', `${g.name} takes an injected UNDEF for ${op}`);
  return true;
}

function guestHasInstruction(g: GuestProgram, op: UserOpKind): boolean {
  return op === 'fpsimd' || (g.sve && (op === 'sve' || op === 'ssve'));
}

/**
 * The guest kernel writes its own ZCR_EL1 (MSR ZCR_EL1 at the guest's EL1) to run at `vl`. Until
 * the guest owns the FP registers the write traps to EL2 (CPTR_EL2.TZ, or ZEN with VHE); the
 * hypervisor loads the guest's SVE state (kvm_hyp_handle_fpsimd, which also puts the vcpu's saved
 * ZCR_EL1 back) and the guest re-executes the MSR. KVM saves the new value at vcpu put
 * (kvm_arch_vcpu_put_fp) and restores it at the next guest FP trap.
 */
function guestZcr(rt: Runtime, g: GuestProgram, vl: number): void {
  const w = rt.world;
  const { cpu, vmm } = guestCpu(w, g);
  const c = w.machine.cpus[cpu];
  const vcpu = w.kvm.vcpus[g.vcpuId];
  if (!g.sve) throw new EventError(`vcpu '${g.name}' has no SVE, so no ZCR_EL1`);
  if (!w.machine.config.sveVls.includes(vl) || vl > vcpu.arch.sve_max_vl)
    throw new EventError(`vcpu '${g.name}' cannot select vector length ${vl}`);
  takeInjectedException(w, g);
  let outcome = decideTrap('msr_zcr_el1', trapContext(w.machine, c, 1));
  if (outcome.kind === 'trap' && outcome.el === 2) {
    c.sys.esr_el2 = esr_make(outcome.ec, outcome.iss);
    settle(rt, vmm, cpu, rt.resume(vmm.pid, cpu, ARM_EXCEPTION_TRAP));
    if (vmm.kpath !== `guest:${g.vcpuId}` || takeInjectedException(w, g)) return;
    outcome = decideTrap('msr_zcr_el1', trapContext(w.machine, c, 1));
    if (outcome.kind === 'trap' && outcome.el === 2) {
      violate(
        w,
        'hyp-makes-progress',
        `${g.name}: MSR ZCR_EL1 traps to EL2 again after the hypervisor handled it`,
      );
      return;
    }
  }
  if (outcome.kind !== 'execute') {
    g.unexpected.push(
      `msr ZCR_EL1: ${outcome.kind === 'trap' ? `EC ${outcome.ec.toString(16)}` : 'UNDEF'} at EL1`,
    );
    violate(w, 'guest-no-unconfigured-exception', `${g.name} takes ${g.unexpected[g.unexpected.length - 1]}`);
    return;
  }
  const len = vl / 16 - 1;
  if ((c.sys.zcr_el1 & ZCR_ELx_LEN_MASK) === len) return;
  writeWithEffects(w.machine, c, 'zcr_el1', (c.sys.zcr_el1 & ~ZCR_ELx_LEN_MASK) | len);
  GUEST_RULES.guestVlChange.apply(g.view);
}

/** After the hypervisor handled a trap and re-entered, the guest re-executes the instruction. */
function guestRetry(rt: Runtime, g: GuestProgram, op: UserOpKind, check: boolean): void {
  const { cpu } = guestCpu(rt.world, g);
  const outcome = decide(rt.world.machine, rt.world.machine.cpus[cpu], op, 1);
  if (outcome.kind === 'trap' && outcome.el === 2) {
    violate(
      rt.world,
      'hyp-makes-progress',
      `${g.name}: ${op} traps to EL2 again after the hypervisor handled it`,
    );
    return;
  }
  guestOp(rt, g, op, check);
}

/**
 * A notify-signal for a task (task_work_add with TWA_SIGNAL, as io_uring does): it makes KVM_RUN
 * return to the VMM with -EINTR, and is consumed on the way to user space without a handler.
 * A task running a guest is kicked out of it by the IPI.
 */
function kick(rt: Runtime, u: UserProgram, to: string | undefined): void {
  const w = rt.world;
  const task = taskOf(w, u.pid);
  task.flags |= 1 << TIF_NOTIFY_SIGNAL;
  if (u.kpath?.startsWith('guest:')) {
    const cpu = runningCpu(w, u);
    settle(rt, u, cpu, runTo(rt, u.pid, cpu, rt.resume(u.pid, cpu, ARM_EXCEPTION_IRQ), to));
  }
}

/**
 * The guest leaves: a host interrupt (handle_exit sends the loop round), or a data abort on an
 * address outside guest memory, which the hypervisor passes to the host (ESR_EL2 EC DABT_LOW) and
 * kvm_handle_guest_abort turns into KVM_EXIT_MMIO: KVM_RUN returns to the VMM in user space.
 */
function guestExit(rt: Runtime, g: GuestProgram, reason: GuestExitReason, to: string | undefined): void {
  const { cpu, vmm } = guestCpu(rt.world, g);
  let code = ARM_EXCEPTION_IRQ;
  if (reason === 'mmio') {
    rt.world.machine.cpus[cpu].sys.esr_el2 = esr_make(ESR_ELx_EC_DABT_LOW, 0);
    code = ARM_EXCEPTION_TRAP;
  }
  settle(rt, vmm, cpu, runTo(rt, vmm.pid, cpu, rt.resume(vmm.pid, cpu, code), to));
}

export function applyEvent(rt: Runtime, ev: Event): void {
  const w = rt.world;
  w.step++;
  bindHostRuntime(rt);
  softirqWorld = w;
  switch (ev.do) {
    case 'user':
      return userOp(rt, user(w, ev.task), ev.op, ev.check ?? false, ev.to);
    case 'syscall':
      return syscall(
        rt,
        user(w, ev.task),
        ev.neon ? neonSyscallBody : plainSyscallBody,
        ev.to,
        ev.neon ? 'neon' : 'plain',
      );
    case 'kvm_run':
      return kvmRun(rt, user(w, ev.task), ev.immediateExit ?? false, ev.to);
    case 'step':
      return step(rt, ev.cpu, ev.to);
    case 'softirq_neon':
      return softirqNeon(rt, ev.cpu, ev.to, ev.deferred ?? false);
    case 'preempt':
      return preempt(rt, ev.cpu, ev.next, ev.idle ?? false);
    case 'guest':
      return guestOp(rt, guest(w, ev.vcpu), ev.op, ev.check ?? false);
    case 'guest_zcr':
      return guestZcr(rt, guest(w, ev.vcpu), ev.vl);
    case 'guest_exit':
      return guestExit(rt, guest(w, ev.vcpu), ev.reason ?? 'irq', ev.to);
    case 'kick':
      return kick(rt, user(w, ev.task), ev.to);
    default:
      return applyHostEvent(rt, ev);
  }
}

/**
 * The VMM calls KVM_RUN. It writes run->immediate_exit in the shared kvm_run page before every
 * call; set, kvm_arch_vcpu_ioctl_run loads and puts the vcpu and returns -EINTR at once.
 */
function kvmRun(rt: Runtime, u: UserProgram, immediateExit: boolean, to: string | undefined): void {
  if (!u.vmm) throw new EventError(`task '${u.name}' is not a VMM`);
  const vcpu = vcpuOfVmm(rt, u.name);
  if (!vcpu) throw new EventError(`VMM '${u.name}' has no vcpu`);
  if (u.mode !== 'user') throw new EventError(`task '${u.name}' is not in user space`);
  vcpu.run.immediate_exit = immediateExit;
  syscall(rt, u, () => E.kvm_vcpu_ioctl(vcpu, KVM_RUN, 0), to, 'kvm_run');
}

export type { Machine, UserOp };
