// Lockstep exploration of two tables (two revisions, or a revision and a mutant) over the same
// event sequences: after every event, the observable outcome must be the same in both worlds.
// Observable: whether the event was enabled, the invariant violations and kernel findings it
// produced, signals and guest exceptions, and (optionally) the bank moves it caused.

import type { EntryTable } from '@kvmfp/fpsimd';
import type { WorldConfig } from './config.js';
import type { Event } from './events.js';
import { Alphabet, Explorer, historyOf, Node, ProgressStats, Step } from './explore.js';
import { Added, FingerprintSet } from './fpset.js';
import { Hasher } from './graph.js';

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

/** Stopping, progress and a bound on pairs, as for the explorer (ExploreOptions). */
export interface EquivHooks {
  shouldStop?: () => boolean;
  onProgress?: (p: ProgressStats) => void;
  maxPairs?: number;
}

interface PairNode {
  a: Node;
  b: Node;
  depth: number;
}
/** What one side observably did with an event applied to its state. */
function observeStep(ex: Explorer, n: Node, ev: Event, withMoves: boolean): { text: string; step: Step } {
  const before = snapshotCounts(n);
  const step = ex.step(n, ev);
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
  const ea = new Explorer(config, a.table, alphabet, a.name, a.mutant ?? null, { symmetry: false });
  const eb = new Explorer(config, b.table, alphabet, b.name, b.mutant ?? null, { symmetry: false });
  const bound = depth ?? Infinity;
  const visited = new FingerprintSet();
  const root: PairNode = { a: ea.initial(), b: eb.initial(), depth: 0 };
  visited.add(...pairKey(root.a, root.b), 0);
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
      const [hi, lo] = pairKey(node.a, node.b);
      if (visited.depthOf(hi, lo) < node.depth) continue;
      for (const ev of ea.candidatesOf(node.a, false)) {
        if (ev.do !== 'step' && d === bound) {
          cut = true;
          continue;
        }
        const oa = observeStep(ea, node.a, ev, withMoves);
        const ob = observeStep(eb, node.b, ev, withMoves);
        transitions++;
        if (oa.text !== ob.text) {
          const events = [...historyOf(node.a), ev];
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
        const child: PairNode = { a: ca, b: cb, depth: ca.depth };
        const added = visited.visit(...pairKey(ca, cb), child.depth);
        if (added === Added.Seen) continue;
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

function pairKey(a: Node, b: Node): [number, number] {
  const h = new Hasher();
  for (const x of [...a.key, ...b.key]) h.word(x);
  return h.pair();
}
