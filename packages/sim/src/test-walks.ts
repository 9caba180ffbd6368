// SPDX-License-Identifier: GPL-2.0-only
//
// For tests: an explorer on v6.4 for a configuration of fixtures/configs, and the worlds that
// random walks of its events reach (violating states included: they are states too).

import { join } from 'node:path';
import { Explorer, type ExplorerOptions, type Node } from './explore.js';
import { fullAlphabet, loadExploreConfig } from './explore-config.js';
import { rng } from './prng.js';
import { resolveTable } from './revisions.js';
import type { World } from './world.js';

export const CONFIGS_DIR = join(import.meta.dirname, '../../../fixtures/configs');

/** An explorer on v6.4 (no mutant) for `file`, a name in fixtures/configs. */
export function v64Explorer(file: string, options: ExplorerOptions = {}): Explorer {
  const cfg = loadExploreConfig(join(CONFIGS_DIR, file));
  return new Explorer(
    cfg.world,
    resolveTable('v6.4', null),
    fullAlphabet(cfg.alphabet),
    'v6.4',
    null,
    options,
  );
}

/** The states (as nodes) of `walks` random walks of up to `length` events each, from the seed. */
export function sampleNodes(ex: Explorer, walks: number, length: number, seed: number): Node[] {
  const random = rng(seed);
  const out: Node[] = [];
  for (let w = 0; w < walks; w++) {
    let n = ex.initial();
    out.push(n);
    for (let i = 0; i < length; i++) {
      const cands = ex.candidatesOf(n, false);
      if (!cands.length) break;
      const r = ex.step(n, cands[Math.floor(random() * cands.length)]);
      if (!r.child) break;
      n = r.child;
      out.push(n);
    }
  }
  return out;
}

/** The worlds of sampleNodes. */
export function sampleWorlds(file: string, walks: number, length: number, seed: number): World[] {
  return sampleNodes(v64Explorer(file), walks, length, seed).map((n) => n.world);
}
