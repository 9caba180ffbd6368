// Task symmetry: user tasks declared alike (same kind, same vector lengths) and driven by the same
// alphabet are interchangeable, so two states that differ only by which of them is which behave
// alike up to that renaming. The explorer keys each state by the fingerprint of a canonical
// relabelling of its world (tasks ordered by what each one's own data looks like), so the states of
// one orbit merge. A relabelling moves a task's user record and kernel task to another task's slot
// and renames everything that carries a task's identity: its pid (in the run queue too), its name
// and comm, and the writer number inside every symbolic register value. The CPUs of the machine
// are alike too (one configuration for all): a relabelling of CPUs moves a CPU's registers, its
// per-CPU data and its idle task to another CPU's slot and renames the CPU numbers tasks hold
// (task->cpu, thread.fpsimd_cpu) and the ones events carry.
//
// Where a task's identity lives, beyond the fields above, for the host alphabets (signals, ptrace,
// fork, exec, prctl), and why the relabelling above covers it:
// - signal frames (a task's `frames` and the frame records in its user memory) and a tracer's
//   regset buffer (its user memory) hold register images: symbolic values, whose writer the
//   fingerprint renames (VAL_KEYS and VAL_CHUNK_KINDS of world-keys.ts); the rest of a chunk is
//   plain numbers (magics, sizes, vector lengths, flags, addresses the same for every task);
// - queued and taken signals, kernel-generated signals, a ptrace stop and `frozen` hold signal
//   numbers, function names and flags, no task: ptrace keeps no tracer in the world (any other
//   task may act as tracer, and the event names both, as fork names parent and child: events are
//   renamed by relabelEvent, the `task`, `tracer`, `child` and `next` fields);
// - fork writes the child under the pid and name of the unborn slot it claims, which move with
//   the slot; the child's memory and frames are copies of the parent's (writers renamed).
// - the kernel's findings (a forced signal's pid among them) are history, not state (SKIP_KEYS),
//   and an event reads only the ones it adds itself.
// No CPU number is kept in any of these (frames keep stack addresses, not CPUs).
//
// With KVM, a relabelling of CPUs also moves KVM's per-CPU data and renames the CPU a vcpu is
// loaded on (kvm_vcpu.cpu); the rest of KVM's data points at objects (the vcpu, the VMM's FP
// state), which move with what they point at, or names the VMM (kvm_vcpu.pid, GuestProgram.vmm),
// which no relabelling moves.
//
// What stays blocked, and why:
// - configurations with vcpus, by default: sound but not worth its cost (taskSymmetry's `kvm`);
// - the VMM tasks of a configuration with vcpus: a guest names its VMM by name and its vcpu by
//   index, and neither is relabelled (taskSymmetry says what would be needed);
// - CPUs with ptrace on more than two CPUs: PTRACE_CONT wakes the task on its own CPU if idle,
//   otherwise on the lowest-numbered idle CPU (events-host.ts ptraceCont), a choice that names a
//   CPU; with two CPUs the other one is the only choice, which relabelling preserves;
// - several unborn tasks: the explorer offers a fork only into the first unborn task in slot order.
//   Among unborn tasks declared alike the choice does not matter (they hold the same data but for
//   their names until a fork claims one and overwrites it), so with more than one unborn task the
//   declared-unborn tasks of one kind form a class of their own: whatever a relabelling does, the
//   unborn tasks it leaves are alike. A single unborn task is interchangeable with the born tasks of
//   its kind: it is the only fork target in any slot, and nothing reads its data before the fork
//   overwrites it (so after a fork, parent and child are interchangeable).

import { writerOf } from '@kvmfp/machine';
import type { task_struct } from '@kvmfp/fpsimd';
import { worldFingerprint } from './canon.js';
import type { WorldConfig } from './config.js';
import type { Event } from './events.js';
import type { RaceAlphabet } from './explore-alphabet.js';
import type { PathStop } from './runtime.js';
import { Hasher } from './graph.js';
import { VAL_KEYS } from './world-keys.js';
import type { UserProgram, World } from './world.js';

