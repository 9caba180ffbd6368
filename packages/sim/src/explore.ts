// Breadth-first exploration of every event sequence up to a depth, with states deduplicated by a
// canonical 64-bit fingerprint, so the first violation found is a shortest one. Kernel paths
// stopped at preemption points are generators, which cannot be copied, so a state is stored as
// the last world where no path was in flight (a quiescent snapshot) plus the events since; it is
// rebuilt by cloning the snapshot and replaying those few events, which is deterministic.

import type { EntryTable } from '@kvmfp/fpsimd';
import { worldFingerprint } from './canon.js';
import type { WorldConfig } from './config.js';
import { applyEvent, bootstrap, Event, EventError } from './events.js';
import { FingerprintSet, MemoryBoundError } from './fpset.js';
import { cloneGraph } from './graph.js';
import { checkInvariants } from './invariants.js';
import { attachVcpus } from './kvm.js';
import { Runtime } from './runtime.js';
import { firedFunction, knownKeyOf, programNames, shapeOf, signatureOf } from './signature.js';
import type { UserOpKind, Violation, World } from './world.js';
import { createWorld } from './world.js';

export interface Alphabet {
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
  depth: number;
  maxStates?: number;
  maxBytes?: number;
  /** Stop after this many distinct violations. */
  maxViolations?: number;
  /** Only sequences whose first event index falls in this shard: [i, n]. */
  shard?: [number, number];
  onLevel?: (s: LevelStats) => void;
  /**
   * Run every kernel path to its end (or to guest entry) instead of stopping at each preemption
   * point: a coarse, much smaller exploration that sees no interleaving inside a path.
   */
  atomicPaths?: boolean;
  /**
   * Let continuing a stopped path cost no depth (0-1 breadth-first). Reaches deep behaviour at a
   * small bound, but interleavings of free steps on two CPUs multiply within one level.
   */
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
  complete: boolean;
  stoppedBy: string | null;
  levels: LevelStats[];
  violations: Counterexample[];
  visitedBytes: number;
  /** The visited set, packed, when asked for (shard reports and merging). */
  visited?: ReturnType<FingerprintSet['pack']>;
}

interface Node {
  base: World;
  /** The fingerprint of `base` (quiescent, so its data is its whole identity). */
  baseFp: [number, number];
  since: Event[];
  path: Event[];
}

/**
 * The identity of a state. A quiescent world is its data. A world with kernel paths in flight also
 * has the paths' local variables, which are not data; they are a function of the quiescent world
 * the paths started after and of every event since, so those join the key. This merges fewer
 * states than the data alone would, and never merges two states that can behave differently.
 */
