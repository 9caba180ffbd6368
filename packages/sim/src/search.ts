// SPDX-License-Identifier: GPL-2.0-only
//
// One part of the explorer's breadth-first search. The states are split between parts by their
// fingerprint (a part owns the states whose key falls to it); each part expands the states it
// owns and hands every successor to the successor's owner. One part is the whole search, run in
// process; several run in worker threads (parallel.ts) and meet between rounds.
//
// The search goes in rounds: a round expands the states of one depth that are queued, and its
// successors are merged only when the round is over, in an order that does not depend on how many
// parts there are (by the parent's key, then the candidate's index). A state's sleep set is the
// intersection of the ways it was reached (sleep.ts), which history it keeps is that of its first
// arrival, and a second expansion wakes what the merge order says: so the same configuration gives
// the same states, transitions and counterexamples with one part or several. Continuing a stopped
// path costs no depth: its successor is merged into the same depth and expanded in the next round;
// the depth advances when a round of every part found nothing more at its depth.

import { getHeapStatistics } from 'node:v8';
import type { Event } from './events.js';
import type {
  Counterexample,
  ExploreOptions,
  Explorer,
  ExploreResult,
  LevelStats,
  Node,
  StoredNode,
} from './explore.js';
import { historyOf, keepShortest, sortedViolations, violationKind } from './explore.js';
import { Added, FingerprintSet, MemoryBoundError } from './fpset.js';
import { knownKeyOf } from './signature.js';
import { KeyTable } from './key-table.js';
import { independentOn, localCpu, pathsTouchRunQueue } from './sleep.js';
import { relabelEvent, relabelledFields, relabelsEvent, type Relabelling } from './symmetry.js';
import type { Violation, World } from './world.js';

/** A successor on its way to its owner: where it was found, and the state it is. */
export interface Arrival {
  /** The parent's key and its place among entries of that key in its round (the merge order). */
  hi: number;
  lo: number;
  sub: number;
  /** The candidate's index at the parent. */
  ci: number;
  key: [number, number];
  depth: number;
  /** The state is its own mirror image (symmetry.ts ties): its events have no one naming. */
  ties: boolean;
  /** The events asleep on arrival (canonical keys), or null without sleep sets. */
  sleep: string[] | null;
  /**
   * The state as the frontier keeps it; null when its owner had seen it before this round and
   * this arrival cannot wake any event there (then only its key and sleep set matter).
   */
  node: StoredNode | null;
}

/** What one round of one part did, as the parts' coordinator needs it (afterRound). */
export interface PartRound {
  /** Successors at the depth of the round (their own and those sent): another round is needed. */
  atDepth: number;
  /** Successors found in all. */
  found: number;
  /** States queued for the next depth. */
  nextQueued: number;
  /** Its visited states so far. */
  distinct: number;
  stoppedBy: string | null;
  /** The depth bound kept an event from being explored (so far, in this part). */
  cut: boolean;
}

/** A round's figures, with the successors for each other part (index: part), in the order found. */
export interface RoundReport extends PartRound {
  outboxes: Arrival[][];
}

/** What every part's round says comes next: the end of the search (and how), or another round. */
export type AfterRound =
  { finish: { stoppedBy: string | null; exhausted: boolean } } | { finish: null; advance: boolean };

/**
 * The next move of a search split in parts, from every part's last round: a stop in any part, or
 * the state bound over all of them, ends it; nothing found and nothing queued anywhere exhausts it
 * (unless the depth bound cut an event); otherwise the depth advances when no part found anything
 * more at its depth.
 */
export function afterRound(rs: readonly PartRound[], maxStates?: number): AfterRound {
  const distinct = rs.reduce((n, r) => n + r.distinct, 0);
  const stoppedBy =
    rs.find((r) => r.stoppedBy)?.stoppedBy ??
    (maxStates && distinct >= maxStates ? `state bound ${maxStates}` : null);
  if (stoppedBy) return { finish: { stoppedBy, exhausted: false } };
  if (rs.every((r) => r.found === 0 && r.nextQueued === 0))
    return { finish: { stoppedBy: null, exhausted: !rs.some((r) => r.cut) } };
  return { finish: null, advance: rs.every((r) => r.atDepth === 0) };
}