/** The alphabet keys that decide whether tasks may be interchanged. */
export interface SymmetryAlphabet extends RaceAlphabet {
  signal: boolean;
  ptrace: boolean;
  fork: boolean;
  kvmRun: boolean;
  guestExit: boolean;
}

/** Groups of indices into `world.users` whose tasks are interchangeable (each of size >= 2). */
export interface TaskSymmetry {
  classes: number[][];
  /** The machine's CPUs may be relabelled as well (they are all alike). */
  cpus: boolean;
}

/** Why a configuration's CPUs may not be interchanged (null: they may). */
function cpuBlocker(config: WorldConfig, a: SymmetryAlphabet): string | null {
  if (config.machine.ncpus < 2) return 'one CPU';
  if (a.ptrace && config.machine.ncpus > 2)
    return 'PTRACE_CONT wakes its task on the lowest-numbered idle CPU when its own is busy';
  return null;
}

/**
 * The interchangeable tasks of a configuration, or null when there are none. With vcpus, the VMM
 * tasks stay out of every class: to interchange two VMMs a relabelling would have to rename a
 * guest's VMM (GuestProgram.vmm, by name), move each VMM's guests and vcpus with it (w.guests and
 * w.kvm.vcpus by index, a VMM's kpath `guest:<index>`, the `vcpu` field of guest events, the
 * guests' writer numbers) and the pid a vcpu keeps of its VMM (kvm_vcpu.pid). The other tasks,
 * which KVM's data never names, may be interchanged, and so may the CPUs.
 *
 * That is sound (the soundness test walks KVM configurations with it) but off unless `kvm` asks
 * for it: on the KVM configurations measured it merges few states for more time per state (the
 * VMM is never interchangeable with the other task, so a CPU swap needs both to change CPUs).
 * races-kvm.yaml with fewer instructions: 1% fewer states at depth 4 and 6% at depth 6, each run
 * 10-15% slower; races-kvm.yaml and ref.yaml at depth 2: no fewer states, 25-30% slower.
 */
export function taskSymmetry(
  config: WorldConfig,
  a: SymmetryAlphabet,
  { kvm = false }: { kvm?: boolean } = {},
): TaskSymmetry | null {
  if (config.vcpus.length && !kvm) return null;
  const cpus = cpuBlocker(config, a) === null;
  const unborn = config.tasks.filter((t) => t.unborn).length;
  const byKind = new Map<string, number[]>();
  config.tasks.forEach((t, i) => {
    if (config.vcpus.length && t.vmm) return;
    const apart = unborn > 1 && (t.unborn ?? false);
    const kind = JSON.stringify([t.vmm ?? false, apart, t.sveVl ?? null, t.smeVl ?? null]);
    byKind.set(kind, [...(byKind.get(kind) ?? []), i]);
  });
  const classes = [...byKind.values()].filter((c) => c.length >= 2);
  return classes.length || cpus ? { classes, cpus } : null;
}

/**
 * A relabelling of the user tasks: slot `k` of `world.users` receives the task that stood in slot
 * `from[k]`, under the pid, name and writer number of slot `k`.
 */
export interface Relabelling {
  from: number[];
  /** Old pid -> new pid, old writer -> new writer, old name -> new name (moved tasks only). */
  pid: Map<number, number>;
  writer: Map<number, number>;
  name: Map<string, string>;
  /** Old CPU number -> new (moved CPUs only); applied before the tasks are moved. */
  cpu: Map<number, number>;
}

/** The CPU relabelling where slot `k` receives the CPU that was `cpuFrom[k]`. */
function cpuMap(cpuFrom: number[]): Map<number, number> {
  const m = new Map<number, number>();
  cpuFrom.forEach((src, k) => {
    if (src !== k) m.set(src, k);
  });
  return m;
}

