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
import { SmallMap, type NumberRenaming } from './renaming.js';
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
  return relabellingOf(w, c.slice(0, n), c.slice(n));
}

/**
 * The relabelling with task order `from` and CPU order `cpuFrom` for `w`: made once per orders and
 * identities of the user slots (pid, writer and name of each, which it renames between) and shared
 * by every state that takes it, since nothing changes a Relabelling once made. A configuration
 * has a few dozen at most; a key takes one per state, which made four maps each time.
 */
function relabellingOf(w: World, from: number[], cpuFrom: readonly number[]): Relabelling {
  // The last few taken first, compared list by list: most keys take one of them.
  for (const m of recentRelabellings)
    if (sameOrder(m.r.from, from) && sameOrder(m.cpuFrom, cpuFrom) && sameSlots(m.users, w.users)) return m.r;
  const made = madeRelabelling(w, from, cpuFrom);
  recentRelabellings.unshift(made);
  if (recentRelabellings.length > 8) recentRelabellings.pop();
  return made.r;
}

/** A relabelling made, with its CPU order and the user slots' identities it was made for. */
interface MadeRelabelling {
  r: Relabelling;
  cpuFrom: readonly number[];
  users: SlotIds;
}

/** The relabellings relabellingOf returned last, newest first (at most 8). */
const recentRelabellings: MadeRelabelling[] = [];

