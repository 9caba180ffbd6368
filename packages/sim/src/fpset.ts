// The visited set: 64-bit fingerprints in an open-addressing table of two Uint32Arrays (8 bytes a
// slot, kept at most half full, so 16 bytes or less per state). (0,0) marks an empty slot, so a
// real fingerprint of (0,0) is stored as (0,1).

export class FingerprintSet {
  private hi: Uint32Array;
  private lo: Uint32Array;
  private mask: number;
  size = 0;

  constructor(
    initialCapacity = 1 << 16,
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

  /** Adds a fingerprint; false if it was already present. Throws MemoryBoundError past the bound. */
  add(hi: number, lo: number): boolean {
    if (hi === 0 && lo === 0) lo = 1;
    let i = (lo ^ Math.imul(hi, 0x9e3779b1)) & this.mask;
    for (;;) {
      const h = this.hi[i];
      const l = this.lo[i];
      if (h === 0 && l === 0) break;
      if (h === hi && l === lo) return false;
      i = (i + 1) & this.mask;
    }
    this.hi[i] = hi;
    this.lo[i] = lo;
    this.size++;
    if (this.size * 2 > this.hi.length) this.grow();
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
    for (let j = 0; j < oldHi.length; j++) if (oldHi[j] || oldLo[j]) this.add(oldHi[j], oldLo[j]);
  }

  *entries(): Generator<[number, number]> {
    for (let j = 0; j < this.hi.length; j++) if (this.hi[j] || this.lo[j]) yield [this.hi[j], this.lo[j]];
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