function relabelling(w: World, from: number[], cpu = new Map<number, number>()): Relabelling {
  const pid = new Map<number, number>();
  const writer = new Map<number, number>();
  const name = new Map<string, string>();
  from.forEach((src, k) => {
    if (src === k) return;
    pid.set(w.users[src].pid, w.users[k].pid);
    writer.set(w.users[src].writer, w.users[k].writer);
    name.set(w.users[src].name, w.users[k].name);
  });
  return { from, pid, writer, name, cpu };
}

/**
 * A relabelling as two short lists (the task slots' sources, then the CPU slots' sources), for
 * stored states: the maps are rebuilt from the world they were made for (expandRelabelling).
 */
export function compactRelabelling(r: Relabelling, ncpus: number): number[] {
  const cpuFrom = [...Array(ncpus).keys()];
  for (const [src, k] of r.cpu) cpuFrom[k] = src;
  return [...r.from, ...cpuFrom];
}

/** The relabelling compactRelabelling listed, for the world `w` it was made for. */
export function expandRelabelling(w: World, c: readonly number[]): Relabelling {
  const n = w.users.length;
  return relabelling(w, c.slice(0, n), cpuMap(c.slice(n)));
}

function isIdentity(r: Relabelling): boolean {
  return r.pid.size === 0 && r.cpu.size === 0;
}

/**
 * The assignments that relabel a world in place, kept so that they can be undone: the key of a
 * relabelled world is taken on the world itself (no copy per state), which is then put back.
 */
class UndoLog {
  // Three parallel lists instead of an object per assignment: a key takes one log, reused.
  private readonly objs: Record<string, unknown>[] = [];
  private readonly keys: string[] = [];
  private readonly olds: unknown[] = [];

  set<T extends object, K extends keyof T & string>(obj: T, key: K, value: T[K]): void {
    if (obj[key] === value) return;
    this.objs.push(obj as Record<string, unknown>);
    this.keys.push(key);
    this.olds.push(obj[key]);
    obj[key] = value;
  }

  undo(): void {
    for (let i = this.objs.length - 1; i >= 0; i--) this.objs[i][this.keys[i]] = this.olds[i];
    if (this.objs.length !== 0) {
      this.objs.length = 0;
      this.keys.length = 0;
      this.olds.length = 0;
    }
  }
}

/** The one log relabelledKey uses (keys are taken one at a time, and the log is always undone). */
const theLog = new UndoLog();

/**
 * Moves the CPUs of a world (in place, logged): registers, per-CPU data and idle tasks go to their
 * new slots, and the CPU numbers that tasks hold follow.
 */
function moveCpus(w: World, cpu: Map<number, number>, log: UndoLog): void {
  if (cpu.size === 0) return;
  const n = w.machine.cpus.length;
  const to = (c: number) => cpu.get(c) ?? c;
  const cpus = w.machine.cpus.slice();
  const percpu = w.kernel.percpu.slice();
  for (let c = 0; c < n; c++) {
    cpus[to(c)] = w.machine.cpus[c];
    percpu[to(c)] = w.kernel.percpu[c];
  }
  cpus.forEach((x, k) => log.set(x, 'index', k));
  log.set(w.machine, 'cpus', cpus);
  log.set(w.kernel, 'percpu', percpu);
  // The per-CPU data beside the kernel's own, where a world has it: the EFI SVE buffers and KVM's
  // (host context, loaded vcpu); and the CPU a vcpu is loaded on.
  const permute = <T>(xs: T[]): T[] => {
    const out = xs.slice();
    xs.forEach((x, c) => (out[to(c)] = x));
    return out;
  };
  const k = w.kernel as typeof w.kernel & { kvm_percpu?: unknown[] };
  if (k.efi_sve_state) log.set(k, 'efi_sve_state', permute(k.efi_sve_state));
  if (k.kvm_percpu) log.set(k, 'kvm_percpu', permute(k.kvm_percpu));
  for (const v of w.kvm.vcpus) if (v.cpu >= 0 && v.cpu < n) log.set(v, 'cpu', to(v.cpu));
  // Idle tasks are the kernel tasks without an mm whose pid is their CPU's number; their slots
  // and names are read before any pid changes.
  const isIdle = (t: task_struct) => !t.mm && t.pid < n;
  const idleOf = new Map<number, { slot: number; comm: string }>();
  w.kernel.tasks.forEach((t, slot) => isIdle(t) && idleOf.set(t.pid, { slot, comm: t.comm }));
  const tasks = w.kernel.tasks.slice();
  for (const t of w.kernel.tasks) {
    if (isIdle(t)) {
      const target = idleOf.get(to(t.pid))!;
      tasks[target.slot] = t;
      log.set(t, 'pid', to(t.pid));
      log.set(t, 'comm', target.comm);
    }
    log.set(t, 'cpu', to(t.cpu));
    if (t.thread.fpsimd_cpu < n) log.set(t.thread, 'fpsimd_cpu', to(t.thread.fpsimd_cpu));
  }
  log.set(w.kernel, 'tasks', tasks);
}

