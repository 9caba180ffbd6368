// Symbolic register contents. The kernel moves whole banks (all Z registers, all P registers, ZA…)
// between the CPU and memory, so one value per bank keeps every save, load and flush visible while
// the state stays a handful of small integers: cheap to clone, cheap to hash.
//
//   0            zero (what a flush or an architectural reset leaves)
//   1            unknown (what the architecture leaves UNKNOWN, or bytes read at the wrong layout)
//   w*4096 + s   the s-th value written by writer w (w >= 1), printed "name#s"

export type Val = number;

export const ZERO: Val = 0;
export const UNKNOWN: Val = 1;
/** The FPSR value ResetSVEState leaves (a fixed architectural constant, not zero). */
export const FPSR_RESET: Val = 2;
const SEQ_LIMIT = 4096;

export function symbolic(writer: number, seq: number): Val {
  if (writer < 1 || seq < 0 || seq >= SEQ_LIMIT) throw new RangeError(`bad symbolic value ${writer}#${seq}`);
  return writer * SEQ_LIMIT + seq;
}

export function writerOf(v: Val): number {
  return Math.floor(v / SEQ_LIMIT);
}

export function seqOf(v: Val): number {
  return v % SEQ_LIMIT;
}

/** Prints a value with the writer names of the world ("vmm#3", "zero", "unknown"). */
export function formatVal(v: Val, writerNames: readonly string[]): string {
  if (v === ZERO) return 'zero';
  if (v === UNKNOWN) return 'unknown';
  if (v === FPSR_RESET) return 'fpsr-reset';
  const w = writerOf(v);
  return `${writerNames[w] ?? `w${w}`}#${seqOf(v)}`;
}
