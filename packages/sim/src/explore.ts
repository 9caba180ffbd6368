// Breadth-first exploration of the states reachable from a configuration, deduplicated by a
// canonical 64-bit fingerprint of the state, so the first violation found is a shortest one. A
// state is the world's data plus, for every kernel path suspended at a preemption point or in a
// guest, where it stands (paths.ts); the history that led there is never part of it, so two orders
// of independent events that reach the same state are explored once and a finite world is
// exhausted. Suspended paths are generators, which cannot be copied: a stored state keeps, per
// path, a short chain of (state, event) pairs that rebuilds it, replayed only when an event
// resumes that path. Chains end at the last anchor, so rebuilding costs the length of one kernel
// path, never the depth.

import type { EntryTable } from '@kvmfp/fpsimd';
import type { WorldConfig } from './config.js';
import { applyEvent, bootstrap, Event, EventError } from './events.js';
import type { FingerprintSet } from './fpset.js';
import { PartSearch, partResult } from './search.js';
import { cloneGraph, loadInto } from './graph.js';
import { PackedWorld, Packer } from './pack.js';
import { checkInvariants } from './invariants.js';
import { attachVcpus } from './kvm.js';
import { offeredOps, raceCandidates, type RaceAlphabet } from './explore-alphabet.js';
import { anchorOf, anchorSignature, restartOf, segmentSignature } from './paths.js';
import {
  compactRelabelling,
  expandRelabelling,
  keyWith,
  relabelEvent,
  symmetricKey,
  taskSymmetry,
  type Relabelling,
  type TaskSymmetry,
} from './symmetry.js';
import { PathNotMaterialised, PathStop, Runtime } from './runtime.js';
import { firedFunction, programNames, shapeOf, signatureOf } from './signature.js';
import type { UserOpKind, Violation, World } from './world.js';
import { createWorld, inPtraceStop, taskOf } from './world.js';

/** The event kinds the explorer offers (ALPHABET_DOC in explore-alphabet.ts describes each key). */
export interface Alphabet extends RaceAlphabet {
  user: UserOpKind[];
  checks: UserOpKind[];
  guest: UserOpKind[];
  guestChecks: UserOpKind[];
  syscall: boolean;
  neon: boolean;
  softirq: boolean;
  preempt: boolean;
  kvmRun: boolean;
  guestExit: boolean;
  /** Host events (events-host.ts): signal delivery and sigreturn. */
  signal: boolean;
  /** ptrace stops, PTRACE_GETREGSET/SETREGSET of the FP regsets, PTRACE_CONT. */
  ptrace: boolean;
  /** PR_SVE_SET_VL / PR_SME_SET_VL to each supported VL. */
  prctl: boolean;
  /** fork into a task declared `unborn`. */
  fork: boolean;
  exec: boolean;
}

export interface ExploreOptions {
  /** Bound on the number of choices (events other than continuing a stopped path); none: exhaust. */
  depth?: number;
  maxStates?: number;
  maxBytes?: number;
  /**
   * Bound on the JavaScript heap plus array buffers (the frontier's packed worlds): past it the
   * search stops cleanly and says so. Default: 85% of the heap limit of this process or thread.
   */
  maxHeapBytes?: number;
  /** Stop after this many distinct violations. */
  maxViolations?: number;
  /** Only the states reachable through the root's candidates whose index falls in this shard: [i, n]. */
  shard?: [number, number];
  onLevel?: (s: LevelStats) => void;
  /**
   * Run every kernel path to its end (or to guest entry) instead of stopping at each preemption
   * point: a coarse, much smaller exploration that sees no interleaving inside a path.
   */
  atomicPaths?: boolean;
  /** Kept for old scripts: continuing a stopped path always costs no depth now. */
  freeSteps?: boolean;
  shouldStop?: () => boolean;
  /** Return the visited set with the result. */
  keepVisited?: boolean;
  /** Called before each state is expanded (progress display; cheap, so call it often). */
  onProgress?: (p: ProgressStats) => void;
  /** Called with each counterexample that becomes the shortest of its signature. */
  onViolation?: (c: Counterexample) => void;
  /** Continue from violating states too (deeper, different bugs behind a violation). */
  expandViolations?: boolean;
  /** Known findings (signature.ts knownKeyOf): states that violate only these are expanded. */
  knownKeys?: readonly string[];
  /**
   * Sleep sets over independent events of different CPUs (sleep.ts; default on): an event already
   * taken in the other order is not taken again. Off: every enabled event of every state.
   */
  sleepSets?: boolean;
  /**
   * Whether interchangeable tasks are merged (symmetry.ts; default on). Read by the Explorer's
   * constructor where a worker builds one; explore() itself keys states as its Explorer does.
   */
  symmetry?: boolean;
}