/**
 * The keys of one expansion's candidates: an event as a state's canonical relabelling names it
 * (tasks and CPUs renamed), so that two arrivals at one state that are mirror images of each
 * other name its events alike. A candidate the relabelling does not rename has one key, made
 * once for every successor whose sleep set names it.
 */
class CandidateKeys {
  private readonly plain: (string | undefined)[] = [];

  constructor(private readonly cands: readonly Event[]) {}

  of(i: number, n: Node): string {
    const ev = this.cands[i];
    const plain = (this.plain[i] ??= plainKeyOf(ev));
    const r = n.relabel;
    return r && relabelsEvent(ev, r) ? relabelledKeyOf(plain, ev, r) : plain;
  }
}

/**
 * Relabelled event keys, by the event's own key and the values the relabelling gives the fields
 * it renames (relabelledFields): an event's relabelled text is a function of those two, and a
 * configuration has few events and fewer renamings, so each text is made once instead of once
 * per successor that sleeps on it (writing it was a twentieth of the tiny world's time).
 */
const relabelledKeys = new Map<string, Map<string, string>>();

function relabelledKeyOf(plain: string, ev: Event, r: Relabelling): string {
  let byFields = relabelledKeys.get(plain);
  if (byFields === undefined) relabelledKeys.set(plain, (byFields = new Map<string, string>()));
  const fields = relabelledFields(ev, r);
  let key = byFields.get(fields);
  if (key === undefined) byFields.set(fields, (key = kept(JSON.stringify(relabelEvent(ev, r)))));
  return key;
}

/**
 * The one copy kept of a key's text (sleep sets hold keys until their round is merged): a fresh
 * text dies young instead of being copied by every collection until then.
 */
function kept(text: string): string {
  let key = eventKeys.get(text);
  if (key === undefined) eventKeys.set(text, (key = text));
  return key;
}

/** Every event key met, each kept once (an alphabet names a few hundred events at most). */
const eventKeys = new Map<string, string>();

/**
 * An event's key text (its JSON), found by its fields' names and values in order through a tree
 * of maps, so that the text of an event met before is not written and hashed again: candidates
 * are new objects in every expansion, but a configuration has few distinct ones. An event with a
 * field holding an object (none in the core alphabets) has its text written every time.
 */
export function plainKeyOf(ev: Event): string {
  let at = eventTree;
  const fields = ev as unknown as Record<string, unknown>;
  for (const k in fields) {
    const v = fields[k];
    if (typeof v === 'object' && v !== null) return kept(JSON.stringify(ev));
    let byValue = at.next.get(k);
    if (byValue === undefined) at.next.set(k, (byValue = new Map<unknown, EventTreeNode>()));
    let child = byValue.get(v);
    if (child === undefined) byValue.set(v, (child = { next: new Map(), text: undefined }));
    at = child;
  }
  return (at.text ??= kept(JSON.stringify(ev)));
}

/** A node of plainKeyOf's tree: the events whose first fields led here, and the text of the one that ends here. */
interface EventTreeNode {
  next: Map<string, Map<unknown, EventTreeNode>>;
  text: string | undefined;
}

const eventTree: EventTreeNode = { next: new Map(), text: undefined };

/** The first arrival with a world at a state, per depth (merge: later ones of the part lack it). */
interface FirstData {
  depth: number;
  node: StoredNode;
  other: FirstData | null;
}

/** The empty sleep set. */
const NONE_ASLEEP: readonly string[] = [];

/** A state's sleep set (canonical event keys) and whether it was expanded. */
interface SleepEntry {
  asleep: readonly string[];
  expanded: boolean;
}

/**
 * The violations an event added that the state before it already showed are not new: past a
 * known or expanded violation, the same broken register is reported again at later steps, and
 * that is the old bug, not a new one.
 */