function sameOrder(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function slotIdsOf(w: World): SlotIds {
  return w.users.map((u) => ({ pid: u.pid, writer: u.writer, name: u.name }));
}

/** relabellingOf past its recent ones: the relabellings made so far, by orders and slot identities. */
function madeRelabelling(w: World, from: number[], cpuFrom: readonly number[]): MadeRelabelling {
  const key = `${from.join(',')}|${cpuFrom.join(',')}`;
  let made = relabellings.get(key);
  if (made === undefined) {
    if (relabellings.size >= 4096) relabellings.clear();
    relabellings.set(key, (made = []));
  }
  for (const m of made) if (sameSlots(m.users, w.users)) return m;
  const m = { r: relabelling(w, from, cpuMap([...cpuFrom])), cpuFrom, users: slotIdsOf(w) };
  made.push(m);
  return m;
}

/** The user slots' identities a relabelling was made for. */
type SlotIds = readonly { pid: number; writer: number; name: string }[];

const relabellings = new Map<string, MadeRelabelling[]>();

function sameSlots(ids: SlotIds, users: readonly UserProgram[]): boolean {
  if (ids.length !== users.length) return false;
  for (let i = 0; i < ids.length; i++) {
    const u = users[i];
    if (ids[i].pid !== u.pid || ids[i].writer !== u.writer || ids[i].name !== u.name) return false;
  }
  return true;
}

/**
 * The assignments that relabel a world in place, kept so that they can be undone: the key of a
 * relabelled world is taken on the world itself (no copy per state), which is then put back.
 */
class UndoLog {
  // Three parallel lists instead of an object per assignment: a key takes one log, reused. The
  // first `n` entries are in use; undo blanks them (emptying the lists by length would give their
  // room back, and every key would grow them again).
  private readonly objs: (Record<string | number, unknown> | null)[] = [];
  private readonly keys: (string | number)[] = [];
  private readonly olds: unknown[] = [];
  private n = 0;

  set<T extends object, K extends keyof T & string>(obj: T, key: K, value: T[K]): void {
    this.assign(obj as Record<string, unknown>, key, value);
  }

  /** Sets element `i` of an array (the arrays of a world are permuted in place). */
  setAt<T>(xs: T[], i: number, value: T): void {
    this.assign(xs as unknown as Record<number, unknown>, i, value);
  }

  private assign(obj: Record<string | number, unknown>, key: string | number, value: unknown): void {
    if (obj[key] === value) return;
    this.objs[this.n] = obj;
    this.keys[this.n] = key;
    this.olds[this.n] = obj[key];
    this.n++;
    obj[key] = value;
  }

  undo(): void {
    for (let i = this.n - 1; i >= 0; i--) {
      this.objs[i]![this.keys[i]] = this.olds[i];
      this.objs[i] = null;
      this.olds[i] = undefined;
    }
    this.n = 0;
  }
}

/**
 * Puts the entry of `xs` at `i` to `slotOf[i]` for every `i` (logged); `slotOf` may leave entries
 * past its end where they are.
 */
function permuteInPlace<T>(xs: T[], slotOf: readonly number[], log: UndoLog): void {
  const old = scratch as T[];
  for (let i = 0; i < xs.length; i++) old[i] = xs[i];
  for (let i = 0; i < xs.length; i++) log.setAt(xs, movedTo(slotOf, i), old[i]);
  for (let i = 0; i < xs.length; i++) old[i] = undefined as T;
}

/** permuteInPlace's copy of the entries (reused; emptied after each use). */
const scratch: unknown[] = [];

/** The one log relabelledKey uses (keys are taken one at a time, and the log is always undone). */
const theLog = new UndoLog();

/**
 * Moves the CPUs of a world (in place, logged): registers, per-CPU data and idle tasks go to their
 * new slots, and the CPU numbers that tasks hold follow. `slotOf[c]` is where CPU `c` goes.
 */
function moveCpus(w: World, slotOf: readonly number[], log: UndoLog): void {
  const n = w.machine.cpus.length;
  permuteInPlace(w.machine.cpus, slotOf, log);
  permuteInPlace(w.kernel.percpu, slotOf, log);
  for (let k = 0; k < n; k++) log.set(w.machine.cpus[k], 'index', k);
  // The per-CPU data beside the kernel's own, where a world has it: the EFI SVE buffers and KVM's
  // (host context, loaded vcpu); and the CPU a vcpu is loaded on.
  const k = w.kernel as typeof w.kernel & { kvm_percpu?: unknown[] };
  if (k.efi_sve_state) permuteInPlace(k.efi_sve_state, slotOf, log);
  if (k.kvm_percpu) permuteInPlace(k.kvm_percpu, slotOf, log);
  for (const v of w.kvm.vcpus) if (v.cpu >= 0 && v.cpu < n) log.set(v, 'cpu', slotOf[v.cpu]);
  // Idle tasks are the kernel tasks without an mm whose pid is their CPU's number; their slots
  // and names are read before any pid changes, and the tasks read before any moves.
  const tasks = w.kernel.tasks;
  const m = tasks.length;
  for (let slot = 0; slot < m; slot++) {
    const t = tasks[slot];
    oldTasks[slot] = t;
    if (isIdle(t, n)) {
      idleSlot[t.pid] = slot;
      idleComm[t.pid] = t.comm;
    }
  }
  for (let slot = 0; slot < m; slot++) {
    const t = oldTasks[slot];
    if (isIdle(t, n)) {
      const to = slotOf[t.pid];
      log.setAt(tasks, idleSlot[to], t);
      log.set(t, 'pid', to);
      log.set(t, 'comm', idleComm[to]);
    }
    log.set(t, 'cpu', movedTo(slotOf, t.cpu));
    if (t.thread.fpsimd_cpu < n) log.set(t.thread, 'fpsimd_cpu', slotOf[t.thread.fpsimd_cpu]);
  }
  blank(oldTasks, m);
}

/** Empties the first `n` entries of a reused list (so it keeps nothing alive, and keeps its room). */
function blank<T>(xs: T[], n: number): void {
  for (let i = 0; i < n; i++) xs[i] = undefined as T;
}

/** The kernel's tasks before moveCpus moved any (reused; emptied after each use). */
const oldTasks: task_struct[] = [];

/** Per idle task's pid (its CPU), its slot among the tasks and its comm (scratch for moveCpus). */
const idleSlot: number[] = [];
const idleComm: string[] = [];

function isIdle(t: task_struct, ncpus: number): boolean {
  return !t.mm && t.pid < ncpus;
}

/**
 * Moves the user tasks of `w` (in place, logged), after its CPUs were moved: slot `k` receives the
 * task of slot `from[k]` under slot `k`'s pid, name, writer and comm, which `ids` read from `w`
 * before any move.
 */
function moveTasks(w: World, from: readonly number[], ids: TaskIds, log: UndoLog): void {
  const users = w.users;
  const tasks = w.kernel.tasks;
  // The moved tasks' records, read before any move (user slot k's from oldUsers[k], oldTasks[k]).
  for (let k = 0; k < from.length; k++) {
    oldUsers[k] = users[from[k]];
    oldTasks[k] = tasks[ids.kernelSlot[from[k]]];
  }
  for (let k = 0; k < from.length; k++) {
    if (from[k] === k) continue;
    const u = oldUsers[k];
    const t = oldTasks[k];
    log.setAt(tasks, ids.kernelSlot[k], t);
    log.set(t, 'pid', ids.pid[k]);
    log.set(t, 'comm', ids.comm[k]);
    log.set(u, 'pid', ids.pid[k]);
    log.set(u, 'name', ids.name[k]);
    log.set(u, 'writer', ids.writer[k]);
    log.setAt(users, k, u);
  }
  blank(oldUsers, from.length);
  blank(oldTasks, from.length);
  const runq = w.runq;
  for (let i = 0; i < runq.length; i++) log.setAt(runq, i, trialPid.get(runq[i]) ?? runq[i]);
}

/** The user records before moveTasks moved any (reused; emptied after each use). */
const oldUsers: UserProgram[] = [];

/**
 * Per user slot, what identifies the task standing there (read once per key, before any move):
 * pid, name, writer, its kernel task's slot (user tasks keep theirs when CPUs move) and comm.
 */
interface TaskIds {
  pid: number[];
  name: string[];
  writer: number[];
  kernelSlot: number[];
  comm: string[];
  /** The kernel task of each user slot. */
  task: task_struct[];
}

const theIds: TaskIds = { pid: [], name: [], writer: [], kernelSlot: [], comm: [], task: [] };

function readTaskIds(w: World): TaskIds {
  const ids = theIds;
  // Entries past the world's users (left by a larger world) are never read.
  const m = w.users.length;
  const tasks = w.kernel.tasks;
  for (let i = 0; i < m; i++) {
    const u = w.users[i];
    let slot = 0;
    while (slot < tasks.length && tasks[slot].pid !== u.pid) slot++;
    if (slot === tasks.length)
      throw new Error(`symmetry: user task ${u.name} (pid ${u.pid}) has no kernel task`);
    ids.pid[i] = u.pid;
    ids.name[i] = u.name;
    ids.writer[i] = u.writer;
    ids.kernelSlot[i] = slot;
    ids.comm[i] = tasks[slot].comm;
    ids.task[i] = tasks[slot];
  }
  return ids;
}

// The renaming of a relabelling being tried (one at a time; refilled per trial, never kept):
// old pid -> new pid, old writer -> new writer, old CPU -> new CPU, for moved tasks and CPUs.
const trialPid = new SmallMap();
const trialWriter = new SmallMap();
const trialCpu = new SmallMap();

/** Fills the trial maps for task order `from` and CPU order `cpuFrom`; whether anything moves. */
function fillTrial(ids: TaskIds, from: readonly number[], cpuFrom: readonly number[]): boolean {
  trialPid.clear();
  trialWriter.clear();
  trialCpu.clear();
  for (let k = 0; k < from.length; k++) {
    const src = from[k];
    if (src === k) continue;
    trialPid.add(ids.pid[src], ids.pid[k]);
    trialWriter.add(ids.writer[src], ids.writer[k]);
  }
  for (let k = 0; k < cpuFrom.length; k++) if (cpuFrom[k] !== k) trialCpu.add(cpuFrom[k], k);
  return trialPid.size !== 0 || trialCpu.size !== 0;
}

/**
 * The key of `w` relabelled by the trial (fillTrial: task order `from`, CPU order `cpuFrom`), but
 * for the writers inside symbolic values: the fingerprint renames those, keyWith's `writers`,
 * which saves a walk of the whole world. The world is relabelled in place and put back before
 * this returns, so it must not be read meanwhile.
 */
function relabelledKey(
  w: World,
  ids: TaskIds,
  from: readonly number[],
  cpuFrom: readonly number[],
  paths: readonly KeyedPath[],
): [number, number] {
  const log = theLog;
  try {
    if (trialCpu.size) moveCpus(w, inverseOrder(cpuFrom), log);
    if (trialPid.size) moveTasks(w, from, ids, log);
    return keyWith(w, paths, trialPid, trialWriter, trialCpu);
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
function ownLook(w: World, i: number, ids: TaskIds): number {
  const u = w.users[i];
  const t = ids.task[i];
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

/** The looks of the key being taken (reused by every key; read to the world's counts only). */
const theLooks: Looks = { tasks: [], cpus: [] };

/**
 * A CPU order, with what the world looks like under it. Candidates are reused from key to key
 * (takeCandidate), so their lists are read to their lengths, not to their ends.
 */
interface CpuCandidate {
  cpuFrom: number[];
  /** The CPUs' looks in slot order, then each class's task looks sorted (the first `lookLength`). */
  look: number[];
  lookLength: number;
  /** Each class's user slots in that sorted order, class after class. */
  sorted: number[];
}

/** The candidates of the key being taken (the first `candidateCount`), kept for the next key. */
const candidatePool: CpuCandidate[] = [];
let candidateCount = 0;

function takeCandidate(cpuFrom: number[]): CpuCandidate {
  let c = candidatePool[candidateCount];
  if (c === undefined) candidatePool[candidateCount] = c = { cpuFrom, look: [], lookLength: 0, sorted: [] };
  candidateCount++;
  c.cpuFrom = cpuFrom;
  c.lookLength = 0;
  return c;
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

/** Lexicographic order of two candidates' looks (of one world, so of equal length). */
function compareLooks(a: CpuCandidate, b: CpuCandidate): number {
  for (let i = 0; i < a.lookLength; i++) if (a.look[i] !== b.look[i]) return a.look[i] - b.look[i];
  return 0;
}

/**
 * For one order of CPUs: every class of tasks sorted by its look (own look and addCpuPart), and
 * what the whole world looks like so. The orders of look-alike tasks are made later, for the
 * candidates whose look is least (candidateOrders).
 */
function cpuCandidate(
  w: World,
  sym: TaskSymmetry,
  seen: Looks,
  cpuFrom: number[],
  ids: TaskIds,
): CpuCandidate {
  const slotOf = inverseOrder(cpuFrom);
  const c = takeCandidate(cpuFrom);
  const { look, sorted } = c;
  let at = 0;
  for (const cpu of cpuFrom) look[at++] = seen.cpus[cpu];
  let end = 0;
  for (const cls of sym.classes) {
    // Per user slot, its look with the CPUs it holds under this order (class members only).
    for (const i of cls)
      taskLook[i] = addCpuPart(theLook.start().add(seen.tasks[i]), w, ids.task[i], slotOf).done();
    const start = end;
    for (const i of cls) sorted[end++] = i;
    sortRange(sorted, start, end, byTaskLook);
    for (let k = start; k < end; k++) look[at++] = taskLook[sorted[k]];
  }
  c.lookLength = at;
  return c;
}

/** Per user slot, its look under the CPU order cpuCandidate is taking (a list reused by every call). */
const taskLook: number[] = [];

function byTaskLook(a: number, b: number): number {
  return taskLook[a] - taskLook[b] || a - b;
}

/** Sorts `xs` from `start` to `end` in place (insertion sort, as sortBy). */
function sortRange(xs: number[], start: number, end: number, cmp: (a: number, b: number) => number): void {
  for (let i = start + 1; i < end; i++) {
    const x = xs[i];
    let j = i - 1;
    for (; j >= start && cmp(xs[j], x) > 0; j--) xs[j + 1] = xs[j];
    xs[j + 1] = x;
  }
}

/**
 * The task orders a candidate tries: each class in its sorted order, with every order of the
 * tasks that look alike (at most `limit`, combined class by class).
 */
function candidateOrders(w: World, sym: TaskSymmetry, c: CpuCandidate, limit: number): number[][] {
  if (!hasAlike(sym, c)) {
    // No look-alike tasks (the common case): the one order, each class in its sorted order, made
    // in a list reused by every key (the caller copies what it keeps).
    const order = theOrder;
    const m = w.users.length;
    for (let i = 0; i < m; i++) order[i] = i;
    if (order.length !== m) order.length = m;
    let at = 0;
    for (const cls of sym.classes) for (let j = 0; j < cls.length; j++) order[cls[j]] = c.sorted[at++];
    return theOrders;
  }
  let orders: number[][] = ordersOf(w.users.length, 1);
  let at = 0;
  for (const cls of sym.classes) {
    const first = at;
    at += cls.length;
    // The class's task looks follow the CPUs' looks in the candidate's look, in sorted order.
    const looks = c.cpuFrom.length;
    const groups: number[][] = [];
    let alike = false;
    for (let k = first; k < at; k++) {
      const g = groups[groups.length - 1];
      if (g && c.look[looks + k] === c.look[looks + k - 1]) {
        g.push(c.sorted[k]);
        alike = true;
      } else groups.push([c.sorted[k]]);
    }
    // No look-alike tasks (the common case): the sorted class is the one arrangement.
    const arranged = alike ? arrangements(groups, limit) : [c.sorted.slice(first, at)];
    const next: number[][] = [];
    for (const base of orders)
      for (const arrangement of arranged) {
        const o = base.slice();
        for (let j = 0; j < cls.length; j++) o[cls[j]] = arrangement[j];
        next.push(o);
        if (next.length >= limit) break;
      }
    orders = next;
  }
  return orders;
}

/** Whether two tasks of one class look alike under a candidate (adjacent looks, once sorted, are equal). */
function hasAlike(sym: TaskSymmetry, c: CpuCandidate): boolean {
  const looks = c.cpuFrom.length;
  let at = 0;
  for (const cls of sym.classes) {
    for (let k = at + 1; k < at + cls.length; k++)
      if (c.look[looks + k] === c.look[looks + k - 1]) return true;
    at += cls.length;
  }
  return false;
}

/** candidateOrders's one order when no tasks look alike, and the list holding it (both reused). */
const theOrder: number[] = [];
const theOrders: number[][] = [theOrder];

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
function guestCpu(p: KeyedPath, cpuMap?: NumberRenaming): number {
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
  pidMap?: NumberRenaming,
  writers?: NumberRenaming,
  cpuMap?: NumberRenaming,
): [number, number] {
  if (paths.length === 0) return worldFingerprint(world, undefined, writers);
  // The paths by their pid after renaming (insertion sort into lists kept between keys: a key
  // allocates nothing for them), fed after the world by feedPaths.
  keyedCount = 0;
  for (const p of paths) {
    const pid = pidMap?.get(p.pid) ?? p.pid;
    let j = keyedCount++;
    for (; j > 0 && keyedPid[j - 1] > pid; j--) {
      keyedPid[j] = keyedPid[j - 1];
      keyedSig[j] = keyedSig[j - 1];
      keyedCpu[j] = keyedCpu[j - 1];
    }
    keyedPid[j] = pid;
    keyedSig[j] = p.sig;
    keyedCpu[j] = guestCpu(p, cpuMap);
  }
  return worldFingerprint(world, feedPaths, writers);
}

let keyedCount = 0;
const keyedPid: number[] = [];
const keyedSig: [number, number][] = [];
const keyedCpu: number[] = [];

function feedPaths(h: Hasher): void {
  for (let i = 0; i < keyedCount; i++) {
    h.word(keyedPid[i]);
    h.word(keyedSig[i][0]);
    h.word(keyedSig[i][1]);
    if (keyedCpu[i] >= 0) h.word(keyedCpu[i]);
  }
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
  const ids = readTaskIds(world);
  const looks = theLooks;
  for (let i = 0; i < world.users.length; i++) looks.tasks[i] = member[i] ? ownLook(world, i, ids) : 0;
  for (let c = 0; c < n; c++) looks.cpus[c] = cpuLook(world, c);
  // A candidate's look starts with its CPUs' looks in slot order: only the orders whose CPU part
  // is least can give the least look, so the tasks' looks are taken under those alone.
  let leastCpus = cpuOrders[0];
  for (const cpuFrom of cpuOrders)
    if (compareCpuParts(cpuFrom, leastCpus, looks.cpus) < 0) leastCpus = cpuFrom;
  candidateCount = 0;
  for (const cpuFrom of cpuOrders)
    if (compareCpuParts(cpuFrom, leastCpus, looks.cpus) === 0) cpuCandidate(world, sym, looks, cpuFrom, ids);
  let least = candidatePool[0];
  for (let i = 1; i < candidateCount; i++)
    if (compareLooks(candidatePool[i], least) < 0) least = candidatePool[i];
  // The best order found (task slots' sources, CPU slots' sources), and the others that give the
  // least key (the world is its own image under them): Relabellings are made for these alone.
  // An order may be a list the next candidate reuses (candidateOrders), so those kept are copied.
  let best: [number, number] | null = null;
  let bestFrom: number[] = [];
  let bestCpuFrom: number[] = [];
  let tieOrders: number[][][] = [];
  let tried = 0;
  for (let i = 0; i < candidateCount; i++) {
    const c = candidatePool[i];
    if (compareLooks(c, least) !== 0) continue;
    for (const from of candidateOrders(world, sym, c, ORDER_LIMIT)) {
      if (tried++ >= ORDER_LIMIT) break;
      const key = fillTrial(ids, from, c.cpuFrom)
        ? relabelledKey(world, ids, from, c.cpuFrom, paths)
        : keyWith(world, paths);
      if (!best || key[0] < best[0] || (key[0] === best[0] && key[1] < best[1])) {
        best = key;
        bestFrom = from.slice();
        bestCpuFrom = c.cpuFrom;
        tieOrders = [];
      } else if (key[0] === best[0] && key[1] === best[1]) tieOrders.push([from.slice(), c.cpuFrom]);
    }
  }
  const result = { key: best!, relabel: relabellingOf(world, bestFrom, bestCpuFrom) };
  if (tieOrders.length === 0) return result;
  const ties = tieOrders.map(([from, cpuFrom]) => relabellingOf(world, from, cpuFrom));
  return { ...result, ties };
}