/** How an Explorer keys states. */
export interface ExplorerOptions {
  /** Merge the states that differ only by which of several interchangeable tasks is which. */
  symmetry?: boolean;
  /** Keep the frontier's worlds packed (pack.ts; default on). Off: whole worlds, as before. */
  packFrontier?: boolean;
  /** The part of a split search this explorer runs (search.ts): its Packer's numbering. */
  part?: number;
}

/** Where a level stands while it is being explored. */
export interface ProgressStats {
  depth: number;
  distinct: number;
  transitions: number;
  /** States of this level expanded so far, out of `frontier`. */
  expanded: number;
  frontier: number;
  violations: number;
}

export interface LevelStats {
  depth: number;
  distinct: number;
  newStates: number;
  transitions: number;
  frontier: number;
}

export interface Counterexample {
  invariant: string;
  detail: string;
  depth: number;
  events: Event[];
  /** The kernel function that fired (signature.ts); absent in reports written before signatures. */
  fired?: string;
  /** Which bug this is, whatever path reached it (signature.ts). */
  signature?: string;
}

export interface ExploreResult {
  distinct: number;
  transitions: number;
  depthReached: number;
  /** The search ended inside its bound (or exhausted the state space) without being stopped. */
  complete: boolean;
  /** The frontier emptied: every reachable state was explored (TLC's "no more states"). */
  exhausted: boolean;
  /** The largest number of choices any explored state needs (the diameter, when exhausted). */
  diameter: number;
  stoppedBy: string | null;
  levels: LevelStats[];
  violations: Counterexample[];
  visitedBytes: number;
  /** Transitions sleep sets saved (not taken), and second expansions they needed. */
  slept?: number;
  reexpanded?: number;
  /** Successors this part handed to the part owning them (a search split between workers). */
  handedOver?: number;
  /** Of those, the ones handed over without their world: their owner had stored them (search.ts). */
  handedBare?: number;
  /** The visited set, packed, when asked for (shard reports and merging). */
  visited?: ReturnType<FingerprintSet['pack']>;
}

/** One step of a path's history: the state it was taken from and the event. */
export interface Segment {
  prev: Segment | null;
  /** The world the event was taken from: packed when it came from the explorer's frontier. */
  snap: World | PackedWorld;
  ev: Event;
  /** On a chain's first segment: the path was restarted from data at this anchor before `ev`. */
  from?: { stop: PathStop; tag: string };
  /**
   * `snap` is exactly the world the previous segment's event made (the path stopped, and this
   * event was taken from the state it stopped in): a replay already holds it, so it is not loaded.
   */
  continues?: true;
}

/** A suspended kernel path of a stored state: its signature and how to rebuild it. */
export interface PathRef {
  pid: number;
  sig: [number, number];
  /**
   * The events (each from its state) that take a fresh world's path of `pid` to this stop; none
   * when the anchor it stopped at restarts the path from data (paths.ts).
   */
  chain: Segment | null;
  /** Where the path stopped (checked when it is rebuilt) and what started it. */
  stop: PathStop;
  label: string;
  tag: string;
  /**
   * The history of the state whose world the chain's last event made, when a replay of the chain
   * makes it exactly (no violation was recorded after the event: a replay records none), so
   * rebuilding the path for that state needs no load of its world.
   */
  at?: History;
}

/**
 * Whether a replay of `p`'s chain makes exactly the world of the state whose history is `hist`:
 * its chain's last event made that state (PathRef.at). The one test of that relation, for
 * rebuilding paths, for chaining the next segment, and for handing a state to another part.
 */
export function replayMakes(p: PathRef, hist: History | null): boolean {
  return p.at !== undefined && p.at === hist;
}

/** The events from the initial state, newest first (shared between states). */
export interface History {
  ev: Event;
  prev: History | null;
}

export interface Node {
  /**
   * The world's data (never mutated once stored; a node unpacked from the frontier may give its
   * world to the last event taken from it: Explorer.step).
   */
  world: World;
  key: [number, number];
  paths: PathRef[];
  depth: number;
  hist: History | null;
  /** The relabelling of tasks under which `key` was taken (task symmetry); absent: none. */
  relabel?: Relabelling;
  /** Other relabellings that give the same key (the state is its own mirror image under them). */
  ties?: Relabelling[];
  /** The same world packed, when the node came from the explorer's frontier (pack.ts). */
  packed?: PackedWorld;
}