function freshViolations(added: Violation[], prior: Violation[]): Violation[] {
  const had = new Set(prior.map((v) => `${v.invariant}\n${v.detail}`));
  return added.filter((v) => !had.has(`${v.invariant}\n${v.detail}`));
}

/** Whether the search continues from a state with this violation. */
function expandsPast(opts: ExploreOptions, c: Counterexample): boolean {
  return opts.expandViolations === true || (opts.knownKeys?.includes(knownKeyOf(violationKind(c))) ?? false);
}

/** 85% of this isolate's heap limit: room for the GC to finish a level after the bound is hit. */
export function defaultHeapBound(): number {
  return Math.floor(getHeapStatistics().heap_size_limit * 0.85);
}

/**
 * Whether heap in use plus the bytes of packed worlds (array buffers live outside the heap) are
 * past `bound`; if so, why a search of the frontier at `depth` stops, else null.
 */
export function heapBoundHit(bound: number, depth: number): string | null {
  const m = process.memoryUsage();
  if (m.heapUsed + m.arrayBuffers <= bound) return null;
  return `memory bound: the frontier of depth ${depth} filled ${Math.round(bound / 2 ** 20)} MiB of heap`;
}

/** The bound on a part's table of the other parts' stored states (PartSearch.theirs). */
const THEIRS_MAX_BYTES = 256 * 2 ** 20;

/** The part that owns a state. */
function ownerOf(key: readonly [number, number], parts: number): number {
  return parts === 1 ? 0 : (key[1] >>> 0) % parts;
}

/**
 * `items` in the order of the numbers `numbersOf` writes for each (`width` of them, compared in
 * turn), equal ones in their order before, as a stable sort. The numbers are read once per item
 * into one array: a comparator reading them from the items ran slowly, since stored nodes and
 * arrivals come in several object layouts.
 */
function sortedBy<T>(
  items: readonly T[],
  width: number,
  numbersOf: (item: T, out: Float64Array, at: number) => void,
): T[] {
  const n = items.length;
  const nums = new Float64Array(n * width);
  for (let i = 0; i < n; i++) numbersOf(items[i], nums, i * width);
  const order: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => {
    for (let j = 0; j < width; j++) {
      const d = nums[a * width + j] - nums[b * width + j];
      if (d !== 0) return d;
    }
    return a - b;
  });
  return order.map((i) => items[i]);
}

/** Arrivals in merge order: by parent key, place among entries of that key, candidate index. */
function inMergeOrder(arrivals: readonly Arrival[]): Arrival[] {
  return sortedBy(arrivals, 4, (a, out, at) => {
    out[at] = a.hi;
    out[at + 1] = a.lo;
    out[at + 2] = a.sub;
    out[at + 3] = a.ci;
  });
}

/** Stored states by key. */
function inKeyOrder(nodes: readonly StoredNode[]): StoredNode[] {
  return sortedBy(nodes, 2, (n, out, at) => {
    out[at] = n.key[0];
    out[at + 1] = n.key[1];
  });
}

function sameKey(a: StoredNode, b: StoredNode): boolean {
  return a.key[0] === b.key[0] && a.key[1] === b.key[1];
}

export class PartSearch {
  readonly visited: FingerprintSet;
  readonly best = new Map<string, Counterexample>();
  private readonly sleepTable = new KeyTable<SleepEntry>();
  private readonly sleeping: boolean;
  private readonly runQueueMoves: boolean;
  private readonly bound: number;
  private readonly heapBound: number;
  private readonly root: StoredNode;
  /** One working world, loaded for every event (the frontier keeps worlds packed). */
  private readonly work: World | undefined;
  /** The entries of the depth being explored, and those of the next depth. */
  private queue: StoredNode[] = [];
  private next: StoredNode[] = [];
  /** Successors this part owns, found in the round just run. */
  private mine: Arrival[] = [];
  /** Keys found this round, with the least depth: later arrivals merge after them. */
  private readonly foundKeys = new KeyTable<number>();
  /** States this part owns that this round found and that were not visited before it. */
  private pendingNew = 0;
  /**
   * States the other parts own and have stored where no arrival can wake an event (no sleep set
   * left), with their depth: a successor that is one of them at that depth or deeper is handed
   * over without its world (its owner only counts it). Told by the owners (tellStored), learned
   * here (learnStored); bounded, since it only saves work.
   */
  private readonly theirs: FingerprintSet | null;
  /** This part's stored states of that kind not yet told: (hi, lo, depth) triples. */
  private told: number[] = [];
  depth = 0;
  transitions = 0;
  /** Successors handed to another part (the split's traffic). */
  handedOver = 0;
  /** Of those, handed over without their world (the owner told it had stored them: theirs). */
  handedBare = 0;
  slept = 0;
  reexpanded = 0;
  diameter = 0;
  /** New states merged since the depth began. */
  newStates = 0;
  /** The bound kept some event from being explored (the space is then not exhausted). */
  cut = false;
  stoppedBy: string | null = null;
  readonly levels: LevelStats[] = [];

