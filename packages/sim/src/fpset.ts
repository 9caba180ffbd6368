// The visited set: 64-bit fingerprints in an open-addressing table of two Uint32Arrays (8 bytes a
// slot, grown at 80% full, so between 10 and 20 bytes per state). The top 5 bits of the high word
// carry the depth at which the state was first reached (for merging shard reports), so 59 bits of
// the fingerprint take part in the comparison: at ten million states the chance of any collision
// is about 1e-4. (0,0) marks an empty slot, so a real (0,0) is stored as (0,1).

const DEPTH_SHIFT = 27;
const HASH_MASK = (1 << DEPTH_SHIFT) - 1;
const MAX_DEPTH = 31;

export class FingerprintSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private mask: number;
  size = 0;

  constructor(
    initialCapacity = 1 << 12,
    private readonly maxBytes = 2 ** 31,
  ) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength;
  }

  /**
   * Adds a fingerprint first reached at `depth`; false if it was already present (then the smaller
   * depth is kept). Throws MemoryBoundError past the bound.
   */
  add(hi: number, lo: number, depth = 0): boolean {
    hi &= HASH_MASK;
    if (hi === 0 && lo === 0) lo = 1;
    const d = Math.min(depth, MAX_DEPTH);
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const h = this.hi[i];
      const l = this.lo[i];
      if (h === 0 && l === 0) break;
      if ((h & HASH_MASK) === hi && l === lo) {
        if (d < h >>> DEPTH_SHIFT) this.hi[i] = (hi | (d << DEPTH_SHIFT)) >>> 0;
        return false;
      }
      i = (i + 1) & this.mask;
    }
    this.hi[i] = (hi | (d << DEPTH_SHIFT)) >>> 0;
    this.lo[i] = lo;
    this.size++;
    if (this.size * 5 > this.hi.length * 4) this.grow();
    return true;
  }

  private grow(): void {
    const cap = this.hi.length * 2;
    if (cap * 8 > this.maxBytes) throw new MemoryBoundError(this.size, this.maxBytes);
    const oldHi = this.hi;
    const oldLo = this.lo;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let j = 0; j < oldHi.length; j++)
      if (oldHi[j] || oldLo[j]) this.add(oldHi[j] & HASH_MASK, oldLo[j], oldHi[j] >>> DEPTH_SHIFT);
  }

  *entries(): Generator<[number, number, number]> {
    for (let j = 0; j < this.hi.length; j++) {
      const h = this.hi[j];
      if (h || this.lo[j]) yield [h & HASH_MASK, this.lo[j], h >>> DEPTH_SHIFT];
    }
  }

  /** The set as three packed arrays (hi, lo, depth), for shard reports and worker transfer. */
  pack(): { hi: Uint32Array; lo: Uint32Array; depth: Uint8Array } {
    const hi = new Uint32Array(this.size);
    const lo = new Uint32Array(this.size);
    const depth = new Uint8Array(this.size);
    let k = 0;
    for (const [h, l, d] of this.entries()) {
      hi[k] = h;
      lo[k] = l;
      depth[k++] = d;
    }
    return { hi, lo, depth };
  }
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
