// The world: machine + kernel data + KVM data + the programs around them, as plain data that can
// be cloned, fingerprinted and serialised. Kernel paths that are suspended at a preemption point
// are generators and so not data; they live in the Runtime (runtime.ts), and the world records
// only where each one stands (`kpath`), which is what a state's identity needs.

import { createMachine, Machine, symbolic, ZERO } from '@kvmfp/machine';
import {
  ARM64_VEC_SME,
  ARM64_VEC_SVE,
  cpu_fp_state,
  FP_STATE_CURRENT,
  FP_STATE_FPSIMD,
  KernelState,
  newUserMemory,
  NO_SYSCALL,
  task_struct,
  TIF_FOREIGN_FPSTATE,
  type UserMemory,
  vl_info,
} from '@kvmfp/fpsimd';
import type { WorldConfig } from './config.js';
import { freshView, View } from './view.js';
import type { KvmData } from './kvm.js';

/** 'unborn': a task declared for a later fork (it has no state of its own until then). */
/** 'forking': a fork in flight has claimed this unborn task (it exists once the fork completes). */
export type TaskMode = 'user' | 'kernel' | 'dead' | 'unborn' | 'forking';

/** A signal the kernel generated for a task, with the instruction it ran and the ABI rule allowing it. */
export interface KernelSignal {
  sig: number;
  /** The kernel function that forced it. */
  where: string;
  /** The user instruction whose trap or exception led to it (null when none). */
  op: UserOpKind | null;
  /** The name of the signal grant (rules.ts SIGNAL_GRANTS) that allows it, or null. */
  granted: string | null;
}

/** A signal frame the task is running the handler of (events-host.ts): what sigreturn restores. */
export interface SignalFrameState {
  sig: number;
  /** The user stack pointer before delivery, and the frame's address (the handler's sp). */
  sp: number;
  frame: number;
  /** What the interrupted program could observe when the signal arrived. */
  view: View;
}

/**
 * The ptrace stop a task is in or on its way to: a signal-delivery stop (get_signal, after
 * do_signal's forget_syscall, so in_syscall() is false) or a syscall stop (report_syscall at
 * syscall entry or exit, with in_syscall() true). The task is actually stopped once its kernel path
 * stands at one of PTRACE_STOP_POINTS and it is off every CPU.
 */
export type StopState = 'none' | 'signal' | 'syscall';

/** The preemption points where a task sits in a ptrace stop (events-host.ts). */
export const PTRACE_STOP_POINTS = [
  'ptrace_stop:schedule',
  'ptrace_stop:syscall entry',
  'ptrace_stop:syscall exit',
];

/** A user program: what it has written and may observe, and where it is. */
export interface UserProgram {
  pid: number;
  name: string;
  writer: number;
  seq: number;
  vmm: boolean;
  mode: TaskMode;
  /** Label of the preemption point its kernel path is stopped at (null when not in a path). */
  kpath: string | null;
  /** An instruction that trapped and is re-executed when the task is back in user space. */
  retry: UserOp | null;
  view: View;
  signals: number[];
  /** Signals the kernel generated for this task (force_sig), each judged when it was sent. */
  kernelSignals: KernelSignal[];
  /** The task's user memory (signal frames, a tracer's regset buffers). */
  mm: UserMemory;
  /** Signals queued for the task, each with a handler installed; delivered on return to user. */
  pending: number[];
  /** The signal handlers the task is inside, innermost last. */
  frames: SignalFrameState[];
  /** A ptrace stop: once in it, the task is off-CPU and a tracer may access its registers. */
  stop: StopState;
  /** A tracer's PTRACE_{GET,SET}REGSET on this task is in flight. */
  frozen: boolean;
}

export interface GuestProgram {
  vcpuId: number;
  name: string;
  /** The VMM task that runs this vcpu. */
  vmm: string;
  writer: number;
  seq: number;
  sve: boolean;
  view: View;
  /** Exceptions the guest took at its own EL1 that it did not set up for. */
  unexpected: string[];
  undefs: number;
  /** The instruction whose trap left the guest, until the guest resumes. */
  trapped: UserOpKind | null;
}

export type UserOpKind =
  | 'fpsimd'
  | 'sve'
  | 'ssve'
  | 'za'
  | 'zt0'
  | 'smstart'
  | 'smstart_sm'
  | 'smstart_za'
  | 'smstop'
  | 'smstop_sm'
  | 'smstop_za';

export interface UserOp {
  op: UserOpKind;
  check: boolean;
}

export interface Violation {
  invariant: string;
  detail: string;
  step: number;
}

export interface MoveCounts {
  save: number;
  load: number;
  flush: number;
  smstart: number;
  smstop: number;
}

export interface World {
  rev: string;
  mutant: string | null;
  machine: Machine;
  kernel: KernelState;
  kvm: KvmData;
  users: UserProgram[];
  guests: GuestProgram[];
  writers: string[];
  /** Pids that are runnable but not running, in queue order. */
  runq: number[];
  violations: Violation[];
  moves: MoveCounts;
  step: number;
  /** The writer of values that kernel-mode NEON leaves in the registers. */
  kneon: { writer: number; seq: number };
}

function emptyFpState(): cpu_fp_state {
  return {
    st: null,
    sve_state: null,
    sme_state: null,
    svcr: null,
    sve_vl: 0,
    sme_vl: 0,
    fp_type: null,
    to_save: FP_STATE_CURRENT,
  };
}

