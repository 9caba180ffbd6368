// SPDX-License-Identifier: GPL-2.0-only
//
// Renamings of numbers (pids, writers, CPUs) as the key of a relabelled world reads them. A
// Map<number, number> is one; SmallMap is another for the few entries a relabelling has, refilled
// for every relabelling a key tries without allocating (Map.clear allocates a new table).

/** What the readers of a renaming use: a Map<number, number> offers it as well. */
export interface NumberRenaming {
  readonly size: number;
  get(from: number): number | undefined;
  forEach(f: (to: number, from: number) => void): void;
}

/** A renaming of a few numbers in two parallel lists (looked up by a scan). */
export class SmallMap implements NumberRenaming {
  private readonly froms: number[] = [];
  private readonly tos: number[] = [];
  private n = 0;

  get size(): number {
    return this.n;
  }

  clear(): void {
    this.n = 0;
  }

  /** Adds `from -> to`; `from` must not be in the renaming already. */
  add(from: number, to: number): void {
    this.froms[this.n] = from;
    this.tos[this.n] = to;
    this.n++;
  }

  get(from: number): number | undefined {
    for (let i = 0; i < this.n; i++) if (this.froms[i] === from) return this.tos[i];
    return undefined;
  }

  forEach(f: (to: number, from: number) => void): void {
    for (let i = 0; i < this.n; i++) f(this.tos[i], this.froms[i]);
  }
}
