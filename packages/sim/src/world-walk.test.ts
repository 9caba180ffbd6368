// SPDX-License-Identifier: GPL-2.0-only
//
// The per-shape world walks (graph.ts cloneGraph and loadInto, canon.ts worldFingerprint) against
// the generic reference walks they replaced (canon-reference.ts), on states sampled by random
// walks over several configurations: the fingerprints must split the states into the same
// classes (two states merge under one exactly when they merge under the other), a clone must
// fingerprint as its original and share no mutable object with it, and a load in place must keep
// the same target objects at the same places as the reference load. The sharing rule the fast
// walks rely on (shapes.ts: only some shapes are pointer targets) is checked on the same states.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceClone, referenceFingerprint, referenceLoadInto } from './canon-reference.js';
import { worldFingerprint } from './canon.js';
import { Explorer } from './explore.js';
import { fullAlphabet, loadExploreConfig } from './explore-config.js';
import { cloneGraph, loadInto } from './graph.js';
import { resolveTable } from './revisions.js';
import { shapeOf } from './shapes.js';
import type { World } from './world.js';
import { rng } from './prng.js';
import { sampleWorlds } from './test-walks.js';

const CONFIGS = ['sched-sve.yaml', 'sched-sme.yaml', 'ref.yaml', 'guest-nosve.yaml', 'races-host.yaml'];
/** The fields clones share with their original (graph.ts SHARED_KEYS): set when a world is made. */
const SHARED_KEYS = new Set(['config', 'writers', 'vl_info']);

const sampled = new Map<string, World[]>();
const samples = { get: (f: string) => sampled.get(f) ?? sampled.set(f, sampleWorlds(f, 30, 24, 11)).get(f) };

type Digest = (w: World) => string;
const reference: Digest = (w) => referenceFingerprint(w).join(',');
const fast: Digest = (w) => worldFingerprint(w).join(',');

/**
 * The pairs of states on which two fingerprints disagree about merging, found through the classes
 * of each (equal under one, different under the other), with how many classes the first makes.
 */
function classMismatches(worlds: World[], a: Digest, b: Digest): { mismatches: string[]; classes: number } {
  const aToB = new Map<string, string>();
  const bToA = new Map<string, string>();
  const mismatches: string[] = [];
  worlds.forEach((w, i) => {
    const da = a(w);
    const db = b(w);
    const seenB = aToB.get(da);
    const seenA = bToA.get(db);
    if (seenB !== undefined && seenB !== db) mismatches.push(`state ${i}: merged by the first only`);
    if (seenA !== undefined && seenA !== da) mismatches.push(`state ${i}: merged by the second only`);
    aToB.set(da, db);
    bToA.set(db, da);
  });
  return { mismatches, classes: aToB.size };
}

