// A small kernel world for the fpsimd tests (a test helper, not a kernel file): a booted machine,
// kernel data with one idle task per CPU and some user tasks, and helpers to make a task current,
// to run code on a CPU and to drive a kernel path (a generator) through its preemption points.

import { createMachine, type Machine, type MachineConfig, symbolic, ZERO } from '@kvmfp/machine';
import { bindKernel, type KernelPath } from './v6.4/linux.js';
import {
  ARM64_VEC_SME,
  ARM64_VEC_SVE,
  type cpu_fp_state,
  FP_STATE_CURRENT,
  FP_STATE_FPSIMD,
  type KernelState,
  NO_SYSCALL,
  type task_struct,
  TIF_FOREIGN_FPSTATE,
  type vl_info,
} from './v6.4/types.js';

export interface TestWorldOptions {
  ncpus?: number;
  sve?: boolean;
  sme?: boolean;
  sme2?: boolean;
  fa64?: boolean;
  vhe?: boolean;
  sveVls?: number[];
  smeVls?: number[];
  /** Number of user tasks (pids 100, 101, ...), all on CPU 0 unless placed otherwise. */
  users?: number;
}

export interface TestWorld {
  machine: Machine;
  kernel: KernelState;
  users: task_struct[];
  idle: task_struct[];
}

export function emptyFpState(): cpu_fp_state {
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

export function newTask(pid: number, mm: boolean, cpu: number, vl: [number, number]): task_struct {
  return {
    pid,
    comm: mm ? `user${pid}` : `swapper/${cpu}`,
    mm,
    flags: 1 << TIF_FOREIGN_FPSTATE,
    thread: {
      uw: { tp_value: 0, tp2_value: 0, fpsimd_state: { vregs: ZERO, fpsr: ZERO } },
      fp_type: FP_STATE_FPSIMD,
      fpsimd_cpu: 256,
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

function defaultVl(vls: number[], cap: number): number {
  const fit = vls.filter((v) => v <= cap);
  return fit.length ? Math.max(...fit) : (vls[0] ?? 0);
}

export function createTestWorld(opts: TestWorldOptions = {}): TestWorld {
  const config: MachineConfig = {
    ncpus: opts.ncpus ?? 2,
    features: {
      fpsimd: true,
      sve: opts.sve ?? true,
      sme: opts.sme ?? true,
      sme2: opts.sme2 ?? false,
      fa64: opts.fa64 ?? false,
      vhe: opts.vhe ?? false,
    },
    sveVls: opts.sve === false ? [] : (opts.sveVls ?? [16, 32, 64]),
    smeVls: opts.sme === false ? [] : (opts.smeVls ?? [16, 32, 64]),
  };
  const machine = createMachine(config);
  const sveDefault = config.features.sve ? defaultVl(config.sveVls, 64) : 0;
  const smeDefault = config.features.sme ? defaultVl(config.smeVls, 32) : 0;
  const idle = machine.cpus.map((_, i) => newTask(i, false, i, [sveDefault, smeDefault]));
  const users = Array.from({ length: opts.users ?? 2 }, (_, i) =>
    newTask(100 + i, true, 0, [sveDefault, smeDefault]),
  );
  const kernel: KernelState = {
    tasks: [...idle, ...users],
    percpu: machine.cpus.map((_, i) => ({
      current: idle[i],
      fpsimd_last_state: emptyFpState(),
      fpsimd_context_busy: false,
      preempt_count: 0,
      softirq_disable: 0,
      irqs_disabled: false,
      in_softirq: false,
      in_hardirq: false,
    })),
    vl_info: [vlInfo(ARM64_VEC_SVE, 'SVE', config.sveVls), vlInfo(ARM64_VEC_SME, 'SME', config.smeVls)],
    default_vl: [sveDefault, smeDefault],
    findings: [],
  };
  return { machine, kernel, users, idle };
}

/** Runs the following kernel code on `cpu`. */
export function onCpu(w: TestWorld, cpu: number): void {
  bindKernel(w.kernel, w.machine, cpu);
}

/** Makes `task` the one running on `cpu` (without any switch code) and binds that CPU. */
export function setCurrent(w: TestWorld, task: task_struct, cpu: number): void {
  w.kernel.percpu[cpu].current = task;
  task.cpu = cpu;
  onCpu(w, cpu);
}

/**
 * Drives a kernel path to its end. At each preemption point `atPoint` may run other kernel code
 * (it must leave the original CPU bound again, or name the CPU to resume on).
 */
export function runPath<R>(
  path: KernelPath<R>,
  atPoint?: (label: string) => void,
): { result: R; points: string[] } {
  const points: string[] = [];
  for (;;) {
    const r = path.next();
    if (r.done) return { result: r.value, points };
    if (r.value.kind === 'point') {
      points.push(r.value.label);
      atPoint?.(r.value.label);
    }
  }
}

/** The finding kinds and places recorded so far, for compact assertions. */
export function findingsOf(w: TestWorld): string[] {
  return w.kernel.findings.map((f) => `${f.kind}:${f.where}:${f.detail}`);
}

/** Fills every bank of `cpu` with a distinct value of writer 1 (V = 1, Zhi = 2, P = 3, FFR = 4,
 *  ZA = 5, ZT0 = 6, FPSR = 7), as a user task running there would. */
export function userWrites(w: TestWorld, cpu: number): void {
  const regs = w.machine.cpus[cpu].regs;
  regs.V = symbolic(1, 1);
  regs.Zhi = symbolic(1, 2);
  regs.P = symbolic(1, 3);
  regs.FFR = symbolic(1, 4);
  regs.ZA = symbolic(1, 5);
  regs.ZT0 = symbolic(1, 6);
  regs.FPSR = symbolic(1, 7);
}
