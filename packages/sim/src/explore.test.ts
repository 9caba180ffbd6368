// The explorer: exhaustive within its bound, finds a mutant with a counterexample that replays,
// gives the same report with 1 and 2 workers and when split into shards and merged.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Explorer, type Step } from './explore.js';
import { fullAlphabet, loadExploreConfig } from './explore-config.js';
import { exploreInWorkers } from './parallel.js';
import { mergeShards, reportIdentity, ShardResult } from './report.js';
import { resolveTable } from './revisions.js';
import { runScenario } from './run.js';
import { FingerprintSet } from './fpset.js';
import { PackedWorld } from './pack.js';
import { worldFingerprint } from './canon.js';
import type { World } from './world.js';
import { equivalence } from './equiv.js';
import { configExplorer, sampleNodes, v64Explorer } from './test-walks.js';

const configs = join(import.meta.dirname, '../../../fixtures/configs');
const meta = (file: string, depth: number) => ({
  config: file,
  revision: 'v6.4',
  mutant: null,
  depth,
  mode: 'points',
});

function explore(file: string, depth: number, mutant: string | null = null, atomicPaths = false) {
  const ex = configExplorer(file, mutant);
  return { cfg: loadExploreConfig(file), result: ex.explore({ depth, keepVisited: true, atomicPaths }) };
}