/** What moving the user tasks needs of the world before any move: per user slot, its identity. */
interface UserSlot {
  pid: number;
  name: string;
  writer: number;
  /** Its kernel task's slot (user tasks keep theirs when CPUs move) and that task's comm. */
  kernelSlot: number;
  comm: string;
}

function userSlots(w: World): UserSlot[] {
  return w.users.map((u) => {
    const kernelSlot = w.kernel.tasks.findIndex((t) => t.pid === u.pid);
    return { pid: u.pid, name: u.name, writer: u.writer, kernelSlot, comm: w.kernel.tasks[kernelSlot].comm };
  });
}

/**
 * Moves the user tasks of `w` (in place, logged), after its CPUs were moved: `slots` were read
 * from `w` before any move.
 */
function moveTasks(w: World, slots: readonly UserSlot[], r: Relabelling, log: UndoLog): void {
  if (r.pid.size === 0) return;
  const users = w.users.slice();
  const tasks = w.kernel.tasks.slice();
  r.from.forEach((src, k) => {
    if (src === k) return;
    const u: UserProgram = w.users[src];
    const target = slots[k];
    const t: task_struct = w.kernel.tasks[slots[src].kernelSlot];
    tasks[target.kernelSlot] = t;
    log.set(t, 'pid', target.pid);
    log.set(t, 'comm', target.comm);
    log.set(u, 'pid', target.pid);
    log.set(u, 'name', target.name);
    log.set(u, 'writer', target.writer);
    users[k] = u;
  });
  log.set(w, 'users', users);
  log.set(w.kernel, 'tasks', tasks);
  log.set(
    w,
    'runq',
    w.runq.map((p) => r.pid.get(p) ?? p),
  );
}

/**
 * The key of `w` relabelled by `r` (but for the writers inside symbolic values: the fingerprint
 * renames those, keyWith's `writers`, which saves a walk of the whole world). The world is
 * relabelled in place and put back before this returns, so it must not be read meanwhile.
 */
function relabelledKey(w: World, r: Relabelling, paths: readonly KeyedPath[]): [number, number] {
  const log = theLog;
  try {
    const slots = r.pid.size ? userSlots(w) : [];
    moveCpus(w, r.cpu, log);
    moveTasks(w, slots, r, log);
    return keyWith(w, paths, r.pid, r.writer, r.cpu);
  } finally {
    log.undo();
  }
}

/** The fields of an event that name a task (relabelEvent renames them). */
const EVENT_TASK_FIELDS = ['task', 'next', 'tracer', 'child'] as const;

/** Whether the relabelling renames anything the event names (else relabelEvent copies it as it is). */
export function relabelsEvent(e: Event, r: Relabelling): boolean {
  const fields = e as unknown as Record<string, unknown>;
  for (const k of EVENT_TASK_FIELDS) {
    const v = fields[k];
    if (typeof v === 'string' && r.name.has(v)) return true;
  }
  return typeof fields.cpu === 'number' && r.cpu.has(fields.cpu);
}