  constructor(
    private readonly ex: Explorer,
    private readonly opts: ExploreOptions,
    readonly part: number,
    readonly parts: number,
  ) {
    this.bound = opts.depth ?? Infinity;
    this.heapBound = opts.maxHeapBytes ?? defaultHeapBound();
    this.visited = new FingerprintSet(1 << 12, opts.maxBytes);
    this.theirs = parts > 1 ? new FingerprintSet(1 << 12, THEIRS_MAX_BYTES) : null;
    this.sleeping = opts.sleepSets !== false;
    this.runQueueMoves = pathsTouchRunQueue(ex.alphabet);
    this.root = ex.store(ex.initial());
    this.work = ex.packFrontier ? ex.load(this.root).world : undefined;
    if (ownerOf(this.root.key, parts) === part) {
      this.visited.add(this.root.key[0], this.root.key[1], 0);
      this.queue.push(this.root);
    }
  }

  /** States queued at the depth being explored and at the next. */
  get queued(): { now: number; next: number } {
    return { now: this.queue.length, next: this.next.length };
  }

  /**
   * Merges a round's successors (this part's own and those the other parts sent), in merge order:
   * new states are queued, sleep sets narrowed, states that must be expanded again queued again.
   */
  merge(incoming: readonly Arrival[]): void {
    const all = inMergeOrder(this.mine.length ? [...this.mine, ...incoming] : incoming);
    this.mine = [];
    // The world of the first arrival at each state and depth: an arrival sent without one (a
    // later arrival of the same part) that wakes events there is expanded again from it.
    const data = new KeyTable<FirstData>();
    // A stop asked for during the round still lets its states in; a memory bound hit here does not.
    const stopped = this.stoppedBy;
    for (const a of all) {
      if (this.stoppedBy !== stopped) return;
      const [hi, lo] = a.key;
      const atState = data.get(hi, lo) ?? null;
      let first = atState;
      while (first && first.depth !== a.depth) first = first.other;
      if (a.node) {
        if (!first) data.set(hi, lo, { depth: a.depth, node: a.node, other: atState });
      } else a.node = first?.node ?? null;
      this.accept(a);
    }
    const max = this.opts.maxStates;
    if (max && this.visited.size >= max) this.stoppedBy ??= `state bound ${max}`;
  }

  /**
   * The state bound is reached, counting the states this part owns that the round found new so
   * far (merged after the round): expansion stops there, as it did when states were merged one by one.
   */
  private full(): boolean {
    const max = this.opts.maxStates;
    return max !== undefined && max > 0 && this.visited.size + this.pendingNew >= max;
  }

  private accept(a: Arrival): void {
    let added: Added;
    try {
      added = this.visited.visit(a.key[0], a.key[1], a.depth);
    } catch (e) {
      if (!(e instanceof MemoryBoundError)) throw e;
      this.stoppedBy = e.message;
      return;
    }
    const queue = a.depth === this.depth ? this.queue : this.next;
    if (a.sleep) {
      const awake = this.mergeSleep(a, added === Added.New);
      if (awake) {
        this.reexpanded++;
        queue.push({ ...this.nodeOf(a), only: awake, sleep: a.sleep });
      }
    }
    if (added === Added.Seen) return;
    if (added === Added.New) this.newStates++;
    this.tellIfAsleepNone(a.key, a.depth);
    this.diameter = Math.max(this.diameter, a.depth);
    queue.push(this.nodeOf(a));
  }