describe('explorer', () => {
  it('finds the load-fp-leaves-sm mutant with a shortest counterexample that replays', () => {
    const { cfg, result } = explore(join(configs, 'guest-nosve.yaml'), 3, 'load-fp-leaves-sm', true);
    const v = result.violations.find((x) => x.invariant === 'guest-without-host-sm-za');
    expect(v).toBeDefined();
    expect(v!.depth).toBe(2);
    const replay = runScenario(
      {
        title: 'replay',
        claim: 'the counterexample replays to the same violation',
        revision: 'v6.4',
        mutant: 'load-fp-leaves-sm',
        machine: cfg.machine,
        tasks: cfg.tasks,
        vcpus: cfg.vcpus,
        events: v!.events,
        expect: { violations: [{ invariant: v!.invariant }] },
      },
      { tracing: false },
    );
    expect(replay.failures).toEqual([]);
  });

  it('finds no violation on v6.4 where the mutant fails', () => {
    const { result } = explore(join(configs, 'guest-nosve.yaml'), 3, null, true);
    expect(result.violations.map((v) => v.invariant)).not.toContain('guest-without-host-sm-za');
  });

  it('gives the same report in process, with 2 workers, and as merged shards', async () => {
    const file = join(configs, 'sched-sve.yaml');
    const depth = 3;
    const single = explore(file, depth).result;
    const one = mergeShards(meta(file, depth), [{ result: single, visited: single.visited! }]);
    const two = mergeShards(
      meta(file, depth),
      await exploreInWorkers({ configFile: file, rev: 'v6.4', mutant: null, options: { depth } }, 2),
    );
    expect(reportIdentity(two)).toEqual(reportIdentity(one));
    // Two workers split the states, not the sequences: the same work, not only the same result.
    expect(two.transitions).toBe(one.transitions);
    const cfg = loadExploreConfig(file);
    const shards: ShardResult[] = [0, 1, 2].map((i) => {
      const ex = new Explorer(
        cfg.world,
        resolveTable('v6.4', null),
        fullAlphabet(cfg.alphabet),
        'v6.4',
        null,
      );
      const r = ex.explore({ depth, keepVisited: true, shard: [i, 3] });
      return { result: r, visited: r.visited! };
    });
    expect(reportIdentity(mergeShards(meta(file, depth), shards))).toEqual(reportIdentity(one));
  }, 120_000);

  it('with sleep sets, merged shards find the violations the whole run finds', () => {
    // Which of the orders of independent steps a reduced search keeps (and so which path
    // signatures it counts) depends on the order it meets them in, and shards meet them in
    // another order: their merged count may differ, their violations may not.
    const file = join(configs, 'ptrace.yaml');
    const depth = 2;
    const cfg = loadExploreConfig(file);
    const run = (sleepSets: boolean, shard?: [number, number]) =>
      new Explorer(cfg.world, resolveTable('v6.4', null), fullAlphabet(cfg.alphabet), 'v6.4', null).explore({
        depth,
        keepVisited: true,
        sleepSets,
        shard,
      });
    const signatures = (vs: { signature?: string; depth: number }[]) =>
      vs.map((v) => `${v.depth}: ${v.signature}`).sort();
    const whole = run(true);
    const parts = [0, 1].map((i) => run(true, [i, 2]));
    expect(whole.violations.length).toBeGreaterThan(0);
    expect(new Set(signatures(parts.flatMap((p) => p.violations)))).toEqual(
      new Set(signatures(whole.violations)),
    );
  }, 120_000);

  it.each([
    ['sched-sme.yaml', 4],
    ['signals.yaml', 3],
    ['races-kvm.yaml', 3],
  ])(
    '%s: a packed frontier and a reused working world explore exactly as whole worlds do',
    (file, depth) => {
      const cfg = loadExploreConfig(join(configs, file));
      const run = (packFrontier: boolean) =>
        new Explorer(cfg.world, resolveTable('v6.4', null), fullAlphabet(cfg.alphabet), 'v6.4', null, {
          packFrontier,
        }).explore({ depth, expandViolations: true, maxStates: 2500 });
      const [packed, whole] = [run(true), run(false)];
      expect(packed.levels).toEqual(whole.levels);
      expect(packed.violations).toEqual(whole.violations);
      expect(packed.stoppedBy).toBe('state bound 2500');
      expect(packed.levels.length).toBeGreaterThan(2);
    },
    120_000,
  );

  it('is deterministic: two runs give the same levels', () => {
    const file = join(configs, 'host-only.yaml');
    expect(explore(file, 1).result.levels).toEqual(explore(file, 1).result.levels);
  });

  it('exhausts a small world: the frontier empties and the report says so', () => {
    const cfg = loadExploreConfig(join(configs, 'sched-sve.yaml'));
    const world = { ...cfg.world, tasks: [{ name: 'a', cpu: 0 }, { name: 'b' }] };
    world.machine = { ...world.machine, ncpus: 1 };
    const ex = new Explorer(world, resolveTable('v6.4', null), fullAlphabet(cfg.alphabet), 'v6.4', null);
    const r = ex.explore({});
    expect(r.exhausted).toBe(true);
    expect(r.levels[r.levels.length - 1].frontier).toBe(0);
    expect(r.diameter).toBeGreaterThan(2);
    // A bound below the diameter cuts the search: then it is not exhausted.
    const bounded = ex.explore({ depth: r.diameter - 1 });
    expect(bounded.exhausted).toBe(false);
    expect(bounded.distinct).toBeLessThan(r.distinct);
    // Merging states is what makes exhaustion possible: far fewer states than transitions.
    expect(r.transitions).toBeGreaterThan(r.distinct);
  });

  it('stops cleanly at its heap bound and says so, with what it covered', () => {
    const cfg = loadExploreConfig(join(configs, 'host-only.yaml'));
    const ex = new Explorer(cfg.world, resolveTable('v6.4', null), fullAlphabet(cfg.alphabet), 'v6.4', null);
    const r = ex.explore({ depth: 3, maxHeapBytes: 1 });
    expect(r.complete).toBe(false);
    expect(r.exhausted).toBe(false);
    expect(r.stoppedBy).toMatch(/^memory bound: the frontier of depth 0 filled 0 MiB of heap$/);
    expect(r.distinct).toBe(1);
  });
});