/**
 * What the relabelling makes of the fields of `e` it may rename, as one text: with the event's
 * own text, it determines relabelEvent's result.
 */
export function relabelledFields(e: Event, r: Relabelling): string {
  const fields = e as unknown as Record<string, unknown>;
  let out = '';
  for (const k of EVENT_TASK_FIELDS) {
    const v = fields[k];
    out += typeof v === 'string' ? `${r.name.get(v) ?? v}\u0000` : '\u0001';
  }
  const cpu = fields.cpu;
  return typeof cpu === 'number' ? out + (r.cpu.get(cpu) ?? cpu) : out;
}

/** An event as it reads after the relabelling (the task names it carries, renamed). */
export function relabelEvent(e: Event, r: Relabelling): Event {
  const out: Record<string, unknown> = { ...e };
  for (const k of EVENT_TASK_FIELDS) if (typeof out[k] === 'string') out[k] = r.name.get(out[k]) ?? out[k];
  if (typeof out.cpu === 'number') out.cpu = r.cpu.get(out.cpu) ?? out.cpu;
  return out as unknown as Event;
}

/**
 * A look: a digest of data that names no task and no CPU. Looks only choose which relabellings
 * are fingerprinted (soundness never depends on them, since any relabelling gives a sound key), so
 * a digest serves where a string would: two different looks that hash alike are tried both ways.
 */
class Look {
  private readonly h = new Hasher();

  /** Starts a new look (one Look is reused for every look a key takes: no allocation). */
  start(): this {
    this.h.reset();
    return this;
  }

  add(x: string | number | boolean | null | undefined): this {
    if (typeof x === 'number') this.h.number(x);
    else if (typeof x === 'string') this.h.string(x);
    else this.h.word(x === true ? 1 : x === false ? 2 : x === null ? 3 : 4);
    return this;
  }

  /** The first `n` numbers of `xs` (all by default), after their count. */
  list(xs: readonly number[], n = xs.length): this {
    this.h.word(n);
    for (let i = 0; i < n; i++) this.h.number(xs[i]);
    return this;
  }

  done(): number {
    return this.h.first();
  }
}

/** The one Look in use: looks are taken one after another, never nested. */
const theLook = new Look();

/**
 * What a task's own data looks like, with nothing that names it and no CPU number: where it runs
 * or waits, where its kernel path stands, its flags and FP bookkeeping, and the pattern of its own
 * values in its view. With addCpuPart below, tasks are ordered by this; ties are tried every way.
 */
function ownLook(w: World, i: number): number {
  const u = w.users[i];
  const t = taskOfUser(w, i);
  const th = t.thread;
  const look = theLook.start().add(u.mode).add(u.kpath);
  // Each slot of the view: a value no task wrote as itself, else whether this task wrote it.
  for (const v of u.view.slots) {
    const writer = writerOf(v);
    if (writer === 0) look.add(0).add(v);
    else look.add(writer === u.writer ? 1 : 2);
  }
  look.add(u.retry?.op).add(u.retry?.check).add(u.stop).add(u.view.sm).add(u.view.za);
  look.add(w.runq.indexOf(u.pid));
  // The signal and ptrace data that names no task: queued signals, frames, the stop.
  look.list(u.pending).add(u.frames.length).add(u.signals.length).add(u.frozen).add(u.mm.chunks.length);
  look.add(t.flags).add(th.fp_type).list(th.vl).list(th.vl_onexec).add(th.svcr);
  return look
    .add(th.sve_state === null)
    .add(th.sme_state === null)
    .done();
}

function taskOfUser(w: World, i: number): task_struct {
  return w.kernel.tasks.find((x) => x.pid === w.users[i].pid)!;
}