export function stateKey(
  world: World,
  quiescent: boolean,
  baseFp: [number, number],
  since: Event[],
): [number, number] {
  return worldFingerprint(
    world,
    quiescent
      ? undefined
      : (h) => {
          h.word(baseFp[0]);
          h.word(baseFp[1]);
          for (const e of since) h.string(JSON.stringify(e));
        },
  );
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

export class Explorer {
  constructor(
    readonly config: WorldConfig,
    readonly table: EntryTable,
    readonly alphabet: Alphabet,
    readonly rev: string,
    readonly mutant: string | null,
  ) {}

  initial(): Node {
    const world = createWorld(this.config, this.rev, this.mutant);
    const rt = new Runtime(world, this.table, false);
    attachVcpus(rt, this.config);
    bootstrap(rt);
    return { base: world, baseFp: worldFingerprint(world), since: [], path: [] };
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
   * The violations the state of a node shows (replaying the events since its snapshot does not
   * check invariants, so they are checked here; only called on violating transitions).
   */
  private priorViolations(n: Node): Violation[] {
    const rt = this.rebuild(n);
    checkInvariants(rt.world);
    return rt.world.violations;
  }

  /** Rebuilds the runtime of a node: a clone of its snapshot with the events since replayed. */
  rebuild(n: Node): Runtime {
    const rt = new Runtime(cloneGraph(n.base), this.table, false);
    for (const e of n.since) applyEvent(rt, e);
    return rt;
  }

  candidates(w: World): Event[] {
    const a = this.alphabet;
    const out: Event[] = [];
    const running = new Map(w.kernel.percpu.map((p, cpu) => [p.current.pid, cpu]));
    for (const u of w.users) {
      const cpu = running.get(u.pid);
      if (cpu === undefined) continue;
      if (u.mode === 'user') {
        for (const op of a.user) out.push({ do: 'user', task: u.name, op, to: 'first' });
        for (const op of a.checks) out.push({ do: 'user', task: u.name, op, check: true, to: 'first' });
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
      for (const t of w.users.filter((x) => x.stop === 'stopped' && !x.frozen)) {
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

  explore(opts: ExploreOptions): ExploreResult {
    const visited = new FingerprintSet(1 << 16, opts.maxBytes);
    const root = this.initial();
    visited.add(...root.baseFp);
    let frontier: Node[] = [root];
    const levels: LevelStats[] = [];
    const best = new Map<string, Counterexample>();
    let transitions = 0;
    let stoppedBy: string | null = null;
    let depth = 0;
    for (; depth < opts.depth && frontier.length; depth++) {
      const next: Node[] = [];
      let newStates = 0;
      // 0-1 breadth-first: continuing a stopped kernel path (a `step`) costs no depth, so its
      // successors join this level's queue; every other event opens the next level. The depth
      // bound therefore counts the choices of programs, interrupts and the scheduler, and a
      // preemption point is still a place where every other event may be chosen.
      for (let qi = 0; qi < frontier.length; qi++) {
        const node = frontier[qi];
        opts.onProgress?.({
          depth: depth + 1,
          distinct: visited.size,
          transitions,
          expanded: qi,
          frontier: frontier.length,
          violations: best.size,
        });
        if (opts.shouldStop?.()) {
          stoppedBy = 'interrupted';
          break;
        }
        const probe = this.rebuild(node);
        const cands = opts.atomicPaths
          ? this.candidates(probe.world).map(wholePath)
          : this.candidates(probe.world);
        for (let ci = 0; ci < cands.length; ci++) {
          if (depth === 0 && opts.shard && ci % opts.shard[1] !== opts.shard[0]) continue;
          const ev = cands[ci];
          const rt = ci === 0 && node.since.length === 0 ? probe : this.rebuild(node);
          const before = rt.world.violations.length;
          try {
            applyEvent(rt, ev);
          } catch (e) {
            if (e instanceof EventError) continue;
            throw e;
          }
          transitions++;
          checkInvariants(rt.world);
          if (rt.dead && rt.world.violations.length === before)
            rt.world.violations.push({ invariant: 'no-warn-or-bug', detail: rt.dead, step: rt.world.step });
          const path = [...node.path, ev];
          if (rt.world.violations.length > before) {
            const found = freshViolations(rt.world.violations.slice(before), this.priorViolations(node)).map(
              (v) => this.counterexample(v.invariant, v.detail, depth + 1, path),
            );
            for (const c of found) if (keepShortest(best, c)) opts.onViolation?.(c);
            if (rt.dead || !found.every((c) => expandsPast(opts, c))) continue;
          }
          const quiescent = rt.paths.size === 0;
          const since = quiescent ? [] : [...node.since, ev];
          const [hi, lo] = stateKey(rt.world, quiescent, node.baseFp, since);
          let fresh: boolean;
          try {
            fresh = visited.add(hi, lo, depth + 1);
          } catch (e) {
            if (!(e instanceof MemoryBoundError)) throw e;
            stoppedBy = e.message;
            break;
          }
          if (!fresh) continue;
          newStates++;
          const succ: Node = quiescent
            ? { base: rt.world, baseFp: [hi, lo], since, path }
            : { base: node.base, baseFp: node.baseFp, since, path };
          (opts.freeSteps && ev.do === 'step' ? frontier : next).push(succ);
          if (opts.maxStates && visited.size >= opts.maxStates) stoppedBy = `state bound ${opts.maxStates}`;
        }
        if (stoppedBy) break;
        if (opts.maxViolations && best.size >= opts.maxViolations) {
          stoppedBy = `${best.size} violations`;
          break;
        }
      }
      const lv = { depth: depth + 1, distinct: visited.size, newStates, transitions, frontier: next.length };
      levels.push(lv);
      opts.onLevel?.(lv);
      frontier = next;
      if (stoppedBy) break;
    }
    return {
      distinct: visited.size,
      transitions,
      depthReached: levels.length,
      complete: !stoppedBy && (frontier.length === 0 || depth >= opts.depth),
      stoppedBy,
      levels,
      violations: sortedViolations(best),
      visitedBytes: visited.bytes,
      visited: opts.keepVisited ? visited.pack() : undefined,
    };
  }
}
