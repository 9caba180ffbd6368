// Exploration reports. An unsharded run and the merge of the shards of the same run give the
// same report: the distinct states are the union of the shards' visited sets (each state at the
// smallest depth any shard reached it), and the violations are the shortest per kind. Only the
// amount of work (transitions) differs, since shards re-explore states reachable from several
// first events; it is reported as such.

import type { Counterexample, ExploreResult, LevelStats } from './explore.js';
import { keepShortest, sortedViolations } from './explore.js';
import { FingerprintSet } from './fpset.js';
import type { KnownMatch } from './known.js';

export interface ExploreReport {
  config: string;
  revision: string;
  mutant: string | null;
  /** The bound on choices, or null for a run to exhaustion. */
  depth: number | null;
  mode: string;
  shards: number;
  distinct: number;
  levels: Pick<LevelStats, 'depth' | 'distinct' | 'newStates'>[];
  complete: boolean;
  /** No state was left to explore (every shard's frontier emptied). */
  exhausted: boolean;
  /** The deepest level holding a state. */
  diameter: number;
  /** Levels explored to the end (a stop cuts the last one short). */
  levelsCompleted: number;
  /** Why the run stopped before its bound (a signal, the time limit, a state bound), or null. */
  stoppedBy: string | null;
  violations: Counterexample[];
  /** Counterexamples that match known findings (--known), each with the finding it matches. */
  known?: KnownMatch[];
  /** Work done, summed over shards (not part of the identity of a report). */
  transitions: number;
}

export interface ShardResult {
  result: ExploreResult;
  visited: NonNullable<ExploreResult['visited']>;
}

export function mergeShards(
  meta: Pick<ExploreReport, 'config' | 'revision' | 'mutant' | 'depth' | 'mode'>,
  shards: ShardResult[],
): ExploreReport {
  const union = new FingerprintSet(1 << 16, 2 ** 34);
  const best = new Map<string, Counterexample>();
  let transitions = 0;
  let complete = true;
  let exhausted = true;
  let stoppedBy: string | null = null;
  let levelsCompleted = Infinity;
  for (const s of shards) {
    stoppedBy ??= s.result.stoppedBy ?? null;
    levelsCompleted = Math.min(levelsCompleted, completedLevels(s.result));
    for (let i = 0; i < s.visited.hi.length; i++)
      union.add(s.visited.hi[i], s.visited.lo[i], s.visited.depth[i]);
    for (const v of s.result.violations) keepShortest(best, v);
    transitions += s.result.transitions;
    complete &&= s.result.complete;
    exhausted &&= s.result.exhausted ?? false;
  }
  const perDepth: number[] = [];
  for (const [, , d] of union.entries()) perDepth[d] = (perDepth[d] ?? 0) + 1;
  const diameter = Math.max(0, perDepth.length - 1);
  const levels: ExploreReport['levels'] = [];
  let cumulative = perDepth[0] ?? 0;
  for (let d = 1; d <= diameter; d++) {
    if (!perDepth[d]) break;
    cumulative += perDepth[d];
    levels.push({ depth: d, distinct: cumulative, newStates: perDepth[d] });
  }
  return {
    ...meta,
    shards: shards.length,
    distinct: union.size,
    levels,
    complete,
    exhausted,
    diameter,
    levelsCompleted: Math.min(levelsCompleted, levels.length),
    stoppedBy,
    violations: sortedViolations(best),
    transitions,
  };
}

/** The levels a shard explored to the end: all it reached, less the one a stop cut short. */
function completedLevels(r: Pick<ExploreResult, 'depthReached' | 'complete' | 'stoppedBy'>): number {
  if (r.complete) return Infinity;
  if (r.depthReached === undefined) return 0;
  return r.stoppedBy ? Math.max(0, r.depthReached - 1) : r.depthReached;
}

/** The part of a report that must not depend on how the run was split. */
export function reportIdentity(r: ExploreReport): unknown {
  const { transitions: _t, shards: _s, ...rest } = r;
  return rest;
}