/** Adds to `look` the CPU numbers a task holds or is held by, read as if the CPUs were moved by `to`. */
function addCpuPart(look: Look, w: World, t: task_struct, slotOf: readonly number[]): Look {
  const n = w.machine.cpus.length;
  const th = t.thread;
  // Sorted, so that the list does not depend on the order the CPUs had before moving: a CPU
  // running the task as 2c, one whose last FP state is the task's as 2c+1.
  const percpu = w.kernel.percpu;
  let count = 0;
  for (let c = 0; c < percpu.length; c++) {
    const p = percpu[c];
    if (p.current === t) held[count++] = 2 * movedTo(slotOf, c);
    else if (p.fpsimd_last_state.st === th.uw.fpsimd_state) held[count++] = 2 * movedTo(slotOf, c) + 1;
  }
  sortBy(held, ascending, count);
  return look
    .list(held, count)
    .add(movedTo(slotOf, t.cpu))
    .add(th.fpsimd_cpu < n ? movedTo(slotOf, th.fpsimd_cpu) : th.fpsimd_cpu);
}

/** The CPUs addCpuPart finds holding a task (a list reused by every call: its first `count`). */
const held: number[] = [];

/** Where an order puts CPU `c` (`slotOf` is its inverse); a number that is no CPU stays. */
function movedTo(slotOf: readonly number[], c: number): number {
  return c >= 0 && c < slotOf.length ? slotOf[c] : c;
}

function ascending(a: number, b: number): number {
  return a - b;
}

/**
 * Sorts the first `n` items of a short list in place by a total order (insertion sort: no work
 * array, unlike sort()).
 */
function sortBy(xs: number[], cmp: (a: number, b: number) => number, n = xs.length): void {
  for (let i = 1; i < n; i++) {
    const x = xs[i];
    let j = i - 1;
    for (; j >= 0 && cmp(xs[j], x) > 0; j--) xs[j + 1] = xs[j];
    xs[j + 1] = x;
  }
}

/** Per CPU, the slot an order moves it to (the inverse of `cpuFrom`), made once per order. */
const inverses = new WeakMap<readonly number[], number[]>();

function inverseOrder(cpuFrom: readonly number[]): number[] {
  let inv = inverses.get(cpuFrom);
  if (!inv) {
    inv = [];
    cpuFrom.forEach((src, k) => (inv![src] = k));
    inverses.set(cpuFrom, inv);
  }
  return inv;
}

/** What a CPU looks like without numbers: its system registers and per-CPU scalars. */
function cpuLook(w: World, c: number): number {
  const cpu = w.machine.cpus[c];
  const p = w.kernel.percpu[c];
  const look = theLook.start();
  for (const k in cpu.sys) {
    // A symbolic value (TPIDR2_EL0) without its writer, which a relabelling of tasks renames.
    const v = cpu.sys[k as keyof typeof cpu.sys];
    if (VAL_KEYS.has(k) && writerOf(v) !== 0) look.add('w');
    else look.add(v);
  }
  look.add(cpu.el).add(cpu.world).add(p.fpsimd_context_busy).add(p.preempt_count);
  look.add(p.softirq_disable).add(p.irqs_disabled).add(p.in_softirq).add(p.in_hardirq);
  return look.add(p.current.mm).done();
}

/** The looks of every task and CPU, taken once per state. */
interface Looks {
  tasks: number[];
  cpus: number[];
}

/** A CPU order, with what the world looks like under it and the task orders to try there. */
interface CpuCandidate {
  cpuFrom: number[];
  /** The CPUs' looks in slot order, then each class's task looks sorted. */
  look: number[];
  orders: number[][];
}

/** Lexicographic order of the CPU looks of a world read in two CPU orders. */
function compareCpuParts(a: readonly number[], b: readonly number[], cpuLooks: readonly number[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = cpuLooks[a[i]];
    const y = cpuLooks[b[i]];
    if (x !== y) return x - y;
  }
  return 0;
}

/** Per user slot, whether it is in one of the symmetry's classes (made once per symmetry). */
const members = new WeakMap<TaskSymmetry, boolean[]>();

function membersOf(sym: TaskSymmetry): boolean[] {
  let m = members.get(sym);
  if (!m) {
    m = [];
    for (const c of sym.classes) for (const i of c) m[i] = true;
    members.set(sym, m);
  }
  return m;
}

