// The visited set: 64-bit fingerprints in an open-addressing table of two Uint32Arrays (8 bytes a
// slot). The table is grown by half at 80% full, so it stays between 53% and 80% full: between
// 10 and 15 bytes per state once past its initial size (a power-of-two table doubled at 80% would
// fall to 40% full, 20 bytes per state). A slot is chosen by scaling the mixed hash to the
// capacity (a multiply, not a mask), which any capacity allows. The top 8 bits of the high word
// carry the depth at which the state was first reached (for merging shard reports and for the 0-1
// breadth-first search, which may find a shorter way to a state later); depths of 255 and more
// are kept exactly in a side map, which only very deep runs use. 56 bits of the fingerprint take
// part in the comparison: at ten million states the chance of any collision is about 7e-4.
// (0,0) marks an empty slot, so a real (0,0) is stored as (0,1).

const DEPTH_SHIFT = 24;
const HASH_MASK = (1 << DEPTH_SHIFT) - 1;
const DEPTH_INLINE_MAX = 255;

/** What adding a fingerprint found (Shallower: present, but first reached deeper than now). */
export const Added = { Seen: 0, New: 1, Shallower: 2 } as const;
export type Added = (typeof Added)[keyof typeof Added];

export class FingerprintSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private cap: number;
  size = 0;

  constructor(
    initialCapacity = 1 << 12,
    private readonly maxBytes = 2 ** 31,
  ) {
    const cap = Math.max(16, Math.ceil(initialCapacity));
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.cap = cap;
  }

  /** The first slot to probe for a fingerprint (the mixed hash scaled to the capacity). */
  private slotOf(hi: number, lo: number): number {
    const mixed = (lo ^ Math.imul(hi, 0x9e3779b1)) >>> 0;
    return Math.floor((mixed * this.cap) / 4294967296);
  }

  private nextSlot(i: number): number {
    return i + 1 === this.cap ? 0 : i + 1;
  }

  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength;
  }

  private deep = new Map<string, number>();

  /**
   * Adds a fingerprint first reached at `depth`; false if it was already present (then the smaller
   * depth is kept). Throws MemoryBoundError past the bound.
   */
  add(hi: number, lo: number, depth = 0): boolean {
    return this.visit(hi, lo, depth) === Added.New;
  }

  /** Adds a fingerprint at `depth`, saying whether it is new, seen, or now reached shallower. */
  visit(hi: number, lo: number, depth = 0): Added {
    hi &= HASH_MASK;
    if (hi === 0 && lo === 0) lo = 1;
    let i = this.slotOf(hi, lo);
    for (;;) {
      this.probes++;
      const h = this.hi[i];
      const l = this.lo[i];
      if (h === 0 && l === 0) break;
      if ((h & HASH_MASK) === hi && l === lo) {
        if (depth >= this.depthAt(i)) return Added.Seen;
        this.setDepth(i, hi, lo, depth);
        return Added.Shallower;
      }
      i = this.nextSlot(i);
    }
    this.setDepth(i, hi, lo, depth);
    this.lo[i] = lo;
    this.size++;
    if (this.size * 5 > this.hi.length * 4) this.grow();
    return Added.New;
  }

  /** The depth a present fingerprint was first reached at, or -1. */
  depthOf(hi: number, lo: number): number {
    hi &= HASH_MASK;
    if (hi === 0 && lo === 0) lo = 1;
    for (let i = this.slotOf(hi, lo); ; i = this.nextSlot(i)) {
      const h = this.hi[i];
      const l = this.lo[i];
      if (h === 0 && l === 0) return -1;
      if ((h & HASH_MASK) === hi && l === lo) return this.depthAt(i);
    }
  }

  private depthAt(i: number): number {
    const d = this.hi[i] >>> DEPTH_SHIFT;
    return d < DEPTH_INLINE_MAX ? d : (this.deep.get(`${this.hi[i] & HASH_MASK}:${this.lo[i]}`) ?? d);
  }

  private setDepth(i: number, hi: number, lo: number, depth: number): void {
    const inline = Math.min(depth, DEPTH_INLINE_MAX);
    this.hi[i] = (hi | (inline << DEPTH_SHIFT)) >>> 0;
    if (depth >= DEPTH_INLINE_MAX) this.deep.set(`${hi}:${lo}`, depth);
    else if (this.deep.size !== 0) this.deep.delete(`${hi}:${lo}`);
  }

  private grow(): void {
    const cap = Math.ceil(this.cap * 1.5);
    if (cap * 8 > this.maxBytes) throw new MemoryBoundError(this.size, this.maxBytes);
    const oldHi = this.hi;
    const oldLo = this.lo;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.cap = cap;
    this.size = 0;
    for (let j = 0; j < oldHi.length; j++)
      if (oldHi[j] || oldLo[j]) {
        const hi = oldHi[j] & HASH_MASK;
        const inline = oldHi[j] >>> DEPTH_SHIFT;
        this.add(
          hi,
          oldLo[j],
          inline < DEPTH_INLINE_MAX ? inline : (this.deep.get(`${hi}:${oldLo[j]}`) ?? inline),
        );
      }
  }

  /** Probes made by visits so far (a cost measure for tests: clustering shows as many probes). */
  probes = 0;

  /**
   * The entries, in an order unrelated to their slots. In slot order they would come out sorted
   * by hash, and a table smaller than this one, filled in that order, would put them all in one
   * growing run of occupied slots (each visit probing to its end: quadratic). So the slots are
   * read by a stride near the golden ratio of the capacity, prime to it, which visits each once.
   */
  *entries(): Generator<[number, number, number]> {
    const cap = this.cap;
    let stride = Math.floor(cap * 0.6180339887) | 1;
    while (gcd(stride, cap) !== 1) stride += 2;
    for (let n = 0, j = 0; n < cap; n++, j = j + stride >= cap ? j + stride - cap : j + stride) {
      const h = this.hi[j];
      if (h || this.lo[j]) yield [h & HASH_MASK, this.lo[j], this.depthAt(j)];
    }
  }

  /** The set as three packed arrays (hi, lo, depth), for shard reports and worker transfer. */
  pack(): { hi: Uint32Array; lo: Uint32Array; depth: Uint8Array } {
    const hi = new Uint32Array(this.size);
    const lo = new Uint32Array(this.size);
    // Shard reports keep one byte of depth: a state 255 or more choices deep is reported at 255.
    const depth = new Uint8Array(this.size);
    let k = 0;
    for (const [h, l, d] of this.entries()) {
      hi[k] = h;
      lo[k] = l;
      depth[k++] = Math.min(d, DEPTH_INLINE_MAX);
    }
    return { hi, lo, depth };
  }
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

export class MemoryBoundError extends Error {
  constructor(
    readonly states: number,
    readonly maxBytes: number,
  ) {
    super(
      `visited set would exceed ${Math.round(maxBytes / 2 ** 20)} MiB after ${states} states; raise --max-mem or lower --depth`,
    );
  }
}
