// What a program (user task or guest) may observe in each register bank, per the ABI: a set of
// allowed values, or 'any' where the ABI leaves the contents unspecified. Writes narrow a bank to
// the value written; the named ABI rules (rules.ts) widen it where the documentation allows the
// kernel to discard state. Stored compactly (two slots per bank) because every state holds one
// view per program and the explorer clones and hashes them all.

import { BankName, BANK_NAMES, Val, ZERO } from '@kvmfp/machine';

export type Allowed = Val[] | 'any';

const NONE = -1;
const ANY = -2;

export interface View {
  /** Two slots per bank, in BANK_NAMES order: [a, b] with NONE for an unused slot, ANY for any. */
  slots: number[];
  sm: boolean;
  za: boolean;
}

const index = Object.fromEntries(BANK_NAMES.map((b, i) => [b, 2 * i])) as Record<BankName, number>;

export function freshView(): View {
  const slots: number[] = [];
  for (let i = 0; i < BANK_NAMES.length; i++) slots.push(ZERO, NONE);
  return { slots, sm: false, za: false };
}

export function getAllowed(v: View, bank: BankName): Allowed {
  const a = v.slots[index[bank]];
  const b = v.slots[index[bank] + 1];
  if (a === ANY) return 'any';
  return b === NONE ? [a] : [a, b];
}

export function setAllowed(v: View, bank: BankName, allowed: Allowed): void {
  const i = index[bank];
  if (allowed === 'any') {
    v.slots[i] = ANY;
    v.slots[i + 1] = NONE;
    return;
  }
  if (allowed.length > 2) throw new Error(`view: at most two allowed values per bank, got ${allowed.length}`);
  const sorted = [...allowed].sort((x, y) => x - y);
  v.slots[i] = sorted[0]!;
  v.slots[i + 1] = sorted[1] ?? NONE;
}

/** The program wrote `val` to `bank`: that is all it may now see there. */
export function setBank(v: View, bank: BankName, val: Val): void {
  v.slots[index[bank]] = val;
  v.slots[index[bank] + 1] = NONE;
}

export function allows(a: Allowed, v: Val): boolean {
  return a === 'any' || a.includes(v);
}

/** Widens a bank to also accept `extra` (a rule says the kernel may replace it with that). */
export function widen(v: View, bank: BankName, extra: Allowed): void {
  const a = getAllowed(v, bank);
  if (a === 'any' || extra === 'any') return setAllowed(v, bank, 'any');
  const out = [...a];
  for (const x of extra) if (!out.includes(x)) out.push(x);
  setAllowed(v, bank, out.length > 2 ? 'any' : out);
}