/** Lexicographic order of two looks of one world (of equal length). */
function compareLooks(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/**
 * For one order of CPUs: every class of tasks sorted by its look (own look and addCpuPart), the orders
 * of look-alike tasks, and what the whole world looks like so.
 */
function cpuCandidate(
  w: World,
  sym: TaskSymmetry,
  seen: Looks,
  cpuFrom: number[],
  limit: number,
): CpuCandidate {
  const slotOf = inverseOrder(cpuFrom);
  const look: number[] = cpuFrom.map((c) => seen.cpus[c]);
  let orders: number[][] = ordersOf(w.users.length, 1);
  // Per user slot, its look with the CPUs it holds under this order (only class members are read).
  const taskLook: number[] = [];
  for (const cls of sym.classes) {
    for (const i of cls)
      taskLook[i] = addCpuPart(theLook.start().add(seen.tasks[i]), w, taskOfUser(w, i), slotOf).done();
    const sorted = cls.slice();
    sortBy(sorted, (a, b) => taskLook[a] - taskLook[b] || a - b);
    for (const i of sorted) look.push(taskLook[i]);
    const groups: number[][] = [];
    for (const i of sorted) {
      const g = groups[groups.length - 1];
      if (g && taskLook[g[0]] === taskLook[i]) g.push(i);
      else groups.push([i]);
    }
    const next: number[][] = [];
    const arranged = arrangements(groups, limit);
    for (const base of orders)
      for (const arrangement of arranged) {
        const o = base.slice();
        cls.forEach((slot, j) => (o[slot] = arrangement[j]));
        next.push(o);
        if (next.length >= limit) break;
      }
    orders = next;
  }
  return { cpuFrom, look, orders };
}

/** The concatenations of the groups in order, each group in every order (at most `limit`). */
function arrangements(groups: number[][], limit: number): number[][] {
  // Every group of one (no look-alike tasks, the common case): the one concatenation.
  if (groups.every((g) => g.length === 1)) return [groups.map((g) => g[0])];
  let out: number[][] = [[]];
  for (const g of groups) {
    const next: number[][] = [];
    const orders = ordersOf(g.length, limit);
    for (const prefix of out)
      for (const p of orders) if (next.length < limit) next.push([...prefix, ...p.map((j) => g[j])]);
    out = next;
  }
  return out;
}

/**
 * The first `limit` orders of 0..n-1, lexicographic (the first is the identity), made once per
 * size and bound: the CPU orders every state tries, the orders of a class of look-alike tasks,
 * and (limit 1) the identity alone. Only as many as are taken are made: all n! of a large class
 * would be kept for nothing.
 */
const firstOrders = new Map<number, number[][]>();

function ordersOf(n: number, limit: number): number[][] {
  const key = n * 65536 + limit;
  let out = firstOrders.get(key);
  if (out) return out;
  const orders: number[][] = [];
  const used: boolean[] = new Array<boolean>(n).fill(false);
  const order: number[] = [];
  const extend = (): void => {
    if (order.length === n) {
      orders.push(order.slice());
      return;
    }
    for (let i = 0; i < n && orders.length < limit; i++) {
      if (used[i]) continue;
      used[i] = true;
      order.push(i);
      extend();
      order.pop();
      used[i] = false;
    }
  };
  extend();
  firstOrders.set(key, (out = orders));
  return out;
}

/** A suspended path's part of a key: its pid, its signature and, in a guest, the CPU it entered on. */
export interface KeyedPath {
  pid: number;
  sig: [number, number];
  stop?: PathStop;
}

/** The CPU a path in a guest entered on (part of its state: paths.ts GUEST_ANCHOR), or -1. */
function guestCpu(p: KeyedPath, cpuMap?: ReadonlyMap<number, number>): number {
  if (p.stop?.kind !== 'guest' || p.stop.cpu === undefined) return -1;
  return cpuMap?.get(p.stop.cpu) ?? p.stop.cpu;
}

/**
 * The fingerprint of a world joined with its suspended paths, with pids (of the paths) and writers
 * (of the symbolic values) renamed as given.
 */
export function keyWith(
  world: World,
  paths: readonly KeyedPath[],
  pidMap?: ReadonlyMap<number, number>,
  writers?: ReadonlyMap<number, number>,
  cpuMap?: ReadonlyMap<number, number>,
): [number, number] {
  if (paths.length === 0) return worldFingerprint(world, undefined, writers);
  const mapped = paths
    .map((p) => ({ pid: pidMap?.get(p.pid) ?? p.pid, sig: p.sig, cpu: guestCpu(p, cpuMap) }))
    .sort((a, b) => a.pid - b.pid);
  return worldFingerprint(
    world,
    (h: Hasher) => {
      for (const p of mapped) {
        h.word(p.pid);
        h.word(p.sig[0]);
        h.word(p.sig[1]);
        if (p.cpu >= 0) h.word(p.cpu);
      }
    },
    writers,
  );
}

/** At most this many relabellings are tried per state (more only merges less; never unsound). */
const ORDER_LIMIT = 24;

/**
 * The key of a state under task symmetry: the least key over the candidate relabellings, with the
 * relabelling that gave it. Any choice of relabelling is sound (equal keys mean the two states are
 * relabellings of one another); trying the orders of look-alike tasks makes the choice canonical
 * in most states, so orbits merge.
 */
export function symmetricKey(
  world: World,
  paths: readonly KeyedPath[],
  sym: TaskSymmetry,
): { key: [number, number]; relabel: Relabelling; ties?: Relabelling[] } {
  const n = world.machine.cpus.length;
  const cpuOrders = ordersOf(n, sym.cpus ? ORDER_LIMIT : 1);
  // Only the CPU orders under which the world looks least are fingerprinted: the look is taken
  // without numbers, so relabellings of one world pick corresponding orders.
  const member = membersOf(sym);
  const looks: Looks = { tasks: [], cpus: [] };
  for (let i = 0; i < world.users.length; i++) looks.tasks.push(member[i] ? ownLook(world, i) : 0);
  for (let c = 0; c < n; c++) looks.cpus.push(cpuLook(world, c));
  // A candidate's look starts with its CPUs' looks in slot order: only the orders whose CPU part
  // is least can give the least look, so the tasks' looks are taken under those alone.
  let leastCpus = cpuOrders[0];
  for (const cpuFrom of cpuOrders)
    if (compareCpuParts(cpuFrom, leastCpus, looks.cpus) < 0) leastCpus = cpuFrom;
  const cands: CpuCandidate[] = [];
  for (const cpuFrom of cpuOrders)
    if (compareCpuParts(cpuFrom, leastCpus, looks.cpus) === 0)
      cands.push(cpuCandidate(world, sym, looks, cpuFrom, ORDER_LIMIT));
  const least = cands.reduce((m, c) => (compareLooks(c.look, m) < 0 ? c.look : m), cands[0].look);
  let best: { key: [number, number]; relabel: Relabelling } | null = null;
  // The other relabellings that give the least key (the world is its own image under them).
  let ties: Relabelling[] = [];
  let tried = 0;
  for (const c of cands) {
    if (compareLooks(c.look, least) !== 0) continue;
    const cpu = cpuMap(c.cpuFrom);
    for (const from of c.orders) {
      if (tried++ >= ORDER_LIMIT) break;
      const r = relabelling(world, from, cpu);
      const key = isIdentity(r) ? keyWith(world, paths) : relabelledKey(world, r, paths);
      if (!best || key[0] < best.key[0] || (key[0] === best.key[0] && key[1] < best.key[1])) {
        best = { key, relabel: r };
        ties = [];
      } else if (key[0] === best.key[0] && key[1] === best.key[1]) ties.push(r);
    }
  }
  return ties.length ? { ...best!, ties } : best!;
}
