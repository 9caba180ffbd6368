// SPDX-License-Identifier: GPL-2.0-only
//
// Replays that do without loads (explore.ts: Segment.continues, PathRef.at). A path stopped away
// from an anchor is rebuilt by replaying its chain, each event from the world it was taken in,
// and then the state's own world is loaded back. When an event resumed the path alone and recorded
// no violation, the replay of that event makes exactly the world the explorer made then, so the
// next segment's world (taken from that state) and the state's own world need no load. The check
// mode packs the world the replay holds and the one it skipped at every such place and throws if
// they differ; the explorations must also find what they find with every load done.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Explorer } from './explore.js';
import { fullAlphabet, loadExploreConfig } from './explore-config.js';
import { resolveTable } from './revisions.js';

const configs = join(import.meta.dirname, '../../../fixtures/configs');

function explore(file: string, depth: number, maxStates: number, saveLoads: boolean) {
  const cfg = loadExploreConfig(join(configs, file));
  const ex = new Explorer(cfg.world, resolveTable('v6.4', null), fullAlphabet(cfg.alphabet), 'v6.4', null);
  ex.saveLoads = saveLoads;
  ex.checkSavedLoads = true;
  const r = ex.explore({ depth, maxStates, expandViolations: true });
  const found = r.violations.map((v) => `${v.invariant} ${v.depth} ${v.signature}`).sort();
  return { ex, r, found };
}

describe('replays that do without a load', () => {
  it.each([
    ['ref.yaml', 2, 20_000],
    ['ptrace.yaml', 2, 6_000],
    ['signals.yaml', 2, 6_000],
    ['races-kvm.yaml', 2, 6_000],
    ['fork-exec.yaml', 3, 4_000],
    ['sme2.yaml', 2, 6_000],
  ])('%s: hold the world they skip, and explore what every load explores', (file, depth, maxStates) => {
    const saving = explore(file, depth, maxStates, true);
    const loading = explore(file, depth, maxStates, false);
    expect(saving.ex.loadsSaved).toBeGreaterThan(0);
    expect(loading.ex.loadsSaved).toBe(0);
    expect(saving.r.distinct).toBe(loading.r.distinct);
    expect(saving.r.transitions).toBe(loading.r.transitions);
    expect(saving.found).toEqual(loading.found);
    expect(saving.ex.packer.unpacks).toBeLessThan(loading.ex.packer.unpacks);
  });
});