  private nodeOf(a: Arrival): StoredNode {
    if (!a.node) throw new Error('explore: a state merged without its data');
    return a.node;
  }

  /**
   * Records that a state was reached with the sleep set `a.sleep` (none when the state is its own
   * mirror image): its sleep set becomes the intersection. When the state was already expanded
   * with events asleep that are awake now, returns them (canonical keys, or 'all' for a state
   * that is its own mirror image): they must be taken from it. Null: nothing to do.
   */
  private mergeSleep(a: Arrival, isNew: boolean): string[] | 'all' | null {
    const [hi, lo] = a.key;
    const sleep = a.sleep!;
    if (isNew) {
      if (sleep.length) this.sleepTable.set(hi, lo, { asleep: sleep, expanded: false });
      return null;
    }
    const e = this.sleepTable.get(hi, lo);
    if (!e) return null;
    // Sleep sets are a few interned keys: a list search beats making a set per arrival.
    const kept = e.asleep.filter((x) => sleep.includes(x));
    if (kept.length === e.asleep.length) return null;
    const woke = e.asleep.filter((x) => !sleep.includes(x));
    if (kept.length) e.asleep = kept;
    else {
      this.sleepTable.delete(hi, lo);
      this.tellIfAsleepNone(a.key, this.visited.depthOf(hi, lo));
    }
    if (!e.expanded) return null;
    return a.ties ? 'all' : woke;
  }

  /**
   * Whether an arrival at a state seen before this round could wake an event there, now or once
   * the state is expanded later in the round: only if some event asleep there is awake in it.
   */
  private mayWake(key: readonly [number, number], sleep: readonly string[] | null): boolean {
    if (!sleep) return false;
    const e = this.sleepTable.get(key[0], key[1]);
    if (!e) return false;
    return e.asleep.some((x) => !sleep.includes(x));
  }

  /** The sleep set a state is expanded with (the intersection of the ways it was reached). */
  private takeSleep(n: Node): readonly string[] {
    const e = this.sleepTable.get(n.key[0], n.key[1]);
    if (!e) return NONE_ASLEEP;
    e.expanded = true;
    // A state that is its own mirror image has no one naming of its events.
    return n.ties?.length ? NONE_ASLEEP : e.asleep;
  }

  /** Ends the depth: its statistics, and the next depth's entries become the queue. */
  advance(): LevelStats {
    const lv = {
      depth: this.depth,
      distinct: this.visited.size,
      newStates: this.newStates,
      transitions: this.transitions,
      frontier: this.next.length,
    };
    this.levels.push(lv);
    this.depth++;
    this.queue = this.next;
    this.next = [];
    this.newStates = 0;
    return lv;
  }

  /** Expands every queued entry of the depth (in key order); successors wait for the merge. */
  round(): RoundReport {
    const outboxes: Arrival[][] = Array.from({ length: this.parts }, () => []);
    const queue = inKeyOrder(this.queue);
    this.queue = [];
    this.foundKeys.clear();
    this.pendingNew = 0;
    let atDepth = 0;
    let found = 0;
    const route = (a: Arrival) => {
      found++;
      if (a.depth === this.depth) atDepth++;
      const owner = ownerOf(a.key, this.parts);
      if (owner === this.part) this.mine.push(a);
      else {
        this.handedOver++;
        outboxes[owner].push(a);
      }
    };
    const maxViolations = this.opts.maxViolations;
    // An entry's place among the entries of its key before it (the queue is sorted by key).
    let sub = 0;
    for (let qi = 0; qi < queue.length && !this.stoppedBy && !this.full(); qi++) {
      sub = qi > 0 && sameKey(queue[qi - 1], queue[qi]) ? sub + 1 : 0;
      this.expand(queue[qi], sub, qi, queue.length, route);
      if (maxViolations && this.best.size >= maxViolations) this.stoppedBy ??= `${this.best.size} violations`;
    }
    return {
      outboxes,
      atDepth,
      found,
      nextQueued: this.next.length,
      distinct: this.visited.size,
      stoppedBy: this.stoppedBy,
      cut: this.cut,
    };
  }

