// SPDX-License-Identifier: GPL-2.0-only
//
// The hash every fingerprint feeds (worlds, paths, equivalence pairs), and the tag words that
// mark what kind of value follows in its stream.

// A 64-bit hash over a stream of 32-bit words, as two independent 32-bit lanes with different
// multipliers and rotations (murmur3-style mixing): a few multiplies a word, no allocation.
export class Hasher {
  private a = 0x9747b28c;
  private b = 0x85ebca6b;

  /** Back to the state of a new hasher (a walk reuses one instead of allocating). */
  reset(): void {
    this.a = 0x9747b28c;
    this.b = 0x85ebca6b;
  }

  word(w: number): void {
    let a = this.a ^ Math.imul(w | 0, 0xcc9e2d51);
    a = (a << 13) | (a >>> 19);
    this.a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    let b = this.b ^ Math.imul(w | 0, 0x1b873593);
    b = (b << 17) | (b >>> 15);
    this.b = (Math.imul(b, 9) + 0x38b34ae5) | 0;
  }

  private final(x: number): number {
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b);
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35);
    return (x ^ (x >>> 16)) >>> 0;
  }

  number(n: number): void {
    if (Number.isInteger(n) && n >= -0x80000000 && n <= 0xffffffff) {
      this.word(n >>> 0);
    } else {
      const hi = Math.floor(n / 0x100000000);
      this.word(hi >>> 0);
      this.word(n >>> 0);
    }
  }

  string(s: string): void {
    this.word(s.length | 0x40000000);
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
  }

  /** The first number of pair(), without making the pair. */
  first(): number {
    return this.final(this.a ^ this.b);
  }

  /** The digest as two numbers (for compact visited sets). */
  pair(): [number, number] {
    return [this.final(this.a ^ this.b), this.final(this.b + Math.imul(this.a, 0x27d4eb2d))];
  }

  /** The 64-bit digest as a 16-digit hex string. */
  hex(): string {
    const [hi, lo] = this.pair();
    return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
  }
}

export const TAG_NULL = 0x7f000001;
export const TAG_UNDEF = 0x7f000002;
export const TAG_TRUE = 0x7f000003;
export const TAG_FALSE = 0x7f000004;
export const TAG_ARRAY = 0x7f000005;
export const TAG_OBJECT = 0x7f000006;
export const TAG_REF = 0x7f000007;

const keyHashes = new Map<string, number>();

/** Property names repeat in every state, so each is hashed once and then fed as one word. */
export function keyHash(k: string): number {
  let v = keyHashes.get(k);
  if (v === undefined) {
    const h = new Hasher();
    h.string(k);
    v = h.pair()[1];
    keyHashes.set(k, v);
  }
  return v;
}