/** A node as the frontier keeps it: its world packed, unpacked again when it is expanded. */
export type StoredNode = Omit<Node, 'world' | 'relabel' | 'ties'> & {
  packed?: PackedWorld;
  world?: World;
  /** Whole-world nodes keep their relabellings as they are. */
  relabel?: Relabelling;
  ties?: Relabelling[];
  /** Packed nodes keep them as lists (symmetry.ts compactRelabelling), rebuilt when expanded. */
  relabelList?: number[];
  tieLists?: number[][];
  /**
   * A second expansion of a state already expanded (sleep sets): only these events (canonical
   * keys, eventKey; 'all': every event), with `sleep` (canonical keys) as the sleep set.
   */
  only?: string[] | 'all';
  sleep?: string[];
};

/** What applying one event to a stored state gave. */
export interface Step {
  rt: Runtime;
  enabled: boolean;
  /** Violations the event (or the invariants after it, or a BUG) produced. */
  violations: Violation[];
  /** The successor state, when the event was enabled and the world is not dead. */
  child?: Node;
}

/**
 * The identity of a state: the canonical fingerprint of the world's data joined with, for every
 * suspended kernel path, its pid and signature (paths.ts). The history never joins it.
 */
export function stateKey(
  world: World,
  paths: readonly { pid: number; sig: [number, number] }[],
): [number, number] {
  return keyWith(world, paths);
}

export function historyOf(n: Pick<Node, 'hist'>): Event[] {
  const out: Event[] = [];
  for (let h = n.hist; h; h = h.prev) out.push(h.ev);
  return out.reverse();
}

/** The event without its stopping label: its path runs to the end (or to guest entry). */
function wholePath(e: Event): Event {
  if (!('to' in e)) return e;
  const { to: _to, ...rest } = e;
  return rest;
}

/**
 * Violations are kept one per signature (signature.ts): the shortest, ties broken by text. Reports
 * from before signatures fall back to (invariant, kind of last event).
 */
export function violationKind(c: Counterexample): string {
  return c.signature ?? `${c.invariant}/${c.events[c.events.length - 1]?.do ?? ''}`;
}

/** Keeps `c` if it is the first or the shortest of its kind; true when it was kept. */
export function keepShortest(best: Map<string, Counterexample>, c: Counterexample): boolean {
  const kind = violationKind(c);
  const old = best.get(kind);
  if (
    !old ||
    c.depth < old.depth ||
    (c.depth === old.depth && JSON.stringify(c.events) < JSON.stringify(old.events))
  ) {
    best.set(kind, c);
    return true;
  }
  return false;
}

export function sortedViolations(best: Map<string, Counterexample>): Counterexample[] {
  return [...best.values()].sort(
    (a, b) => a.depth - b.depth || violationKind(a).localeCompare(violationKind(b)),
  );
}

/** Whether rebuilding the paths in `need` replays a chain (else each is restarted from data). */
function replays(n: Node, need: ReadonlySet<number>): boolean {
  return need.size > 0 && n.paths.some((p) => p.chain !== null && need.has(p.pid));
}

/** How many unpacked segment worlds an explorer keeps for replays (snapWorld). */
const SNAPS_KEPT = 8;

/** A segment world kept by snapWorld: the packed world it was asked for, and its bytes' digest. */
class SnapEntry {
  constructor(
    readonly packed: PackedWorld,
    readonly by: Packer,
    readonly digest: number,
    readonly world: World,
  ) {}

  /** Whether these are the bytes this entry unpacked, read by the same Packer. */
  holds(by: Packer, digest: number, bytes: Uint8Array): boolean {
    if (by !== this.by || digest !== this.digest) return false;
    const mine = this.packed.bytes;
    if (mine.length !== bytes.length) return false;
    for (let i = 0; i < bytes.length; i++) if (mine[i] !== bytes[i]) return false;
    return true;
  }
}

/** A 32-bit FNV-1a digest of some bytes (a filter before comparing them whole). */
function bytesDigest(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return h >>> 0;
}

