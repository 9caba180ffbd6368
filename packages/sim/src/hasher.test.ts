// SPDX-License-Identifier: GPL-2.0-only
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Hasher } from './hasher.js';

/** What number() fed before its int32 shortcut: one word for an integer that fits 32 bits, else two. */
function wordsOf(n: number): number[] {
  if (Number.isInteger(n) && n >= -0x80000000 && n <= 0xffffffff) return [n >>> 0];
  return [Math.floor(n / 0x100000000) >>> 0, n >>> 0];
}

describe('Hasher.number', () => {
  it('feeds the words of its general rule for every number (keys must not change)', () => {
    const numbers = fc.oneof(
      fc.integer(),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.double(),
      fc.constantFrom(-0, 0x80000000, -0x80000001, 0x100000000, 2 ** 53, -(2 ** 53), NaN, Infinity),
    );
    fc.assert(
      fc.property(fc.array(numbers, { maxLength: 6 }), (ns) => {
        const viaNumber = new Hasher();
        const viaWords = new Hasher();
        for (const n of ns) {
          viaNumber.number(n);
          for (const w of wordsOf(n)) viaWords.word(w);
        }
        expect(viaNumber.pair()).toEqual(viaWords.pair());
      }),
    );
  });
});
