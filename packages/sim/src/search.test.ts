// SPDX-License-Identifier: GPL-2.0-only
//
// A search split by fingerprint gives what one part gives: the same states at the same depths, the
// same transitions, the same sleep-set work and the same counterexamples (events included), for
// any number of parts. The parts take turns in this thread, each with its own explorer and Packer,
// and hand each other their successors as wire batches read through mirrors (search-wire.ts), as
// worker threads do; explore.test.ts runs the same in two workers.

import { describe, expect, it } from 'vitest';
import type { ExploreOptions, ExploreResult, Segment } from './explore.js';
import { historyOf, replayMakes } from './explore.js';
import { Packer, PackedWorld } from './pack.js';
import { PartSearch, plainKeyOf, type Arrival } from './search.js';
import { exploreInTurns, readBatch, writeBatch } from './search-wire.js';
import { sampleNodes, v64Explorer } from './test-walks.js';

/** What must not depend on the number of parts: sums and unions of the parts' results. */
function whole(rs: ExploreResult[]) {
  const visited = new Map<string, number>();
  for (const r of rs) {
    const v = r.visited!;
    for (let i = 0; i < v.hi.length; i++) visited.set(`${v.hi[i]}:${v.lo[i]}`, v.depth[i]);
  }
  const sum = (f: (r: ExploreResult) => number) => rs.reduce((n, r) => n + f(r), 0);
  const violations = new Map<string, string>();
  for (const r of rs)
    for (const c of r.violations) {
      const text = JSON.stringify([c.depth, c.events]);
      const old = violations.get(c.signature!);
      if (old === undefined || text < old) violations.set(c.signature!, text);
    }
  return {
    distinct: sum((r) => r.distinct),
    visited: [...visited].sort(),
    transitions: sum((r) => r.transitions),
    slept: sum((r) => r.slept ?? 0),
    reexpanded: sum((r) => r.reexpanded ?? 0),
    violations: [...violations].sort(),
    exhausted: rs.every((r) => r.exhausted),
  };
}

const CASES: [string, ExploreOptions][] = [
  ['sched-sve.yaml', { depth: 4 }],
  ['signals.yaml', { depth: 2, expandViolations: true }],
  ['ptrace.yaml', { depth: 2 }],
  ['races-kvm.yaml', { depth: 2 }],
];