export class Explorer {
  /** Chains of paths stopped at an anchor, one per (pid, signature): the first that got there. */
  private readonly anchorChains = new Map<string, Segment>();
  /** The segment worlds replays unpacked last, least recently used first (snapWorld). */
  private readonly snaps: SnapEntry[] = [];
  /** The interchangeable tasks whose states are merged, or null (symmetry.ts). */
  readonly symmetry: TaskSymmetry | null;
  /** Events replayed to rebuild paths so far (a count for `npm run bench`). */
  replayed = 0;
  /** Loads a replay did without, its world already the one to load (Segment.continues, PathRef.at). */
  loadsSaved = 0;
  /** Whether replays do without those loads (off: every segment and the state loaded, as before). */
  saveLoads = true;
  /**
   * Tests: at every load a replay does without, pack the world it holds and the one it would have
   * loaded, and throw if they differ (the claim that the replay made it exactly).
   */
  checkSavedLoads = false;
  /** Packs the worlds the frontier and the rebuild chains keep (pack.ts). */
  readonly packer: Packer;
  readonly packFrontier: boolean;

  constructor(
    readonly config: WorldConfig,
    readonly table: EntryTable,
    readonly alphabet: Alphabet,
    readonly rev: string,
    readonly mutant: string | null,
    options: ExplorerOptions = {},
  ) {
    this.symmetry = options.symmetry === false ? null : taskSymmetry(config, alphabet);
    this.packFrontier = options.packFrontier !== false;
    this.packer = new Packer(options.part ?? 0);
  }

  /** The key of a state, and the relabelling of tasks it was taken under (task symmetry). */
  keyOf(
    world: World,
    paths: readonly PathRef[],
  ): { key: [number, number]; relabel?: Relabelling; ties?: Relabelling[] } {
    if (!this.symmetry) return { key: keyWith(world, paths) };
    return symmetricKey(world, paths, this.symmetry);
  }

  initial(): Node {
    const world = createWorld(this.config, this.rev, this.mutant);
    const rt = new Runtime(world, this.table, false);
    attachVcpus(rt, this.config);
    bootstrap(rt);
    if (rt.inFlight().length) throw new Error('explore: a kernel path is in flight in the initial world');
    return { world, ...this.keyOf(world, []), paths: [], depth: 0, hist: null };
  }

  /** The fired function per violation shape (shapeOf): a traced replay is too slow to run per transition. */
  private readonly firedByShape = new Map<string, ReturnType<typeof firedFunction>>();

  /** A counterexample with its signature; the fired function comes from one traced replay per shape. */
  counterexample(invariant: string, detail: string, depth: number, events: Event[]): Counterexample {
    const names = programNames(this.config);
    const shape = shapeOf(invariant, detail, names, events[events.length - 1]);
    let fired = this.firedByShape.get(shape);
    if (fired === undefined)
      this.firedByShape.set(shape, (fired = firedFunction(this, events, invariant, detail)));
    return {
      invariant,
      detail,
      depth,
      events,
      fired: fired.fired,
      signature: signatureOf(invariant, detail, names, fired),
    };
  }

  /**
   * A runtime on a copy of the node's world, its paths known but not materialised, except those
   * in `need` (rebuilt from their chains).
   */
  rebuild(n: Node, need: ReadonlySet<number> = new Set(), into?: World): Runtime {
    // Replaying a chain first loads its oldest world over the target (and the node's world back
    // after), so with one to replay first a load of the node's world now would go unread. The
    // node's own world as target (Explorer.step, no path to rebuild) needs no load either.
    const first = need.size ? n.paths.find((p) => need.has(p.pid)) : undefined;
    if (into && into !== n.world && !first?.chain) loadInto(into, n.world);
    const rt = new Runtime(into ?? cloneGraph(n.world), this.table, false);
    for (const p of n.paths) rt.lazy.add(p.pid);
    for (const p of n.paths) if (need.has(p.pid)) this.materialise(rt, n, p);
    rt.touched.clear();
    return rt;
  }

