// SPDX-License-Identifier: GPL-2.0-only
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SmallMap } from './renaming.js';

describe('SmallMap', () => {
  it('reads as the Map with the same entries, after being refilled', () => {
    const entries = fc.uniqueArray(fc.tuple(fc.integer({ min: -5, max: 200 }), fc.integer()), {
      selector: ([from]) => from,
      maxLength: 8,
    });
    const reused = new SmallMap();
    fc.assert(
      fc.property(
        entries,
        fc.array(fc.integer({ min: -5, max: 200 }), { maxLength: 10 }),
        (pairs, probes) => {
          reused.clear();
          const map = new Map<number, number>();
          for (const [from, to] of pairs) {
            reused.add(from, to);
            map.set(from, to);
          }
          expect(reused.size).toBe(map.size);
          for (const k of [...probes, ...map.keys()]) expect(reused.get(k)).toBe(map.get(k));
          const seen: [number, number][] = [];
          reused.forEach((to, from) => seen.push([from, to]));
          expect(seen).toEqual([...map.entries()]);
        },
      ),
    );
  });
});