export function newTask(
  pid: number,
  comm: string,
  mm: boolean,
  cpu: number,
  vl: [number, number],
): task_struct {
  return {
    pid,
    comm,
    mm,
    flags: 1 << TIF_FOREIGN_FPSTATE,
    thread: {
      uw: { tp_value: 0, tp2_value: 0, fpsimd_state: { vregs: ZERO, fpsr: ZERO } },
      fp_type: FP_STATE_FPSIMD,
      fpsimd_cpu: -1 >>> 0,
      sve_state: null,
      sme_state: null,
      vl: [...vl],
      vl_onexec: [0, 0],
      svcr: 0,
      tpidr2_el0: ZERO,
    },
    regs: { syscallno: NO_SYSCALL },
    cpu,
  };
}

function vlInfo(type: 0 | 1, name: string, vls: number[]): vl_info {
  const max = vls.length ? Math.max(...vls) : 0;
  const min = vls.length ? Math.min(...vls) : 0;
  return { type, name, min_vl: min, max_vl: max, max_virtualisable_vl: max, vls: [...vls] };
}

/** Default VL of a new task: the sysctl default, 64 bytes or the nearest supported below. */
function defaultVl(vls: number[]): number {
  const fit = vls.filter((v) => v <= 64);
  return fit.length ? Math.max(...fit) : (vls[0] ?? 0);
}

export const USER_PID_BASE = 100;

export function createWorld(config: WorldConfig, rev: string, mutant: string | null): World {
  const machine = createMachine(config.machine);
  const sveDefault = config.machine.features.sve ? defaultVl(config.machine.sveVls) : 0;
  const smeDefault = config.machine.features.sme ? defaultVl(config.machine.smeVls) : 0;
  const idle = machine.cpus.map((_, i) => newTask(i, `swapper/${i}`, false, i, [sveDefault, smeDefault]));
  const writers = ['', ...config.tasks.map((t) => t.name), ...config.vcpus.map((v) => v.name), 'kneon'];
  const tasks = config.tasks.map((t, i) =>
    newTask(USER_PID_BASE + i, t.name, true, t.cpu ?? 0, [t.sveVl ?? sveDefault, t.smeVl ?? smeDefault]),
  );
  const kernel: KernelState = {
    tasks: [...idle, ...tasks],
    percpu: machine.cpus.map((_, i) => ({
      current: tasks.find((t, j) => config.tasks[j]?.cpu === i && !config.tasks[j]?.unborn) ?? idle[i],
      fpsimd_last_state: emptyFpState(),
      fpsimd_context_busy: false,
      preempt_count: 0,
      softirq_disable: 0,
      irqs_disabled: false,
      in_softirq: false,
      in_hardirq: false,
    })),
    vl_info: [
      vlInfo(ARM64_VEC_SVE, 'SVE', config.machine.features.sve ? config.machine.sveVls : []),
      vlInfo(ARM64_VEC_SME, 'SME', config.machine.features.sme ? config.machine.smeVls : []),
    ],
    default_vl: [sveDefault, smeDefault],
    findings: [],
  };
  const users: UserProgram[] = config.tasks.map((t, i) => ({
    pid: USER_PID_BASE + i,
    name: t.name,
    writer: 1 + i,
    seq: 0,
    vmm: t.vmm ?? false,
    mode: t.unborn ? 'unborn' : 'user',
    kpath: null,
    retry: null,
    view: freshView(),
    signals: [],
    kernelSignals: [],
    mm: newUserMemory(),
    pending: [],
    frames: [],
    stop: 'none',
    frozen: false,
  }));
  const guests: GuestProgram[] = config.vcpus.map((v, i) => ({
    vcpuId: i,
    name: v.name,
    vmm: v.vmm,
    writer: 1 + config.tasks.length + i,
    seq: 0,
    sve: v.sve,
    view: freshView(),
    unexpected: [],
    undefs: 0,
    trapped: null,
  }));
  return {
    rev,
    mutant,
    machine,
    kernel,
    kvm: { vms: [], vcpus: [] },
    users,
    guests,
    writers,
    runq: users.filter((u, i) => config.tasks[i]?.cpu === undefined && u.mode !== 'unborn').map((u) => u.pid),
    violations: [],
    moves: { save: 0, load: 0, flush: 0, smstart: 0, smstop: 0 },
    step: 0,
    kneon: { writer: writers.length - 1, seq: 0 },
  };
}

/** The next value a program writes: "name#n". */
export function nextValue(p: { writer: number; seq: number }): number {
  p.seq += 1;
  return symbolic(p.writer, p.seq);
}

export function taskOf(w: World, pid: number): task_struct {
  const t = w.kernel.tasks.find((x) => x.pid === pid);
  if (!t) throw new Error(`no task ${pid}`);
  return t;
}

export function userOf(w: World, name: string): UserProgram {
  const u = w.users.find((x) => x.name === name);
  if (!u) throw new Error(`no task named ${name}`);
  return u;
}

/** The task sits in a ptrace stop (off every CPU), where a tracer may access its registers. */
export function inPtraceStop(w: World, u: UserProgram): boolean {
  return u.stop !== 'none' && PTRACE_STOP_POINTS.includes(u.kpath ?? '') && cpuOfTask(w, u.pid) < 0;
}

/** The CPU a task is running on, or -1. */
export function cpuOfTask(w: World, pid: number): number {
  return w.kernel.percpu.findIndex((p) => p.current.pid === pid);
}
