// SPDX-License-Identifier: GPL-2.0-only
//
// Which implementation of the world walks (clone, in-place load, fingerprint) runs, and whether
// their time is counted: for `npm run bench`, which measures the per-shape walks (graph.ts,
// canon.ts) against the generic reference ones (canon-reference.ts) on the same run. Worker
// threads take the choice from the environment (KVMFP_WALKS=reference), which they inherit.

export interface WalkTimes {
  /** Milliseconds spent in each walk since the counters were last reset. */
  clone: number;
  load: number;
  fingerprint: number;
  /** How many times each walk ran. */
  clones: number;
  loads: number;
  fingerprints: number;
}

const zero = (): WalkTimes => ({ clone: 0, load: 0, fingerprint: 0, clones: 0, loads: 0, fingerprints: 0 });

export const walkMode = {
  /** The generic reference walks instead of the per-shape ones. */
  reference: process.env.KVMFP_WALKS === 'reference',
  /** Count the time spent in each walk (a clock read before and after each call). */
  timed: false,
  times: zero(),
};

/** Either setting differs from the default: the walks take their slower, switchable path. */
export function walksSwitched(): boolean {
  return walkMode.reference || walkMode.timed;
}

export function setWalks(opts: { reference?: boolean; timed?: boolean }): void {
  if (opts.reference !== undefined) walkMode.reference = opts.reference;
  if (opts.timed !== undefined) walkMode.timed = opts.timed;
  walkMode.times = zero();
}
