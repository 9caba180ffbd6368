// SPDX-License-Identifier: GPL-2.0-only
//
// Sleep sets (Godefroid's partial-order reduction) over independent events of different CPUs.
// When a state has a path stopped on CPU 0 and another on CPU 1, the explorer meets "step 0 then
// step 1" and "step 1 then step 0": the same world, the same paths at the same points, but a path
// signed by its parent's key (paths.ts) gets a different signature on each side, so both orders
// were kept as two states and each was explored further; so with two instructions, or signals, on
// two CPUs. A sleep set records, per state, the events already explored from an ancestor in the
// other order: after exploring an event from a state, the explorer puts it to sleep in the
// successors of every later event independent of it (and passes it on while the events taken stay
// independent of it), and does not take it there: the other order took it first.
//
// Soundness rests on the independence relation below: two events are independent when both
// orders are enabled, reach the same world with the paths at the same points, with the same
// violations, and behave alike after (sleep.test.ts checks the independent pairs it meets on random
// states of nine configurations against the replayed ground truth). The relation is static, by
// kind of event: a step of the path on a CPU touches that CPU's registers and per-CPU data and the
// task running there; so do the events that act on the task running on a CPU (its instructions, a
// syscall, a signal or sigreturn, prctl, KVM_RUN) and the CPU-local interrupts (softirq NEON). Two
// such events on different CPUs are independent. A preemption takes a task from the run queue:
// two preemptions are dependent, and a preemption is dependent on every event when a path of the
// alphabet can stop or wake a task (ptrace stops and PTRACE_CONT, fork's wake-up, exec). Events
// that name two tasks (ptrace regset access, fork, exec) or a guest are dependent on everything.
//
// With state caching the sleep set of a state is the intersection over the ways it was reached
// (explore.ts): a state already expanded that is reached again with a smaller sleep set is
// expanded again for the events it slept before and does not now.

import type { Event } from './events.js';
import type { World } from './world.js';

/** Event kinds that act only on the CPU they run on and the task running there. */
const CPU_LOCAL = new Set<Event['do']>([
  'step',
  'user',
  'syscall',
  'softirq_neon',
  'signal',
  'sigreturn',
  'prctl',
  'kvm_run',
]);

/** Whether a path of the alphabet may move tasks on or off the run queue (then preemption is dependent). */
export function pathsTouchRunQueue(a: { ptrace: boolean; fork: boolean; exec: boolean }): boolean {
  return a.ptrace || a.fork || a.exec;
}

/** The CPU an event runs on in `w`: its `cpu`, or the CPU its task is running on (-1: none). */
export function cpuOfEvent(w: World, ev: Event): number {
  if ('cpu' in ev && typeof ev.cpu === 'number') return ev.cpu;
  if (!('task' in ev)) return -1;
  const u = w.users.find((x) => x.name === ev.task);
  if (!u) return -1;
  return w.kernel.percpu.findIndex((p) => p.current.pid === u.pid);
}

/**
 * The CPU an event acts on alone (it touches only that CPU and the task running there; see the
 * head of this file), or -1 when it is not CPU-local: taken once per event of a state.
 */
export function localCpu(w: World, ev: Event, runQueueMoves: boolean): number {
  const local = CPU_LOCAL.has(ev.do) || (ev.do === 'preempt' && !runQueueMoves);
  return local ? cpuOfEvent(w, ev) : -1;
}

/**
 * Whether two events are independent, given their localCpu: both CPU-local, on different CPUs,
 * and not two preemptions (both draw from the one run queue).
 */
export function independentOn(cu: number, u: Event, ct: number, t: Event): boolean {
  return cu >= 0 && ct >= 0 && cu !== ct && !(u.do === 'preempt' && t.do === 'preempt');
}

/** Whether two events enabled in `w` are independent (localCpu, then independentOn). */
export function independent(w: World, u: Event, t: Event, runQueueMoves: boolean): boolean {
  return independentOn(localCpu(w, u, runQueueMoves), u, localCpu(w, t, runQueueMoves), t);
}
