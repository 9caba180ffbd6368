// SPDX-License-Identifier: GPL-2.0-only
//
// For tests and benches: an explorer on v6.4 for a configuration of fixtures/configs, the worlds
// that random walks of its events reach (violating states included: they are states too), and a
// history replayed on a fresh world with live kernel paths (the ground truth the explorer's
// rebuilt states are checked against).

import { join } from 'node:path';
import { applyEvent, bootstrap, type Event } from './events.js';
import { Explorer, type ExplorerOptions, type Node } from './explore.js';
import { fullAlphabet, loadExploreConfig } from './explore-config.js';
import { attachVcpus } from './kvm.js';
import { rng } from './prng.js';
import { resolveTable } from './revisions.js';
import { Runtime } from './runtime.js';
import { createWorld, type World } from './world.js';

export const CONFIGS_DIR = join(import.meta.dirname, '../../../fixtures/configs');

/** An explorer on v6.4 (no mutant) for `file`, a name in fixtures/configs. */
export function v64Explorer(file: string, options: ExplorerOptions = {}): Explorer {
  return configExplorer(join(CONFIGS_DIR, file), null, options);
}

/** An explorer on v6.4, or a mutant of it, for the configuration file at `path`. */
export function configExplorer(path: string, mutant: string | null, options: ExplorerOptions = {}): Explorer {
  const cfg = loadExploreConfig(path);
  return new Explorer(
    cfg.world,
    resolveTable('v6.4', mutant),
    fullAlphabet(cfg.alphabet),
    'v6.4',
    mutant,
    options,
  );
}

/** A runtime on a fresh world of the explorer's configuration, with `history` applied (live paths). */
export function replayed(ex: Explorer, history: readonly Event[]): Runtime {
  const world = createWorld(ex.config, ex.rev, ex.mutant);
  const rt = new Runtime(world, ex.table, false);
  attachVcpus(rt, ex.config);
  bootstrap(rt);
  for (const e of history) applyEvent(rt, e);
  return rt;
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