  /** Expands one entry: takes each of its events not asleep, routing each successor to its owner. */
  private expand(
    stored: StoredNode,
    sub: number,
    qi: number,
    total: number,
    route: (a: Arrival) => void,
  ): void {
    const { ex, opts, depth } = this;
    const again = stored.only !== undefined;
    if (!again && this.visited.depthOf(stored.key[0], stored.key[1]) < stored.depth) return;
    opts.onProgress?.({
      depth,
      // The states this round found new count as the state bound counts them (full()).
      distinct: this.visited.size + this.pendingNew,
      transitions: this.transitions,
      expanded: qi,
      frontier: total,
      violations: this.best.size,
    });
    if (opts.shouldStop?.()) {
      this.stoppedBy = 'interrupted';
      return;
    }
    const full = (qi & 255) === 0 ? heapBoundHit(this.heapBound, depth) : null;
    if (full) {
      this.stoppedBy = full;
      return;
    }
    const node = ex.load(stored);
    const cands = ex.candidatesOf(node, opts.atomicPaths ?? false);
    const asleepKeys: readonly string[] = again
      ? (stored.sleep ?? NONE_ASLEEP)
      : this.sleeping
        ? this.takeSleep(node)
        : NONE_ASLEEP;
    const only = again && stored.only !== 'all' ? new Set(stored.only) : null;
    const candKeys = new CandidateKeys(cands);
    const keys = asleepKeys.length || only ? cands.map((_, i) => candKeys.of(i, node)) : null;
    // The CPU each event acts on alone (sleep.ts localCpu), the events asleep here (inherited by
    // later independent successors) and those this expansion has taken (they sleep in the
    // successors of later independent events), as indices into cands.
    const cpus = this.sleeping ? cands.map((ev) => localCpu(node.world, ev, this.runQueueMoves)) : [];
    const isAsleep = keys ? keys.map((k) => asleepKeys.includes(k)) : null;
    const asleep: number[] = [];
    if (isAsleep) for (let i = 0; i < cands.length; i++) if (isAsleep[i]) asleep.push(i);
    // Why each candidate is not taken here ('other': another shard's, or not woken), null: it is.
    const skipped: ('other' | 'asleep' | 'cut' | null)[] = [];
    for (let ci = 0; ci < cands.length; ci++) {
      if (stored === this.root && opts.shard && ci % opts.shard[1] !== opts.shard[0]) skipped.push('other');
      else if (only && !only.has(keys![ci])) skipped.push('other');
      else if (isAsleep?.[ci]) skipped.push('asleep');
      else if (cands[ci].do !== 'step' && depth === this.bound) skipped.push('cut');
      else skipped.push(null);
    }
    // The last event taken may run on the unpacked world itself (Explorer.step), so the
    // violations the state had are read now.
    let lastTaken = cands.length - 1;
    while (lastTaken >= 0 && skipped[lastTaken] !== null) lastTaken--;
    const prior = node.world.violations.slice();
    const taken: number[] = [];
    for (let ci = 0; ci < cands.length && !this.full(); ci++) {
      const ev = cands[ci];
      const why = skipped[ci];
      if (why === 'asleep') this.slept++;
      else if (why === 'cut') this.cut = true;
      if (why !== null) continue;
      const r = ex.step(node, ev, this.work, ci === lastTaken);
      if (!r.enabled) continue;
      this.transitions++;
      // The events asleep here, then those taken before this one, that are independent of it.
      const childSleep: number[] = [];
      if (this.sleeping) {
        for (const u of asleep) if (independentOn(cpus[u], cands[u], cpus[ci], ev)) childSleep.push(u);
        for (const u of taken) if (independentOn(cpus[u], cands[u], cpus[ci], ev)) childSleep.push(u);
        taken.push(ci);
      }
      if (r.violations.length) {
        const events = [...historyOf(node), ev];
        const at = ev.do === 'step' ? node.depth : node.depth + 1;
        const found = freshViolations(r.violations, prior).map((v) =>
          ex.counterexample(v.invariant, v.detail, at, events),
        );
        for (const c of found) if (keepShortest(this.best, c)) opts.onViolation?.(c);
        if (!r.child || !found.every((c) => expandsPast(opts, c))) continue;
      }
      const child = r.child!;
      const ties = (child.ties?.length ?? 0) > 0;
      const sleep = this.sleeping ? (ties ? [] : childSleep.map((u) => candKeys.of(u, child))) : null;
      route({
        hi: stored.key[0],
        lo: stored.key[1],
        sub,
        ci,
        key: child.key,
        depth: child.depth,
        ties,
        sleep,
        node: this.seenBefore(child, sleep) ? null : ex.store(child),
      });
    }
  }

