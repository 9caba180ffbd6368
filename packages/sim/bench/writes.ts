// `npm run bench:writes -- [CONFIG...]`: how much of the world one event changes. For every event
// of the states that random walks reach, the world after it is compared with a copy of the world
// before, object by object at the same place (as the in-place load keeps objects by place), the
// fields the fingerprint skips left out: an object counts as changed when one of its own plain
// fields differs, its length does (arrays), or another object or none stands in its place. What
// the explorer's walks (load, fingerprint, pack) cover per transition is the whole world; what a
// layout that knew an event's writes would need to cover is this (issue 17's typed world).

import { basename, join, resolve } from 'node:path';
import { cloneGraph } from '../src/graph.js';
import { CONFIGS_DIR, configExplorer, sampleNodes } from '../src/test-walks.js';
import { SKIP_KEYS } from '../src/world-keys.js';

const DEFAULT_CONFIGS = ['sched-sve.yaml', 'signals.yaml', 'ref.yaml', 'ptrace.yaml', 'races-kvm.yaml'];

interface Count {
  objects: number;
  changed: number;
}

/** Counts the objects of `after` and those that differ from `before` at the same place. */
function compare(after: unknown, before: unknown, count: Count, seen: Set<object>): void {
  if (after === null || typeof after !== 'object' || seen.has(after)) return;
  seen.add(after);
  count.objects++;
  if (before === null || typeof before !== 'object' || Array.isArray(after) !== Array.isArray(before)) {
    count.changed++;
    return;
  }
  const a = after as Record<string, unknown>;
  const b = before as Record<string, unknown>;
  let changed = Array.isArray(after) && after.length !== (before as unknown[]).length;
  for (const k of Object.keys(a)) {
    if (SKIP_KEYS.has(k)) continue;
    const x = a[k];
    if (x !== null && typeof x === 'object') compare(x, b[k], count, seen);
    else if (x !== b[k]) changed = true;
  }
  if (changed) count.changed++;
}

function percentile(xs: number[], p: number): number {
  const sorted = [...xs].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
}

function measure(file: string): string {
  const ex = configExplorer(file, null);
  const changed: number[] = [];
  const objects: number[] = [];
  for (const n of sampleNodes(ex, 20, 12, 5))
    for (const ev of ex.candidatesOf(n, false)) {
      const before = cloneGraph(n.world);
      const child = ex.step(n, ev).child;
      if (!child) continue;
      const count = { objects: 0, changed: 0 };
      compare(child.world, before, count, new Set());
      changed.push(count.changed);
      objects.push(count.objects);
    }
  const mean = changed.reduce((s, x) => s + x, 0) / changed.length;
  return (
    `${basename(file)}: ${changed.length} events; objects in the world, median ${percentile(objects, 0.5)}; ` +
    `changed by one event: median ${percentile(changed, 0.5)}, mean ${mean.toFixed(1)}, ` +
    `90th percentile ${percentile(changed, 0.9)}, most ${Math.max(...changed)}`
  );
}

const files = process.argv.slice(2);
for (const f of files.length
  ? files.map((x) => resolve(x))
  : DEFAULT_CONFIGS.map((x) => join(CONFIGS_DIR, x)))
  console.log(measure(f));
