// What the world walks (clone, load, fingerprint; the per-shape ones and the reference) need to
// know of a field by its name or its object: one list each, shared by every walk.

/** Fields whose values never change after a world is made: clones share them instead of copying. */
export const SHARED_KEYS: ReadonlySet<string> = new Set(['config', 'writers', 'vl_info']);

/** Fields that hold symbolic values (Val), and the views' arrays of them (`slots`). */
export const VAL_KEYS: ReadonlySet<string> = new Set([
  'V',
  'Zhi',
  'P',
  'FFR',
  'ZA',
  'ZT0',
  'FPSR',
  'vregs',
  'fpsr',
  'zlo',
  'zhi',
  'p',
  'ffr',
  'za',
  'zt0',
  'tpidr2_el0',
  'slots',
]);

/** Fields that only record history (counters, traces), not state: the fingerprint leaves them out. */
export const SKIP_KEYS: ReadonlySet<string> = new Set([
  'step',
  'moves',
  'seq',
  'writers',
  'violations',
  'findings',
  'rev',
  'mutant',
  'config',
]);

/**
 * User-memory chunks (signal frames, a tracer's buffers) keep one value in `v`: a symbolic value
 * for these kinds (register images), a plain number or header otherwise. The images of the other
 * register kinds are objects whose fields are symbolic-value fields by name. Both fingerprints
 * rename a chunk's `v` as a symbolic value when its kind is one of these.
 */
export const VAL_CHUNK_KINDS: ReadonlySet<string> = new Set(['vregs', 'fpsr', 'zt', 'tpidr2']);

/** Whether field `k` of `o` holds a symbolic value because of what `o` is (a register-image chunk). */
export function isValField(o: object, k: string): boolean {
  return k === 'v' && VAL_CHUNK_KINDS.has((o as { kind?: unknown }).kind as string);
}
