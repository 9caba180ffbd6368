// A known soundness bug of the explorer's identity of states, found while testing symmetry.ts
// (issue 14) and left to the owners of paths.ts and explore.ts: kept here as an expected failure so
// that the reproducer is not lost, and so that this test starts failing (an `it.fails` that passes)
// once the bug is fixed; then turn it into a plain `it`.
//
// On nVHE the hyp frames under a guest entry hold this CPU's host context (__kvm_vcpu_run keeps
// kvm_host_data's host_ctxt from entry to exit), but a path stopped at the guest anchor
// (paths.ts GUEST_ANCHOR) is signed by the vcpu and the tag only, and rebuilt from the first
// chain that reached that signature. A VMM that entered its guest on CPU 0 once and then on CPU 1
// gets, on CPU 1, a path rebuilt from the CPU 0 entry: the next guest exit saves and restores the
// host through CPU 0's context, and the world differs from the one a replay gives. The VHE
// configuration (races-kvm.yaml) runs the same history without a difference.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { worldFingerprint } from './canon.js';
import { applyEvent, bootstrap, type Event, EventError } from './events.js';
import { Explorer, historyOf } from './explore.js';
import { fullAlphabet, loadExploreConfig } from './explore-config.js';
import { checkInvariants } from './invariants.js';
import { attachVcpus } from './kvm.js';
import { resolveTable } from './revisions.js';
import { Runtime } from './runtime.js';
import { createWorld } from './world.js';

const here = join(import.meta.dirname, '../../../fixtures/configs');

/** Each event's world as the explorer's step gives it and as a replay of the history does. */
function compare(file: string, events: Event[]): string[] {
  const cfg = loadExploreConfig(join(here, file));
  const ex = new Explorer(cfg.world, resolveTable('v6.4', null), fullAlphabet(cfg.alphabet), 'v6.4', null, {
    symmetry: false,
  });
  const replay = (history: Event[], ev: Event): string => {
    const world = createWorld(ex.config, ex.rev, ex.mutant);
    const rt = new Runtime(world, ex.table, false);
    attachVcpus(rt, ex.config);
    bootstrap(rt);
    for (const e of history) applyEvent(rt, e);
    try {
      applyEvent(rt, ev);
    } catch (e) {
      if (e instanceof EventError) return 'disabled';
      throw e;
    }
    checkInvariants(world);
    return worldFingerprint(world).join(',');
  };
  const out: string[] = [];
  let n = ex.initial();
  for (const ev of events) {
    const r = ex.step(n, ev);
    const got = !r.enabled ? 'disabled' : r.child ? worldFingerprint(r.child.world).join(',') : 'dead';
    if (got !== replay(historyOf(n), ev))
      out.push(`${JSON.stringify(ev)} after ${JSON.stringify(historyOf(n))}`);
    if (r.child) n = r.child;
  }
  return out;
}

const step = (cpu: number): Event => ({ do: 'step', cpu, to: 'first' });
const exit: Event = { do: 'guest_exit', vcpu: 'g0', to: 'first' };

/** Into the guest on CPU 0, out, the VMM moved to CPU 1 at a preemptible point, in again, out. */
const history: Event[] = [
  { do: 'kvm_run', task: 'vmm', to: 'first' },
  step(0),
  step(0),
  exit,
  step(0),
  step(0),
  { do: 'preempt', cpu: 1, idle: true },
  { do: 'preempt', cpu: 0, idle: true },
  { do: 'preempt', cpu: 1, next: 'vmm' },
  step(1),
  step(1),
  exit,
];

describe('a guest entered from another CPU (explorer state identity)', () => {
  it('VHE: the rebuilt guest path exits as a replay does', () => {
    expect(compare('races-kvm.yaml', history)).toEqual([]);
  });

  it('nVHE: the rebuilt guest path exits as a replay does', () => {
    expect(compare('races-kvm-nvhe.yaml', history)).toEqual([]);
  });
});
