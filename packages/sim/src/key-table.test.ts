// SPDX-License-Identifier: GPL-2.0-only
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { KeyTable } from './key-table.js';

describe('KeyTable', () => {
  it('behaves as a Map keyed by both halves, through sets, overwrites and deletes', () => {
    // Keys drawn from a few high halves that share their top 30 bits, so chains form.
    const half = fc.oneof(fc.constantFrom(0, 1, 2, 3, 0xfffffffc, 0xffffffff), fc.nat({ max: 0xffffffff }));
    const op = fc.record({ del: fc.boolean(), hi: half, lo: half, v: fc.integer() });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const t = new KeyTable<number>();
        const m = new Map<string, number>();
        for (const { del, hi, lo, v } of ops) {
          if (del) expect(t.delete(hi, lo)).toBe(m.delete(`${hi},${lo}`));
          else {
            t.set(hi, lo, v);
            m.set(`${hi},${lo}`, v);
          }
          expect(t.size).toBe(m.size);
        }
        for (const { hi, lo } of ops) expect(t.get(hi, lo)).toBe(m.get(`${hi},${lo}`));
        t.clear();
        expect(t.size).toBe(0);
        for (const { hi, lo } of ops) expect(t.get(hi, lo)).toBeUndefined();
      }),
    );
  });
});
