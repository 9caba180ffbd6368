// Preemption points: every label a kernel path can stop at (`yield* point('function:where')`),
// with the kernel function it is in and what the kernel lets run there. The list is generated
// (npm run points writes points-list.ts and the README table); a scenario's `to:` is checked
// against it when the file is loaded, so a misspelled label is an input error naming the nearest
// valid one instead of a path that silently runs to its end.

import type { Event } from './events.js';
import { PREEMPTION_POINTS } from './points-list.js';

export { PREEMPTION_POINTS };
export type { PreemptionPoint } from './points-list.js';

/** Stops at the first point, whatever its label (the explorer's choice). */
export const FIRST_POINT = 'first';

const LABELS = new Set(PREEMPTION_POINTS.map((p) => p.label));

export function isPointLabel(label: string): boolean {
  return label === FIRST_POINT || LABELS.has(label);
}

/** Edit distance (insertions, deletions, substitutions), for the nearest-label hint. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

export function nearestPointLabel(label: string): string {
  let best = FIRST_POINT;
  let bestD = Infinity;
  for (const l of [...LABELS].sort()) {
    const d = distance(label.toLowerCase(), l.toLowerCase());
    if (d < bestD) [best, bestD] = [l, d];
  }
  return best;
}

/** The first `to:` of `events` that names no preemption point, as a one-line message, or null. */
export function badStopLabel(events: readonly Event[]): string | null {
  for (const [i, e] of events.entries()) {
    if (!('to' in e) || e.to === undefined || isPointLabel(e.to)) continue;
    return `events.${i}.to (${e.do}): expected a preemption point (see the README list), found '${e.to}'; nearest: '${nearestPointLabel(e.to)}'`;
  }
  return null;
}
