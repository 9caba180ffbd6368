// The visited set: 64-bit fingerprints in an open-addressing table of two Uint32Arrays plus a byte
// of depth (9 bytes a slot, kept at most half full, so 18 bytes or less per state; 16 without the
// depth byte, which only shard merging needs). (0,0) marks an empty slot, so a
// real fingerprint of (0,0) is stored as (0,1).

export class FingerprintSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  /** The depth at which each fingerprint was first reached (for merging shard reports). */
  private dep: Uint8Array;
  private mask: number;
  size = 0;

  constructor(
    initialCapacity = 1 << 16,
    private readonly maxBytes = 2 ** 31,
  ) {
    const cap = 1 << Math.ceil(Math.log2(Math.max(16, initialCapacity)));
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.dep = new Uint8Array(cap);
    this.mask = cap - 1;
  }

  get bytes(): number {
    return this.hi.byteLength + this.lo.byteLength + this.dep.byteLength;
  }

  /**
   * Adds a fingerprint first reached at `depth`; false if it was already present (then the smaller
   * depth is kept). Throws MemoryBoundError past the bound.
   */
  add(hi: number, lo: number, depth = 0): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const h = this.hi[i];
      const l = this.lo[i];
      if (h === 0 && l === 0) break;
      if (h === hi && l === lo) {
        if (depth < this.dep[i]) this.dep[i] = depth;
        return false;
      }
      i = (i + 1) & this.mask;
    }
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.dep[i] = depth;
    this.size++;
    if (this.size * 2 > this.hi.length) this.grow();
    return true;
  }

  private grow(): void {
    const cap = this.hi.length * 2;
    if (cap * 9 > this.maxBytes) throw new MemoryBoundError(this.size, this.maxBytes);
    const oldHi = this.hi;
    const oldLo = this.lo;
    const oldDep = this.dep;
    this.hi = new Uint32Array(cap);
    this.lo = new Uint32Array(cap);
    this.dep = new Uint8Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let j = 0; j < oldHi.length; j++)
      if (oldHi[j] || oldLo[j]) this.add(oldHi[j], oldLo[j], oldDep[j]);
  }

  *entries(): Generator<[number, number, number]> {
    for (let j = 0; j < this.hi.length; j++)
      if (this.hi[j] || this.lo[j]) yield [this.hi[j], this.lo[j], this.dep[j]];
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