describe('the last event of an expansion, on the unpacked world itself', () => {
  // Explorer.step(..., last): the event runs on the node's own world instead of a load into the
  // working world. Compared with the working world on every event of sampled states with paths
  // in flight, and once more with the prediction of the paths an event resumes switched off, so
  // that an event that meets a path not rebuilt has run part way on the node's world and must be
  // retried on a fresh copy of it.
  const outcome = (r: Step) => ({
    enabled: r.enabled,
    violations: r.violations,
    key: r.child?.key,
    paths: r.child?.paths.map((p) => [p.pid, p.sig, p.label]),
  });

  for (const file of ['signals.yaml', 'sched-sve.yaml'])
    it(`${file}: gives what the working world gives, a path rebuilt or not`, () => {
      const ex = v64Explorer(file);
      const work = ex.load(ex.store(ex.initial())).world;
      const blind = () => new Set<number>();
      let compared = 0;
      let retried = 0;
      for (const sample of sampleNodes(ex, 8, 10, 11)) {
        if (!sample.paths.length) continue;
        const stored = ex.store(sample);
        for (const ev of ex.candidatesOf(sample, false)) {
          const expected = outcome(ex.step(ex.load(stored), ev, work));
          const own = ex.load(stored);
          expect(outcome(ex.step(own, ev, work, true))).toEqual(expected);
          const unpredicted = ex.load(stored);
          const world = unpredicted.world;
          Object.defineProperty(ex, 'predictNeeds', { value: blind, configurable: true });
          try {
            expect(outcome(ex.step(unpredicted, ev, work, true))).toEqual(expected);
          } finally {
            delete (ex as unknown as Record<string, unknown>).predictNeeds;
          }
          if (unpredicted.world !== world) retried++;
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(100);
      expect(retried).toBeGreaterThan(10);
    });
});

describe('the segment worlds replays keep', () => {
  // Explorer.snapWorld: a segment world is unpacked once and kept; a copy of its bytes (as every
  // batch of a split search brings) finds the kept world, but bytes read by another Packer, or
  // other bytes, do not.
  it('finds a kept world by its packed bytes, read by the same Packer only', () => {
    const ex = v64Explorer('sched-sve.yaml');
    const snapWorld = (p: PackedWorld) =>
      (ex as unknown as { snapWorld(s: PackedWorld): World }).snapWorld(p);
    const [first, second] = sampleNodes(ex, 1, 6, 3).slice(-2);
    const a = ex.packer.pack(first.world);
    const b = ex.packer.pack(second.world);
    const unpacks = () => ex.packer.unpacks;
    const start = unpacks();
    const kept = snapWorld(a);
    expect(unpacks()).toBe(start + 1);
    expect(snapWorld(a)).toBe(kept);
    const copy = new PackedWorld(a.bytes.slice());
    expect(snapWorld(copy)).toBe(kept);
    expect(unpacks()).toBe(start + 1);
    const other = snapWorld(b);
    expect(other).not.toBe(kept);
    expect(worldFingerprint(other)).toEqual(worldFingerprint(second.world));
    expect(unpacks()).toBe(start + 2);
    // The same bytes named as another part's (read through a mirror) are another world.
    const mirror = ex.packer.mirror(1);
    mirror.apply(ex.packer.delta());
    const throughMirror = snapWorld(new PackedWorld(a.bytes.slice(), mirror));
    expect(throughMirror).not.toBe(kept);
    expect(worldFingerprint(throughMirror)).toEqual(worldFingerprint(first.world));
    expect(unpacks()).toBe(start + 3);
  });
});

describe('equivalence', () => {
  /** v6.3 against v6.4 (or against `mutant` of v6.4) on a configuration of the corpus. */
  function againstV64(
    file: string,
    depth: number | undefined,
    hooks: Parameters<typeof equivalence>[6] = {},
    a: 'v6.3' | 'v6.4' = 'v6.3',
    mutant: string | null = null,
  ) {
    const cfg = loadExploreConfig(join(configs, file));
    return equivalence(
      cfg.world,
      { name: a, table: resolveTable(a, null) },
      { name: mutant ?? 'v6.4', table: resolveTable('v6.4', mutant), mutant },
      fullAlphabet(cfg.alphabet),
      depth,
      false,
      hooks,
    );
  }

  it('finds no difference between v6.3 and v6.4 on a small bound', () => {
    const r = againstV64('guest-nosve.yaml', 3);
    expect(r.equivalent).toBe(true);
    expect(r.distinct).toBeGreaterThan(10);
  });

  it('reports the first difference between v6.4 and a mutant', () => {
    const r = againstV64('guest-nosve.yaml', 8, {}, 'v6.4', 'load-fp-leaves-sm');
    expect(r.equivalent).toBe(false);
    expect(r.difference!.a).not.toEqual(r.difference!.b);
  });

  // The frontier keeps both worlds of a pair packed (as the explorer's does) and unpacks them to
  // expand the pair, each event on a working world: the same pairs, transitions and first
  // difference as with whole worlds and a fresh copy per event.
  it.each([
    ['guest-nosve.yaml', 'v6.3', 'v6.4', null, 3],
    ['kvm-guest-vl.yaml', 'v6.3', 'v6.4', null, 3],
    ['guest-nosve.yaml', 'v6.4', 'a mutant', 'load-fp-leaves-sm', 8],
  ] as const)(
    '%s, %s against %s: a packed frontier explores what whole worlds do',
    (file, rev, _, mutant, depth) => {
      const packed = againstV64(file, depth, { packFrontier: true }, rev, mutant);
      const whole = againstV64(file, depth, { packFrontier: false }, rev, mutant);
      expect(packed).toEqual(whole);
      expect(packed.distinct).toBeGreaterThan(10);
    },
  );

  it('stops at its memory bound and says so', () => {
    const r = againstV64('guest-nosve.yaml', undefined, { maxHeapBytes: 1 });
    expect(r.stoppedBy).toMatch(/^memory bound: the frontier of depth 0 filled 0 MiB of heap$/);
    expect(r).toMatchObject({ equivalent: true, complete: false, exhausted: false });
  });

  it('stops when its visited set would pass its bound, and says so without naming a flag it lacks', () => {
    const r = againstV64('guest-nosve.yaml', undefined, { maxVisitedBytes: 2 ** 15 });
    expect(r.stoppedBy).toMatch(/^memory bound: the visited set would exceed 0 MiB after \d+ pairs$/);
    expect(r.distinct).toBeGreaterThan(3000);
    expect(r).toMatchObject({ equivalent: true, complete: false, exhausted: false });
  });
});

describe('fingerprint set', () => {
  it('keeps the smallest depth and grows without losing entries', () => {
    const s = new FingerprintSet(16);
    for (let i = 0; i < 1000; i++) expect(s.add(i * 7919, i, 5)).toBe(true);
    expect(s.add(7919, 1, 2)).toBe(false);
    expect(s.size).toBe(1000);
    const found = [...s.entries()].find(([h, l]) => h === 7919 && l === 1);
    expect(found?.[2]).toBe(2);
    expect(s.bytes / s.size).toBeLessThanOrEqual(20);
  });

  it('stays at most 16 bytes per state at every size past its initial table', () => {
    const s = new FingerprintSet(1 << 12);
    let worst = 0;
    for (let i = 1; i <= 300_000; i++) {
      s.add(Math.imul(i, 0x9e3779b1) >>> 0, Math.imul(i, 0x85ebca6b) >>> 0, i & 7);
      if (i > 4096) worst = Math.max(worst, s.bytes / s.size);
    }
    expect(s.size).toBe(300_000);
    expect(worst).toBeLessThanOrEqual(16);
    for (let i = 1; i <= 300_000; i += 997)
      expect(s.depthOf(Math.imul(i, 0x9e3779b1) >>> 0, Math.imul(i, 0x85ebca6b) >>> 0)).toBe(i & 7);
    // Copying its entries into a new small table (as merging shard reports does) stays a few
    // probes per entry, grows included: entries in hash order would pile up in one run of slots.
    const copy = new FingerprintSet(1 << 12);
    for (const [h, l, d] of s.entries()) copy.add(h, l, d);
    expect(copy.size).toBe(300_000);
    // (Measured: about 8 in this order, about 9.5 for the random fill above, 57,808 in hash order.)
    expect(copy.probes / copy.size).toBeLessThan(12);
  });
});