  /**
   * Rebuilds one path: replays its chain (each event from the state it was taken in, loaded into
   * the runtime's world in place, so the generator's references stay valid), keeps the path, and
   * loads the node's world back. Other paths the replay leaves are dropped.
   */
  private materialise(rt: Runtime, n: Node, p: PathRef): void {
    if (!p.chain) {
      rt.lazy.delete(p.pid);
      this.restart(rt, p.pid, p.stop, p.tag);
      return;
    }
    const segs: Segment[] = [];
    for (let s: Segment | null = p.chain; s; s = s.prev) segs.push(s);
    segs.reverse();
    const kept = new Map(rt.paths);
    const keptTags = new Map(rt.tags);
    const keptStops = new Map(rt.stops);
    const lazy = [...rt.lazy].filter((x) => x !== p.pid);
    rt.paths.clear();
    rt.lazy.clear();
    this.replayed += segs.length;
    for (const s of segs) {
      for (const pid of [...rt.paths.keys()]) if (pid !== p.pid) rt.paths.delete(pid);
      if (this.saveLoads && s.continues && s !== segs[0]) this.saveLoad(rt.world, s.snap);
      else loadInto(rt.world, this.snapWorld(s.snap));
      if (s.from) this.restart(rt, p.pid, s.from.stop, s.from.tag);
      applyEvent(rt, s.ev);
    }
    const path = rt.paths.get(p.pid);
    const stop = rt.stops.get(p.pid);
    const label =
      stop?.kind === 'point' ? stop.label : stop?.kind === 'guest' ? `guest:${stop.vcpuId}` : 'none';
    if (!path || label !== p.label || rt.dead)
      throw new Error(`explore: rebuilding pid ${p.pid} stopped at ${label}, not ${p.label}`);
    const tag = rt.tags.get(p.pid)!;
    rt.paths.clear();
    rt.tags.clear();
    rt.stops.clear();
    for (const [pid, g] of kept) rt.paths.set(pid, g);
    for (const [pid, t] of keptTags) rt.tags.set(pid, t);
    for (const [pid, t] of keptStops) rt.stops.set(pid, t);
    rt.paths.set(p.pid, path);
    rt.tags.set(p.pid, tag);
    rt.stops.set(p.pid, stop!);
    for (const pid of lazy) rt.lazy.add(pid);
    if (this.saveLoads && replayMakes(p, n.hist)) this.saveLoad(rt.world, n.packed ?? n.world);
    else loadInto(rt.world, n.world);
    rt.dead = null;
  }

  /** A load a replay does without: `world` already holds `instead` (checked in tests). */
  private saveLoad(world: World, instead: World | PackedWorld): void {
    this.loadsSaved++;
    if (!this.checkSavedLoads) return;
    const held = this.packer.pack(world).bytes;
    const wanted = instead instanceof PackedWorld ? instead.bytes : this.packer.pack(instead).bytes;
    if (held.length !== wanted.length || held.some((b, i) => b !== wanted[i]))
      throw new Error('explore: a replay did without a load, but its world is not the one to load');
  }

  /**
   * The world of a chain segment, to load from. Replays repeat the same few segments (a chain to
   * an anchor is shared by every state whose path stopped there: on the tiny world to depth 8,
   * 18,588 of 18,593 segment worlds unpacked were among the last eight), so the last ones unpacked
   * are kept; they are only ever read. A segment that came from another part of a split search
   * arrives as a new copy of its bytes with every batch that names it, so a copy is also matched
   * by its bytes (and the Packer that reads them): equal bytes read by one Packer unpack to equal
   * worlds. Without that, a two-part search unpacked a segment world per replay of another part's
   * chain (sched-sve.yaml to depth 6: 9,454 unpacks instead of 5).
   */
  private snapWorld(snap: World | PackedWorld): World {
    if (!(snap instanceof PackedWorld)) return snap;
    const kept = this.snaps;
    let i = kept.length - 1;
    while (i >= 0 && kept[i].packed !== snap) i--;
    let entry: SnapEntry;
    if (i >= 0) entry = kept.splice(i, 1)[0];
    else {
      const by = snap.by ?? this.packer;
      const digest = bytesDigest(snap.bytes);
      i = kept.length - 1;
      while (i >= 0 && !kept[i].holds(by, digest, snap.bytes)) i--;
      // A copy takes over the entry of the bytes it matched (one entry per world kept).
      const world = i >= 0 ? kept.splice(i, 1)[0].world : this.packer.unpack<World>(snap);
      entry = new SnapEntry(snap, by, digest, world);
      if (kept.length >= SNAPS_KEPT) kept.shift();
    }
    // Most recently used last: the first is the one to drop.
    kept.push(entry);
    return entry.world;
  }

  /** The node as the frontier keeps it: its world packed (the world itself is dropped). */
  store(n: Node): StoredNode {
    if (!this.packFrontier) return n;
    const ncpus = n.world.machine.cpus.length;
    // Fields named one by one (a spread of the rest measured slower: nodes come in several layouts).
    return {
      key: n.key,
      paths: n.paths,
      depth: n.depth,
      hist: n.hist,
      packed: n.packed ?? this.packer.pack(n.world),
      relabelList: n.relabel && compactRelabelling(n.relabel, ncpus),
      tieLists: n.ties?.map((r) => compactRelabelling(r, ncpus)),
    };
  }

