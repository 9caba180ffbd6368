// Exploration reports. An unsharded run and the merge of the shards of the same run give the
// same report: the distinct states are the union of the shards' visited sets (each state at the
// smallest depth any shard reached it), and the violations are the shortest per kind. Only the
// amount of work (transitions) differs, since shards re-explore states reachable from several
// first events; it is reported as such.

import type { Counterexample, ExploreResult, LevelStats } from './explore.js';
import { keepShortest, sortedViolations } from './explore.js';
import { FingerprintSet } from './fpset.js';

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
  violations: Counterexample[];
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
  for (const s of shards) {
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
    violations: sortedViolations(best),
    transitions,
  };
}

/** The part of a report that must not depend on how the run was split. */
export function reportIdentity(r: ExploreReport): unknown {
  const { transitions: _t, shards: _s, ...rest } = r;
  return rest;
}
