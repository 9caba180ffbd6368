// SPDX-License-Identifier: GPL-2.0-only
//
// Packed worlds (pack.ts) against cloneGraph: on states random walks reach in several kinds of
// configuration, unpacking a packed world must give what a clone gives — the same data, the same
// sharing (the reference fingerprint numbers back-references, so extra or missing sharing shows),
// the same fingerprint, the unchanging SHARED_KEYS values themselves and no other object of the
// original — and loading it in place must equal loading the original.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { referenceFingerprint } from './canon-reference.js';
import { worldFingerprint } from './canon.js';
import { cloneGraph, loadInto } from './graph.js';
import { keepBytes, Packer } from './pack.js';
import { rng } from './prng.js';
import type { World } from './world.js';
import { SHARED_KEYS } from './world-keys.js';
import { sampleWorlds } from './test-walks.js';

const CONFIGS = ['sched-sme.yaml', 'ref.yaml', 'races-host.yaml', 'signals.yaml', 'ptrace.yaml', 'sme2.yaml'];

/** Every object reachable outside the SHARED_KEYS fields. */
function objectsOf(root: object): Set<object> {
  const seen = new Set<object>();
  const walk = (v: unknown): void => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.add(v);
    if (Array.isArray(v)) v.forEach(walk);
    else for (const [k, x] of Object.entries(v)) if (!SHARED_KEYS.has(k)) walk(x);
  };
  walk(root);
  return seen;
}

describe('packed worlds', () => {
  it.each(CONFIGS)('%s: unpack(pack(w)) is a clone of w', (file) => {
    const packer = new Packer();
    const worlds = sampleWorlds(file, 8, 16, 23);
    let bytes = 0;
    for (const w of worlds) {
      const p = packer.pack(w);
      bytes += p.bytes.length;
      const u = packer.unpack<World>(p);
      expect(JSON.stringify(u)).toBe(JSON.stringify(w));
      expect(referenceFingerprint(u)).toEqual(referenceFingerprint(w));
      expect(worldFingerprint(u)).toEqual(worldFingerprint(w));
      expect(u.machine.config).toBe(w.machine.config);
      expect(u.writers).toBe(w.writers);
      const mine = objectsOf(w);
      expect([...objectsOf(u)].filter((o) => mine.has(o))).toEqual([]);
      // Packing is a function of the data: a clone packs to the same bytes.
      expect(packer.pack(cloneGraph(w)).bytes).toEqual(p.bytes);
    }
    // Far smaller than the object graph it stands for (~7 KB of heap).
    expect(bytes / worlds.length).toBeLessThan(4096);
  });

  it.each(CONFIGS)('%s: loading an unpacked world in place equals loading the world', (file) => {
    const packer = new Packer();
    const worlds = sampleWorlds(file, 4, 12, 23);
    const random = rng(3);
    for (let i = 0; i < 40; i++) {
      const src = worlds[Math.floor(random() * worlds.length)];
      const a = cloneGraph(worlds[Math.floor(random() * worlds.length)]);
      const b = cloneGraph(a);
      loadInto(a, src);
      loadInto(b, packer.unpack<World>(packer.pack(src)));
      expect(referenceFingerprint(b)).toEqual(referenceFingerprint(a));
    }
  });

  it('keeps numbers, strings, sharing and cycles of plain data exactly', () => {
    const packer = new Packer();
    const leaf = { n: -0 };
    const data: Record<string, unknown> = {
      nums: [0, 199, 200, 2 ** 31, 2 ** 53 - 1, -1, -(2 ** 40), 0.5, -1e-300, NaN, Infinity, -Infinity],
      text: ['', 'é', 'x'.repeat(300)],
      flags: [true, false, null, undefined],
      a: leaf,
      b: [leaf, { 0: 'x', 1: 'y' }],
      config: { fixed: true },
      self: null,
    };
    data.self = data;
    const u = packer.unpack<Record<string, unknown>>(packer.pack(data));
    expect(u.nums).toEqual(data.nums);
    expect(Object.is((u.a as { n: number }).n, -0)).toBe(true);
    expect(u.text).toEqual(data.text);
    expect(u.flags).toEqual(data.flags);
    expect(u.self).toBe(u);
    expect((u.b as unknown[])[0]).toBe(u.a);
    expect(u.a).not.toBe(leaf);
    expect(u.config).toBe(data.config);
    expect((u.b as unknown[])[1]).toEqual({ 0: 'x', 1: 'y' });
  });

  it('keeps every packed world intact while later ones fill and pass their slabs', () => {
    // Packed bytes are views into shared slabs (keepBytes): a later pack, or a world copied out
    // of a batch, must never write over an earlier one's bytes. 400 worlds of ~0.5-1 KB cross
    // several 64 KiB slabs; one too large for a slab is kept alone.
    const packer = new Packer();
    const worlds = sampleWorlds('signals.yaml', 8, 50, 5);
    const kept = [];
    for (let round = 0; round < 8; round++) for (const w of worlds) kept.push({ w, p: packer.pack(w) });
    const big = { big: 'x'.repeat(9000), nums: Array.from({ length: 9000 }, (_, i) => i) };
    const bigPacked = packer.pack(big);
    const copied = keepBytes(kept[0].p.bytes, kept[0].p.bytes.length);
    expect(copied).toEqual(kept[0].p.bytes);
    expect(copied.buffer).not.toBe(bigPacked.bytes.buffer);
    expect(new Set(kept.map((k) => k.p.bytes.buffer)).size).toBeGreaterThan(2);
    for (const { w, p } of kept) expect(JSON.stringify(packer.unpack<World>(p))).toBe(JSON.stringify(w));
    expect(packer.unpack(bigPacked)).toEqual(big);
  });

  it('refuses what is not world data', () => {
    expect(() => new Packer().pack({ f: () => 1 })).toThrow(/function in world data/);
  });
});

describe('packed numbers', () => {
  it('unpack to the numbers packed, at every size a varint takes', () => {
    const packer = new Packer();
    const numbers = fc.oneof(
      fc.integer({ min: 0, max: 300 }),
      fc.integer({ min: 0, max: 2 ** 31 }),
      fc.maxSafeInteger(),
      fc.integer().map((n) => -Math.abs(n)),
      fc.double(),
      fc.constantFrom(
        -0,
        2 ** 28 - 1,
        2 ** 28,
        2 ** 35 + 7,
        Number.MAX_SAFE_INTEGER,
        -Number.MAX_SAFE_INTEGER,
      ),
    );
    fc.assert(
      fc.property(fc.array(numbers, { maxLength: 8 }), (xs) => {
        const back = packer.unpack<{ xs: number[] }>(packer.pack({ xs }));
        expect(back.xs.length).toBe(xs.length);
        back.xs.forEach((x, i) => expect(Object.is(x, xs[i])).toBe(true));
      }),
    );
  });
});
