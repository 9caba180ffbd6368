// SPDX-License-Identifier: GPL-2.0-only
//
// A map from a state's 64-bit key (its two 32-bit halves) to a value: the search's tables keyed by
// state (sleep sets, states found in a round, the first arrival at each). A Map keyed by the key as
// text made a string and hashed it on every lookup; this one is keyed by 30 bits of the high half
// (a number the engine keeps as a small integer, unboxed) and compares both halves exactly along
// a short chain.

interface Entry<V> {
  hi: number;
  lo: number;
  value: V;
  next: Entry<V> | null;
}

export class KeyTable<V> {
  private readonly heads = new Map<number, Entry<V>>();
  size = 0;

  get(hi: number, lo: number): V | undefined {
    for (let e: Entry<V> | null = this.heads.get(hi >>> 2) ?? null; e !== null; e = e.next)
      if (e.hi === hi && e.lo === lo) return e.value;
    return undefined;
  }

  set(hi: number, lo: number, value: V): void {
    const bucket = hi >>> 2;
    const head = this.heads.get(bucket) ?? null;
    for (let e = head; e !== null; e = e.next)
      if (e.hi === hi && e.lo === lo) {
        e.value = value;
        return;
      }
    this.heads.set(bucket, { hi, lo, value, next: head });
    this.size++;
  }

  delete(hi: number, lo: number): boolean {
    const bucket = hi >>> 2;
    let prev: Entry<V> | null = null;
    for (let e = this.heads.get(bucket) ?? null; e !== null; prev = e, e = e.next) {
      if (e.hi !== hi || e.lo !== lo) continue;
      if (prev) prev.next = e.next;
      else if (e.next) this.heads.set(bucket, e.next);
      else this.heads.delete(bucket);
      this.size--;
      return true;
    }
    return false;
  }

  clear(): void {
    this.heads.clear();
    this.size = 0;
  }
}
