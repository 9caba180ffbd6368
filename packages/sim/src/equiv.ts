// Lockstep exploration of two tables (two revisions, or a revision and a mutant) over the same
// event sequences: after every event, the observable outcome must be the same in both worlds.
// Observable: whether the event was enabled, the invariant violations and kernel findings it
// produced, signals and guest exceptions, and (optionally) the bank moves it caused.

import type { EntryTable } from '@kvmfp/fpsimd';
import type { WorldConfig } from './config.js';
import type { Event } from './events.js';
import type { World } from './world.js';
import { Alphabet, Explorer, historyOf, Node, ProgressStats, Step, StoredNode } from './explore.js';
import { Added, FingerprintSet, MemoryBoundError } from './fpset.js';
import { Hasher } from './graph.js';
import { defaultHeapBound, heapBoundHit } from './search.js';

export interface EquivResult {
  equivalent: boolean;
  distinct: number;
  transitions: number;
  depthReached: number;
  complete: boolean;
  /** Every reachable pair of states was explored. */
  exhausted: boolean;
  /** Why the search stopped before its bound ('interrupted', a pair bound), or null. */
  stoppedBy: string | null;
  difference: { events: Event[]; a: string; b: string } | null;
}

/** Stopping, progress and bounds on pairs and memory, as for the explorer (ExploreOptions). */
export interface EquivHooks {
  shouldStop?: () => boolean;
  onProgress?: (p: ProgressStats) => void;
  maxPairs?: number;
  /** Bound on heap plus packed worlds; past it the search stops and says so (default: search.ts). */
  maxHeapBytes?: number;
  /** Keep the frontier's worlds packed (the default; false keeps whole worlds, for tests). */
  packFrontier?: boolean;
  /** Bound on the visited set of pairs, in bytes (default: the FingerprintSet's own). */
  maxVisitedBytes?: number;
}

/** A pair of states as the frontier keeps it: both worlds packed, as the explorer keeps one. */
interface PairNode {
  a: StoredNode;
  b: StoredNode;
  depth: number;
}
/**
 * What one side observably did with an event applied to its state: the event runs on `into` (or,
 * for the last event taken from the state, on its own unpacked world), as in the explorer's search.
 */
function observeStep(
  ex: Explorer,
  n: Node,
  ev: Event,
  withMoves: boolean,
  into: World | undefined,
  last: boolean,
): { text: string; step: Step } {
  const before = snapshotCounts(n);
  const step = ex.step(n, ev, into, last);
  const w = step.rt.world;
  const parts = [
    step.enabled ? 'enabled' : 'disabled',
    ...step.violations.map((v) => `violation ${v.invariant}: ${v.detail}`),
    ...w.kernel.findings.slice(before.f).map((f) => `${f.kind} ${f.where}`),
    ...w.users.map((u) => `${u.name}: ${u.mode} signals=${u.signals.join(',')}`),
    ...w.guests.map((g) => `${g.name}: undefs=${g.undefs} unexpected=${g.unexpected.length}`),
    step.rt.dead ? `dead: ${step.rt.dead}` : '',
  ];
  if (withMoves && step.enabled)
    parts.push(
      `moves ${JSON.stringify(Object.fromEntries(Object.entries(w.moves).map(([k, x]) => [k, x - before.m[k as keyof typeof before.m]])))}`,
    );
  return { text: parts.filter(Boolean).join('\n'), step };
}

function snapshotCounts(n: Node) {
  return { f: n.world.kernel.findings.length, m: { ...n.world.moves } };
}

/**
 * Explores the pairs of states the two tables reach under the same events, on the explorer's
 * identity of states (the pair's key joins both keys), breadth-first with free steps. Without a
 * depth bound it runs until no new pair is left, so "no difference" can cover the whole space.
 */