  /** A stored node with its world unpacked (and its relabellings rebuilt), for expanding it. */
  load(s: StoredNode): Node {
    if (!s.packed) return s as Node;
    const world = this.packer.unpack<World>(s.packed);
    return {
      world,
      key: s.key,
      paths: s.paths,
      depth: s.depth,
      hist: s.hist,
      packed: s.packed,
      relabel: s.relabelList && expandRelabelling(world, s.relabelList),
      ties: s.tieLists?.map((c) => expandRelabelling(world, c)),
    };
  }

  /** Puts a path stopped where it restarts from data (paths.ts restartOf) back as a fresh generator. */
  private restart(rt: Runtime, pid: number, stop: PathStop, tag: string): void {
    const restart = restartOf(stop, tag);
    if (!restart || stop.kind !== 'point')
      throw new Error(`explore: pid ${pid} cannot restart at ${JSON.stringify(stop)}`);
    rt.paths.set(pid, restart(taskOf(rt.world, pid), stop.locals ?? {}, tag));
    rt.tags.set(pid, tag);
    rt.stops.set(pid, stop);
  }

  /** The paths an event resumes, as far as the world tells beforehand (a miss costs a retry). */
  private predictNeeds(n: Node, ev: Event): Set<number> {
    const w = n.world;
    const need = new Set<number>();
    if (n.paths.length === 0) return need;
    let pid: number | undefined;
    if (ev.do === 'step') pid = w.kernel.percpu[ev.cpu]?.current.pid;
    else if (ev.do === 'guest' || ev.do === 'guest_exit')
      pid = w.users.find((u) => u.kpath === `guest:${w.guests.find((g) => g.name === ev.vcpu)?.vcpuId}`)?.pid;
    else if ('task' in ev) {
      const task = ev.task;
      pid = w.users.find((u) => u.name === task)?.pid;
    }
    if (pid !== undefined && n.paths.some((p) => p.pid === pid)) need.add(pid);
    return need;
  }

  /**
   * Applies `ev` to the state `n`: whether it was enabled, what it violated, and the successor.
   * With `into`, the event runs on that world (loaded with `n`'s data in place) instead of a
   * fresh clone, and the successor's world is `into`: the caller must be done with it (packed or
   * dropped) before passing it again. With `last` (no event will be taken from `n` after this
   * one, and `n` was unpacked from the frontier), the event may run on `n.world` itself.
   */
  step(n: Node, ev: Event, into?: World, last = false): Step {
    let need = this.predictNeeds(n, ev);
    // The last event taken from a node unpacked for expansion may run on the node's own world (no
    // load into the working world). Paths are not replayed there (a replay loads other worlds into
    // its target and the node's world back after), but a path restarted from data is (a fresh
    // generator on the world's own objects, nothing loaded): an event predicted to resume a path
    // with a chain runs on the working world, and one that meets a path unpredicted is retried
    // there on a fresh copy.
    let own = last && n.packed !== undefined && into !== undefined && !replays(n, need);
    for (;;) {
      const rt = this.rebuild(n, need, own ? n.world : into);
      const before = rt.world.violations.length;
      try {
        applyEvent(rt, ev);
      } catch (e) {
        if (e instanceof PathNotMaterialised) {
          need = new Set([...need, e.pid]);
          if (own) {
            // The event ran part way on the node's world: the node gets its world back, unpacked.
            n.world = this.packer.unpack<World>(n.packed!);
            own = false;
          }
          continue;
        }
        if (e instanceof EventError) return { rt, enabled: false, violations: [] };
        throw e;
      }
      checkInvariants(rt.world);
      if (rt.dead && rt.world.violations.length === before)
        rt.world.violations.push({ invariant: 'no-warn-or-bug', detail: rt.dead, step: rt.world.step });
      const violations = rt.world.violations.slice(before);
      if (rt.dead) return { rt, enabled: true, violations };
      const hist: History = { ev, prev: n.hist };
      const paths = this.successorPaths(n, rt, ev, violations.length === 0 ? hist : null);
      const child: Node = {
        world: rt.world,
        ...this.keyOf(rt.world, paths),
        paths,
        depth: ev.do === 'step' ? n.depth : n.depth + 1,
        hist,
      };
      return { rt, enabled: true, violations, child };
    }
  }

