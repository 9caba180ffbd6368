// Lockstep exploration of two tables (two revisions, or a revision and a mutant) over the same
// event sequences: after every event, the observable outcome must be the same in both worlds.
// Observable: whether the event was enabled, the invariant violations and kernel findings it
// produced, signals and guest exceptions, and (optionally) the bank moves it caused.

import type { EntryTable } from '@kvmfp/fpsimd';
import type { WorldConfig } from './config.js';
import { applyEvent, Event, EventError } from './events.js';
import { Alphabet, Explorer, ProgressStats, stateKey } from './explore.js';
import { FingerprintSet } from './fpset.js';
import { Hasher } from './graph.js';
import { checkInvariants } from './invariants.js';
import type { Runtime } from './runtime.js';

export interface EquivResult {
  equivalent: boolean;
  distinct: number;
  transitions: number;
  depthReached: number;
  complete: boolean;
  /** Why the search stopped before its bound ('interrupted'), or null. */
  stoppedBy: string | null;
  difference: { events: Event[]; a: string; b: string } | null;
}

/** Stopping and progress, as for the explorer (ExploreOptions). */
export interface EquivHooks {
  shouldStop?: () => boolean;
  onProgress?: (p: ProgressStats) => void;
}

interface Side {
  base: Runtime['world'];
  baseFp: [number, number];
  since: Event[];
}

interface PairNode {
  a: Side;
  b: Side;
  path: Event[];
}

function observe(rt: Runtime, ev: Event, withMoves: boolean): string {
  const w = rt.world;
  const before = { v: w.violations.length, f: w.kernel.findings.length, m: { ...w.moves } };
  let enabled = true;
  try {
    applyEvent(rt, ev);
  } catch (e) {
    if (!(e instanceof EventError)) throw e;
    enabled = false;
  }
  checkInvariants(w);
  const parts = [
    enabled ? 'enabled' : 'disabled',
    ...w.violations.slice(before.v).map((v) => `violation ${v.invariant}: ${v.detail}`),
    ...w.kernel.findings.slice(before.f).map((f) => `${f.kind} ${f.where}`),
    ...w.users.map((u) => `${u.name}: ${u.mode} signals=${u.signals.join(',')}`),
    ...w.guests.map((g) => `${g.name}: undefs=${g.undefs} unexpected=${g.unexpected.length}`),
    rt.dead ? `dead: ${rt.dead}` : '',
  ];
  if (withMoves)
    parts.push(
      `moves ${JSON.stringify(Object.fromEntries(Object.entries(w.moves).map(([k, n]) => [k, n - before.m[k as keyof typeof before.m]])))}`,
    );
  return parts.filter(Boolean).join('\n');
}

function advance(rt: Runtime, prev: Side, ev: Event): { side: Side; key: [number, number] } {
  const quiescent = rt.paths.size === 0;
  const since = quiescent ? [] : [...prev.since, ev];
  const key = stateKey(rt.world, quiescent, prev.baseFp, since);
  return {
    side: quiescent
      ? { base: rt.world, baseFp: key, since }
      : { base: prev.base, baseFp: prev.baseFp, since },
    key,
  };
}

export function equivalence(
  config: WorldConfig,
  a: { name: string; table: EntryTable },
  b: { name: string; table: EntryTable },
  alphabet: Alphabet,
  depth: number,
  withMoves = false,
  hooks: EquivHooks = {},
): EquivResult {
  const ea = new Explorer(config, a.table, alphabet, a.name, null);
  const eb = new Explorer(config, b.table, alphabet, b.name, null);
  const visited = new FingerprintSet();
  const root: PairNode = { a: ea.initial(), b: eb.initial(), path: [] };
  let frontier = [root];
  let transitions = 0;
  let stoppedBy: string | null = null;
  let d = 0;
  for (; d < depth && frontier.length && !stoppedBy; d++) {
    const next: PairNode[] = [];
    for (let qi = 0; qi < frontier.length; qi++) {
      const node = frontier[qi];
      hooks.onProgress?.({
        depth: d + 1,
        distinct: visited.size,
        transitions,
        expanded: qi,
        frontier: frontier.length,
        violations: 0,
      });
      if (hooks.shouldStop?.()) {
        stoppedBy = 'interrupted';
        break;
      }
      const cands = ea.candidates(ea.rebuild({ ...node.a, path: [] }).world);
      for (const ev of cands) {
        const ra = ea.rebuild({ ...node.a, path: [] });
        const rb = eb.rebuild({ ...node.b, path: [] });
        const oa = observe(ra, ev, withMoves);
        const ob = observe(rb, ev, withMoves);
        transitions++;
        const path = [...node.path, ev];
        if (oa !== ob) {
          const difference = { events: path, a: oa, b: ob };
          return {
            equivalent: false,
            distinct: visited.size,
            transitions,
            depthReached: d + 1,
            complete: false,
            stoppedBy: null,
            difference,
          };
        }
        if (oa.startsWith('disabled') || ra.dead) continue;
        const next1 = advance(ra, node.a, ev);
        const next2 = advance(rb, node.b, ev);
        const h = new Hasher();
        for (const x of [...next1.key, ...next2.key]) h.word(x);
        const [hi, lo] = h.pair();
        if (!visited.add(hi, lo)) continue;
        next.push({ a: next1.side, b: next2.side, path });
      }
    }
    frontier = next;
  }
  return {
    equivalent: true,
    distinct: visited.size,
    transitions,
    // A level cut short by a stop is not covered.
    depthReached: stoppedBy ? d - 1 : d,
    complete: !stoppedBy && (frontier.length === 0 || d >= depth),
    stoppedBy,
    difference: null,
  };
}