  /** Notes a state this part stored, for the other parts, when no arrival can wake an event there. */
  private tellIfAsleepNone(key: readonly [number, number], depth: number): void {
    if (this.parts > 1 && !this.sleepTable.get(key[0], key[1])) this.told.push(key[0], key[1], depth);
  }

  /** The states told of since the last call (tellIfAsleepNone), for the other parts' learnStored. */
  tellStored(): Float64Array {
    const out = Float64Array.from(this.told);
    this.told = [];
    return out;
  }

  /** What another part told of its stored states (tellStored); past the bound, the rest is dropped. */
  learnStored(told: Float64Array): void {
    const theirs = this.theirs;
    if (theirs === null) return;
    try {
      for (let i = 0; i + 2 < told.length; i += 3) theirs.visit(told[i], told[i + 1], told[i + 2]);
    } catch (e) {
      if (!(e instanceof MemoryBoundError)) throw e;
    }
  }

  /**
   * Whether the merge needs only a successor's key and sleep set, not its world (which then is
   * not packed): a state this part owns and saw before this round, at no greater depth, where the
   * arrival cannot wake an event; or a state this part already found this round at the same
   * depth (its arrivals merge in the order found, so the first one's world is there for the
   * merge to use); or a state another part owns and told it has stored with nothing asleep, at
   * no greater depth (learnStored).
   */
  private seenBefore(child: Node, sleep: readonly string[] | null): boolean {
    const [hi, lo] = child.key;
    const mine = ownerOf(child.key, this.parts) === this.part;
    if (mine) {
      const d = this.visited.depthOf(hi, lo);
      if (d >= 0) return d <= child.depth && !this.mayWake(child.key, sleep);
    }
    if (!mine && this.theirs !== null) {
      const d = this.theirs.depthOf(hi, lo);
      if (d >= 0 && d <= child.depth) {
        this.handedBare++;
        return true;
      }
    }
    const first = this.foundKeys.get(hi, lo);
    if (mine && first === undefined) this.pendingNew++;
    if (first === child.depth) return true;
    if (first === undefined || child.depth < first) this.foundKeys.set(hi, lo, child.depth);
    return false;
  }
}

/** What a part found, as an exploration's result; `end` says how the whole search ended. */
export function partResult(
  s: PartSearch,
  keepVisited: boolean,
  end: { stoppedBy: string | null; exhausted: boolean },
): ExploreResult {
  return {
    distinct: s.visited.size,
    transitions: s.transitions,
    depthReached: s.levels.length ? s.levels[s.levels.length - 1].depth : 0,
    complete: !end.stoppedBy,
    exhausted: end.exhausted,
    diameter: s.diameter,
    stoppedBy: end.stoppedBy,
    levels: s.levels,
    violations: sortedViolations(s.best),
    visitedBytes: s.visited.bytes,
    visited: keepVisited ? s.visited.pack() : undefined,
    slept: s.slept,
    reexpanded: s.reexpanded,
    handedOver: s.handedOver,
    handedBare: s.handedBare,
  };
}