  /**
   * The paths after `ev`: untouched ones as they were, touched ones with a new signature and chain.
   * `exact`: the successor's history when `ev` recorded no violation (PathRef.at).
   */
  private successorPaths(n: Node, rt: Runtime, ev: Event, exact: History | null): PathRef[] {
    const out: PathRef[] = [];
    // A path stopped elsewhere than at an anchor is signed by the parent's key and the event, both
    // read under the parent's relabelling of tasks (with the path's pid): equal signatures then
    // mean the same event on the same state up to that relabelling, so the paths are alike. When
    // several relabellings give the parent's key (the parent is its own mirror image), any of
    // them is a sound reading; the least signature over all of them is also canonical, so an
    // event and its mirror image on such a parent give the same signature.
    // The event's text under each relabelling, made when a path is first signed with it.
    let texts: Map<Relabelling | undefined, string> | null = null;
    for (const pid of rt.inFlight()) {
      const old = n.paths.find((p) => p.pid === pid);
      if (!rt.touched.has(pid) && old) {
        out.push(old);
        continue;
      }
      const stop = rt.stops.get(pid)!;
      const label =
        stop.kind === 'point' ? stop.label : stop.kind === 'guest' ? `guest:${stop.vcpuId}` : 'none';
      const tag = rt.tags.get(pid)!;
      const anchor = anchorOf(stop);
      if (anchor?.restart) {
        out.push({ pid, sig: anchorSignature(stop, anchor, tag), chain: null, stop, label, tag });
        continue;
      }
      const seg: Segment = {
        prev: old?.chain ?? null,
        snap: n.packed ?? n.world,
        ev,
        from: old && !old.chain ? { stop: old.stop, tag: old.tag } : undefined,
      };
      // The old chain's last event made this state's world exactly: a replay holds it already.
      if (old && replayMakes(old, n.hist)) seg.continues = true;
      if (anchor) {
        const sig = anchorSignature(stop, anchor, tag);
        const k = `${pid}:${sig[0]}:${sig[1]}:${stop.kind === 'guest' ? stop.cpu : ''}`;
        let chain = this.anchorChains.get(k);
        if (!chain) this.anchorChains.set(k, (chain = seg));
        out.push({ pid, sig, chain, stop, label, tag });
      } else {
        texts ??= new Map();
        let sig = this.signed(n, ev, pid, n.relabel, texts);
        for (const r of n.ties ?? []) {
          const other = this.signed(n, ev, pid, r, texts);
          if (other[0] < sig[0] || (other[0] === sig[0] && other[1] < sig[1])) sig = other;
        }
        // Signed by how it got there, but rebuilt from data where the point allows (paths.ts).
        const chain = restartOf(stop, tag) ? null : seg;
        // A replay of this chain makes the successor's world too: a replayed event has this path
        // alone, and does what it did (an event that resumed another path cannot be replayed at all:
        // Runtime.resume throws, and a path it started is started again). What it cannot make are
        // the violations checkInvariants recorded after the event: `exact` is null then.
        out.push({ pid, sig, chain, stop, label, tag, at: chain && exact ? exact : undefined });
      }
    }
    return out;
  }

  /** The signature of path `pid` after `ev` on `n`, read under relabelling `r` (successorPaths). */
  private signed(
    n: Node,
    ev: Event,
    pid: number,
    r: Relabelling | undefined,
    texts: Map<Relabelling | undefined, string>,
  ): [number, number] {
    let text = texts.get(r);
    if (text === undefined) texts.set(r, (text = JSON.stringify(r ? relabelEvent(ev, r) : ev)));
    return segmentSignature(n.key, text, r?.pid.get(pid) ?? pid);
  }

  candidates(w: World): Event[] {
    const a = this.alphabet;
    const out: Event[] = [];
    const running = new Map(w.kernel.percpu.map((p, cpu) => [p.current.pid, cpu]));
    for (const u of w.users) {
      const cpu = running.get(u.pid);
      if (cpu === undefined) continue;
      if (u.mode === 'user') {
        for (const op of offeredOps(w, u, a.user, a)) out.push({ do: 'user', task: u.name, op, to: 'first' });
        for (const op of offeredOps(w, u, a.checks, a))
          out.push({ do: 'user', task: u.name, op, check: true, to: 'first' });
        if (a.syscall) out.push({ do: 'syscall', task: u.name, to: 'first' });
        if (a.neon) out.push({ do: 'syscall', task: u.name, neon: true, to: 'first' });
        if (a.kvmRun && u.vmm) out.push({ do: 'kvm_run', task: u.name, to: 'first' });
      } else if (u.kpath?.startsWith('guest:')) {
        const g = w.guests[Number(u.kpath.slice(6))];
        for (const op of a.guest) out.push({ do: 'guest', vcpu: g.name, op });
        for (const op of a.guestChecks) out.push({ do: 'guest', vcpu: g.name, op, check: true });
        if (a.guestExit) out.push({ do: 'guest_exit', vcpu: g.name, to: 'first' });
        continue;
      } else {
        out.push({ do: 'step', cpu, to: 'first' });
      }
      if (a.softirq) out.push({ do: 'softirq_neon', cpu, to: 'first' });
      if (a.preempt)
        for (const pid of w.runq)
          out.push({ do: 'preempt', cpu, next: w.users.find((x) => x.pid === pid)!.name });
    }
    this.hostCandidates(w, running, out);
    raceCandidates(w, a, a, running, out);
    return out;
  }