/** Every object and array reachable from `root` outside the shared fields, with its first path. */
function objectsOf(root: object): Map<object, string> {
  const seen = new Map<object, string>();
  const walk = (v: unknown, path: string): void => {
    if (typeof v !== 'object' || v === null || seen.has(v)) return;
    seen.set(v, path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else for (const [k, x] of Object.entries(v)) if (!SHARED_KEYS.has(k)) walk(x, `${path}.${k}`);
  };
  walk(root, '');
  return seen;
}

/** Objects reached twice whose shape the walks do not record (arrays or tree-owned shapes). */
function unrecordedSharing(root: object): string[] {
  const first = new Map<object, string>();
  const out: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (typeof v !== 'object' || v === null) return;
    const at = first.get(v);
    if (at !== undefined) {
      if (Array.isArray(v) || !shapeOf(v).shared) out.push(`${at} <=> ${path}`.replace(/\[\d+\]/g, '[i]'));
      return;
    }
    first.set(v, path);
    if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${path}[${i}]`));
    else for (const [k, x] of Object.entries(v)) if (!SHARED_KEYS.has(k)) walk(x, `${path}.${k}`);
  };
  walk(root, '');
  return out;
}

describe('per-shape world walks against the generic reference', () => {
  it.each(CONFIGS)('%s: the fingerprints make the same classes of states', (file) => {
    const worlds = samples.get(file)!;
    const { mismatches, classes } = classMismatches(worlds, reference, fast);
    expect(mismatches).toEqual([]);
    // The sample must hold merges (else any injective digest would pass) and distinct states.
    expect(classes).toBeGreaterThan(20);
    expect(classes).toBeLessThan(worlds.length);
  });

  it('the sample holds merges that only the renaming of symbolic values makes', () => {
    // A digest that also reads one register bank's raw value (not renamed) must split some class
    // of the reference: otherwise the test above could not see a broken renaming.
    const raw: Digest = (w) =>
      `${fast(w)}:${w.machine.cpus.map((c) => c.regs.V).join(',')}:${w.users.map((u) => u.view.slots[0]).join(',')}`;
    const split = CONFIGS.map((f) => classMismatches(samples.get(f)!, reference, raw).mismatches.length);
    expect(split.some((n) => n > 0)).toBe(true);
  });

  it.each(CONFIGS)('%s: a clone fingerprints as its world and shares no mutable object with it', (file) => {
    for (const w of samples.get(file)!) {
      const c = cloneGraph(w);
      expect(fast(c)).toBe(fast(w));
      expect(reference(c)).toBe(reference(w));
      expect(JSON.stringify(c)).toBe(JSON.stringify(w));
      const mine = objectsOf(w);
      const shared = [...objectsOf(c).keys()].filter((o) => mine.has(o)).map((o) => mine.get(o));
      expect(shared).toEqual([]);
    }
  });

  it.each(CONFIGS)('%s: a load in place keeps the same objects where the reference load does', (file) => {
    const worlds = samples.get(file)!;
    const random = rng(5);
    for (let i = 0; i < 150; i++) {
      const source = worlds[Math.floor(random() * worlds.length)];
      const before = worlds[Math.floor(random() * worlds.length)];
      const [a, b] = [referenceClone(before), referenceClone(before)];
      const [placesA, placesB] = [objectsOf(a), objectsOf(b)];
      referenceLoadInto(a, source);
      loadInto(b, source);
      expect(JSON.stringify(b)).toBe(JSON.stringify(a));
      expect(reference(b)).toBe(reference(a));
      // Where each object of the result stood in the target before the load (or that it is new).
      const kept = (w: World, places: Map<object, string>) =>
        [...objectsOf(w)].map(([o, path]) => `${path} <- ${places.get(o) ?? 'new'}`);
      expect(kept(b, placesB)).toEqual(kept(a, placesA));
    }
  });

  it.each(CONFIGS)('%s: only the shapes shapes.ts treats as pointer targets are reached twice', (file) => {
    const wrong = new Set(samples.get(file)!.flatMap(unrecordedSharing));
    expect([...wrong]).toEqual([]);
  });
});

describe('cloneGraph and loadInto on plain data', () => {
  it('keep sharing and cycles, and copy keys no fixed-name code can read', () => {
    const leaf = { n: 1 };
    const data: Record<string, unknown> = { a: leaf, b: [leaf, { 0: 'x', 1: 'y' }], self: null };
    data.self = data;
    const c = cloneGraph(data);
    expect(c).not.toBe(data);
    expect(c.self).toBe(c);
    expect((c.b as unknown[])[0]).toBe(c.a);
    expect(c.a).not.toBe(leaf);
    expect((c.b as unknown[])[1]).toEqual({ 0: 'x', 1: 'y' });
    const target = cloneGraph(data);
    const oldLeaf = target.a;
    loadInto(target, { ...data, a: { n: 2 } });
    expect(target.a).toBe(oldLeaf);
    expect(target.a).toEqual({ n: 2 });
  });
});

describe('symbolic values in user memory', () => {
  // A register image a signal frame or a tracer's buffer holds is a symbolic value like the
  // registers it was copied from: whether the two are equal is part of the state, so both must be
  // renamed together (a raw value in memory next to renamed registers merged states that differ).
  const file = join(import.meta.dirname, '../../../fixtures/configs/races-host.yaml');
  const withChunk = (reg: number, mem: number): World => {
    const cfg = loadExploreConfig(file);
    const ex = new Explorer(cfg.world, resolveTable('v6.4', null), fullAlphabet(cfg.alphabet), 'v6.4', null);
    const w = cloneGraph(ex.initial().world);
    w.machine.cpus[0].regs.V = reg;
    w.users[0].mm.chunks = [{ off: 0x1000, len: 512, kind: 'vregs', v: mem }];
    return w;
  };
  const val = (seq: number) => 1 * 4096 + seq;

  it.each([
    ['per-shape', worldFingerprint],
    ['reference', referenceFingerprint],
  ])('%s: a chunk equal to the registers and one that is not never merge; renamings do', (_name, fp) => {
    const equal = fp(withChunk(val(5), val(5)));
    const stale = fp(withChunk(val(7), val(5)));
    expect(stale).not.toEqual(equal);
    expect(fp(withChunk(val(9), val(9)))).toEqual(equal);
    expect(fp(withChunk(val(9), val(3)))).toEqual(stale);
  });
});