describe('a search split between parts', () => {
  for (const [file, opts] of CASES)
    it(`${file}: 1, 2 and 3 parts find the same states, transitions and counterexamples`, () => {
      const run = (parts: number) =>
        whole(exploreInTurns((part) => v64Explorer(file, { part }), { ...opts, keepVisited: true }, parts));
      const one = run(1);
      const inProcess = v64Explorer(file).explore({ ...opts, keepVisited: true });
      expect(one).toEqual(whole([inProcess]));
      expect(one.distinct).toBeGreaterThan(100);
      expect(run(2)).toEqual(one);
      expect(run(3)).toEqual(one);
    }, 120_000);

  it('hands over without its world a successor whose owner stored it with nothing asleep', () => {
    // The owner tells the other parts which states it stored where no arrival can wake an event
    // (PartSearch.tellStored); a successor that is one of them crosses without its world. The
    // search is the same (the test above); here, that it happens, and only to such successors.
    const opts: ExploreOptions = { depth: 5, keepVisited: true };
    const rs = exploreInTurns((part) => v64Explorer('sched-sve.yaml', { part }), opts, 2);
    const bare = rs.reduce((n, r) => n + (r.handedBare ?? 0), 0);
    const handed = rs.reduce((n, r) => n + (r.handedOver ?? 0), 0);
    expect(bare).toBeGreaterThan(200);
    expect(bare).toBeLessThan(handed);
    expect(whole(rs)).toEqual(whole([v64Explorer('sched-sve.yaml').explore(opts)]));
  });

  it('reads another Packer’s bytes through a mirror kept up to date by deltas', () => {
    const a = new Packer(1);
    const b = new Packer(0);
    // b has strings of its own, so the same string has other numbers in the two tables.
    b.unpack(b.pack({ x: 'only in b', y: ['q'] }));
    const mirror = b.mirror(1);
    const first = a.pack({ x: 'first', y: ['p', 'q'] });
    mirror.apply(a.delta());
    expect(mirror.unpack(first)).toEqual({ x: 'first', y: ['p', 'q'] });
    const second = a.pack({ x: 'second', y: ['q'] });
    expect(mirror.unpack(second)).not.toEqual({ x: 'second', y: ['q'] });
    mirror.apply(a.delta());
    expect(mirror.unpack(second)).toEqual({ x: 'second', y: ['q'] });
  });

  it('hands successors over as they were: worlds, paths and their chains, histories, sleep sets, relabellings', () => {
    // Part 0 of 2 explores signals.yaml (paths stopped at points, chains, violations expanded)
    // for ten rounds (by then some chains have segments that continue the one before); what it
    // sends part 1 must read back as it was, through a mirror.
    const opts: ExploreOptions = { depth: 3, expandViolations: true };
    const ex = [0, 1].map((part) => v64Explorer('signals.yaml', { part }));
    const searches = ex.map((e, i) => new PartSearch(e, opts, i, 2));
    const mirror = ex[1].packer.mirror(0);
    const back = ex[0].packer.mirror(1);
    const sent: Arrival[] = [];
    for (let round = 0; round < 10 && sent.length < 600; round++) {
      const reports = searches.map((s) => s.round());
      sent.push(...reports[0].outboxes[1]);
      back.apply(ex[1].packer.delta());
      searches[0].merge(readBatch(0, [null, back], writeBatch(1, reports[1].outboxes[0])));
      searches[1].merge([]);
      if (reports.every((r) => r.atDepth === 0)) searches.forEach((s) => s.advance());
    }
    mirror.apply(ex[0].packer.delta());
    const got = readBatch(1, [mirror, null], structuredClone(writeBatch(0, sent)));
    const view = (a: Arrival, unpack: (p: PackedWorld) => unknown) => ({
      ...a,
      node: a.node && {
        key: a.node.key,
        depth: a.node.depth,
        world: unpack(a.node.packed!),
        history: historyOf(a.node),
        relabelList: a.node.relabelList,
        tieLists: a.node.tieLists,
        // PathRef.at is a history object of the thread's own: what crosses is whether it is the
        // state's history (the only case a replay reads it in).
        paths: a.node.paths.map((p) => ({
          ...p,
          at: replayMakes(p, a.node!.hist),
          chain: chainOf(p.chain, unpack),
        })),
      },
    });
    const withNodes = sent.filter((a) => a.node);
    expect(withNodes.length).toBeGreaterThan(50);
    expect(withNodes.some((a) => a.node!.paths.some((p) => p.chain))).toBe(true);
    // Replays' saved loads (explore.ts) cross too: a path made by its state's own event, and a
    // chain segment that continues the one before it.
    expect(withNodes.some((a) => a.node!.paths.some((p) => replayMakes(p, a.node!.hist)))).toBe(true);
    const continues = (s: Segment | null): boolean =>
      s !== null && (s.continues === true || continues(s.prev));
    expect(withNodes.some((a) => a.node!.paths.some((p) => continues(p.chain)))).toBe(true);
    expect(sent.some((a) => a.sleep?.length)).toBe(true);
    expect(got.map((a) => view(a, (p) => mirror.unpack(p)))).toEqual(
      sent.map((a) => view(a, (p) => ex[0].packer.unpack(p))),
    );
  });
});

function chainOf(s: Segment | null, unpack: (p: PackedWorld) => unknown): unknown[] {
  const out: unknown[] = [];
  for (; s; s = s.prev)
    out.push({ ev: s.ev, from: s.from, continues: s.continues, world: unpack(s.snap as PackedWorld) });
  return out;
}

describe('sleep-set keys of events', () => {
  it("are the events' texts, found again for a new object with the same fields", () => {
    let events = 0;
    for (const file of ['sched-sve.yaml', 'signals.yaml', 'ptrace.yaml', 'ref.yaml']) {
      const ex = v64Explorer(file);
      for (const n of sampleNodes(ex, 4, 8, 3))
        for (const ev of ex.candidatesOf(n, false)) {
          const text = JSON.stringify(ev);
          expect(plainKeyOf(ev)).toBe(text);
          // A copy (as the next expansion's candidates are) is found through the tree.
          expect(plainKeyOf({ ...ev })).toBe(text);
          events++;
        }
    }
    expect(events).toBeGreaterThan(500);
    // Events that differ in one field only, met in either order, keep their own texts.
    const a = { do: 'user', task: 'a', op: 'sve', to: 'first' } as const;
    const b = { ...a, task: 'b' } as const;
    expect([plainKeyOf(b), plainKeyOf(a), plainKeyOf(b)]).toEqual([
      JSON.stringify(b),
      JSON.stringify(a),
      JSON.stringify(b),
    ]);
  });
});