  /** The host events of the alphabet (events-host.ts), for the programs where each is enabled. */
  private hostCandidates(w: World, running: Map<number, number>, out: Event[]): void {
    const a = this.alphabet;
    const f = w.machine.config.features;
    const inUser = w.users.filter((u) => u.mode === 'user' && running.has(u.pid));
    for (const u of inUser) {
      if (a.signal && u.pending.length === 0 && u.frames.length < 2)
        out.push({ do: 'signal', task: u.name, to: 'first' });
      if (a.signal && u.frames.length) out.push({ do: 'sigreturn', task: u.name, to: 'first' });
      if (a.prctl) {
        if (f.sve)
          for (const vl of w.machine.config.sveVls)
            out.push({ do: 'prctl', task: u.name, op: 'sve_set_vl', vl, to: 'first' });
        if (f.sme)
          for (const vl of w.machine.config.smeVls)
            out.push({ do: 'prctl', task: u.name, op: 'sme_set_vl', vl, to: 'first' });
      }
      if (a.fork) {
        const child = w.users.find((c) => c.mode === 'unborn');
        if (child) out.push({ do: 'fork', task: u.name, child: child.name, to: 'first' });
      }
      if (a.exec) out.push({ do: 'exec', task: u.name, to: 'first' });
      if (a.ptrace && w.users.length > 1 && u.stop === 'none') out.push({ do: 'ptrace_stop', task: u.name });
    }
    if (a.ptrace)
      for (const t of w.users.filter((x) => inPtraceStop(w, x) && !x.frozen)) {
        out.push({ do: 'ptrace_cont', task: t.name, to: 'first' });
        for (const tr of inUser) {
          if (tr === t) continue;
          const sets: { regset: 'fpr' | 'sve' | 'ssve' | 'za' | 'zt'; ok: boolean }[] = [
            { regset: 'fpr', ok: f.fpsimd },
            { regset: 'sve', ok: f.sve },
            { regset: 'ssve', ok: f.sme },
            { regset: 'za', ok: f.sme },
            { regset: 'zt', ok: f.sme2 },
          ];
          for (const { regset, ok } of sets) {
            if (!ok) continue;
            out.push({ do: 'ptrace_get', tracer: tr.name, task: t.name, regset, to: 'first' });
            out.push({ do: 'ptrace_set', tracer: tr.name, task: t.name, regset, to: 'first' });
          }
        }
      }
    // A CPU left idle (a task stopped, or a child waits to run) takes a runnable task.
    if (a.preempt && (a.ptrace || a.fork))
      w.kernel.percpu.forEach((p, cpu) => {
        if (p.current.mm) return;
        for (const pid of w.runq)
          out.push({ do: 'preempt', cpu, next: w.users.find((x) => x.pid === pid)!.name });
      });
  }

  /**
   * Breadth-first search over states, where continuing a stopped path costs no depth (0-1 BFS):
   * a state's depth is the least number of choices that reach it, so the first violation found
   * is a shortest one. Without a depth bound the search runs until no new state is left. Runs
   * the search as one part (search.ts), in rounds, as the parts in worker threads run it.
   */
  explore(opts: ExploreOptions): ExploreResult {
    const s = new PartSearch(this, opts, 0, 1);
    for (;;) {
      const r = s.round();
      s.merge([]);
      if (!s.stoppedBy && r.atDepth > 0) continue;
      // (Not opts.onLevel?.(s.advance()): an absent hook would skip the advance.)
      const lv = s.advance();
      opts.onLevel?.(lv);
      if (s.stoppedBy || s.queued.now === 0) break;
    }
    return partResult(s, opts.keepVisited ?? false, {
      stoppedBy: s.stoppedBy,
      exhausted: !s.stoppedBy && s.queued.now === 0 && !s.cut,
    });
  }

  /** The candidates at a node (its world, as stored: candidates only read it). */
  candidatesOf(n: Node, atomicPaths: boolean): Event[] {
    const cands = this.candidates(n.world);
    return atomicPaths ? cands.map(wholePath) : cands;
  }
}