export function equivalence(
  config: WorldConfig,
  a: { name: string; table: EntryTable; mutant?: string | null },
  b: { name: string; table: EntryTable; mutant?: string | null },
  alphabet: Alphabet,
  depth: number | undefined,
  withMoves = false,
  hooks: EquivHooks = {},
): EquivResult {
  const maxPairs = hooks.maxPairs ?? Infinity;
  // No task symmetry here: each side would choose its own relabelling, and a pair is only alike
  // to another under one relabelling of both sides.
  const options = { symmetry: false, packFrontier: hooks.packFrontier };
  const ea = new Explorer(config, a.table, alphabet, a.name, a.mutant ?? null, options);
  const eb = new Explorer(config, b.table, alphabet, b.name, b.mutant ?? null, options);
  const bound = depth ?? Infinity;
  const heapBound = hooks.maxHeapBytes ?? defaultHeapBound();
  const visited = new FingerprintSet(undefined, hooks.maxVisitedBytes);
  const root: PairNode = { a: ea.store(ea.initial()), b: eb.store(eb.initial()), depth: 0 };
  visited.add(...pairKey(root.a, root.b), 0);
  // One working world per side, loaded in place for each event; a successor's world is packed
  // (stored) before the next event on its side runs.
  const workA = ea.packFrontier ? ea.load(root.a).world : undefined;
  const workB = eb.packFrontier ? eb.load(root.b).world : undefined;
  let frontier = [root];
  let transitions = 0;
  let cut = false;
  let stopped = false;
  let stoppedBy: string | null = null;
  let d = 0;
  for (; d <= bound && frontier.length; d++) {
    const next: PairNode[] = [];
    for (let qi = 0; qi < frontier.length; qi++) {
      const node = frontier[qi];
      hooks.onProgress?.({
        depth: d,
        distinct: visited.size,
        transitions,
        expanded: qi,
        frontier: frontier.length,
        violations: 0,
      });
      if (hooks.shouldStop?.()) {
        stoppedBy = 'interrupted';
        stopped = true;
        break;
      }
      const full = (qi & 255) === 0 ? heapBoundHit(heapBound, d) : null;
      if (full) {
        stoppedBy = full;
        stopped = true;
        break;
      }
      const [hi, lo] = pairKey(node.a, node.b);
      if (visited.depthOf(hi, lo) < node.depth) continue;
      const na = ea.load(node.a);
      const nb = eb.load(node.b);
      const cands = ea.candidatesOf(na, false);
      let lastTaken = cands.length - 1;
      if (d === bound) while (lastTaken >= 0 && cands[lastTaken].do !== 'step') lastTaken--;
      for (let ci = 0; ci < cands.length; ci++) {
        const ev = cands[ci];
        if (ev.do !== 'step' && d === bound) {
          cut = true;
          continue;
        }
        const oa = observeStep(ea, na, ev, withMoves, workA, ci === lastTaken);
        const ob = observeStep(eb, nb, ev, withMoves, workB, ci === lastTaken);
        transitions++;
        if (oa.text !== ob.text) {
          const events = [...historyOf(na), ev];
          return {
            equivalent: false,
            distinct: visited.size,
            transitions,
            depthReached: d,
            complete: false,
            exhausted: false,
            stoppedBy: null,
            difference: { events, a: oa.text, b: ob.text },
          };
        }
        const ca = oa.step.child;
        const cb = ob.step.child;
        if (!ca || !cb) continue;
        let added: Added;
        try {
          added = visited.visit(...pairKey(ca, cb), ca.depth);
        } catch (e) {
          if (!(e instanceof MemoryBoundError)) throw e;
          // The explorer's message names its --max-mem, which equiv does not have.
          stoppedBy = `memory bound: the visited set would exceed ${Math.round(e.maxBytes / 2 ** 20)} MiB after ${e.states} pairs`;
          stopped = true;
          break;
        }
        if (added === Added.Seen) continue;
        const child: PairNode = { a: ea.store(ca), b: eb.store(cb), depth: ca.depth };
        (child.depth === d ? frontier : next).push(child);
        if (visited.size >= maxPairs) {
          stopped = true;
          stoppedBy = `pair bound ${maxPairs}`;
        }
        if (stopped) break;
      }
      if (stopped) break;
    }
    frontier = next;
    if (stopped) break;
  }
  return {
    equivalent: true,
    distinct: visited.size,
    transitions,
    depthReached: stopped ? d : Math.max(0, d - 1),
    complete: !stopped,
    exhausted: !stopped && frontier.length === 0 && !cut,
    stoppedBy,
    difference: null,
  };
}

function pairKey(a: { key: readonly number[] }, b: { key: readonly number[] }): [number, number] {
  const h = new Hasher();
  for (const x of [...a.key, ...b.key]) h.word(x);
  return h.pair();
}
