// User memory as data (a model, not a kernel file). The signal-frame and ptrace ports move
// register images between the kernel and user space; here user space is a sparse set of typed
// chunks at byte addresses, so the kernel's own offset arithmetic, size checks and alignment checks
// run unchanged while the contents stay symbolic.
//
// A chunk is what one store wrote: `len` bytes at `off`, of one `kind`. A load of (off, len, kind)
// gets the value back only when one chunk matches exactly; a load that meets a chunk of another
// shape reads bytes written for something else (garbage: UNKNOWN for register images, all-ones for
// numbers); a load from bytes nothing wrote reads zero (fresh user pages are zero-filled). A store
// replaces every chunk it overlaps. Address ranges listed in `faults` fault on any access (an
// unmapped or read-only page), which is how a test makes one record of a frame unreadable.

import { UNKNOWN, ZERO, type Val } from '@kvmfp/machine';

/** The register payload of an SVE signal record or SVE regset: Z, P and FFR laid out for `vq`. */
export interface SveImage {
  vq: number;
  zlo: Val;
  zhi: Val;
  p: Val;
  ffr: Val;
}

/** The ZA payload of a ZA signal record or regset, laid out for streaming `vq`. */
export interface ZaImage {
  vq: number;
  za: Val;
}

/** A ptrace regset header (struct user_sve_header and struct user_za_header share a layout). */
export interface RegsetHeader {
  size: number;
  max_size: number;
  vl: number;
  max_vl: number;
  flags: number;
}

/**
 * What a chunk holds. `num` is a plain integer field (magic, size, vl, flags, addresses...);
 * `vregs` is V0-V31 (512 bytes); `fpsr` is FPSR and FPCR (the machine keeps them as one value, so
 * the model stores them as one 8-byte chunk); `sve`, `za`, `zt` and `tpidr2` are register images;
 * `header` is a whole regset header.
 */
export type ChunkKind = 'num' | 'vregs' | 'fpsr' | 'sve' | 'za' | 'zt' | 'tpidr2' | 'header';

export interface ChunkValues {
  num: number;
  vregs: Val;
  fpsr: Val;
  sve: SveImage;
  za: ZaImage;
  zt: Val;
  tpidr2: Val;
  header: RegsetHeader;
}

export interface Chunk<K extends ChunkKind = ChunkKind> {
  off: number;
  len: number;
  kind: K;
  v: ChunkValues[K];
}

export interface AddrRange {
  start: number;
  end: number;
}

export interface UserMemory {
  /** Sorted by `off`, never overlapping. */
  chunks: Chunk[];
  faults: AddrRange[];
  /** The top of the user address space: access_ok() refuses ranges that reach past it. */
  taskSize: number;
}

export const DEFAULT_TASK_SIZE = 2 ** 48;

export function newUserMemory(taskSize = DEFAULT_TASK_SIZE): UserMemory {
  return { chunks: [], faults: [], taskSize };
}

const overlaps = (aOff: number, aLen: number, bOff: number, bLen: number) =>
  aOff < bOff + bLen && bOff < aOff + aLen;

/** Whether any byte of [off, off+len) lies in a faulting range. */
export function userFaults(mem: UserMemory, off: number, len: number): boolean {
  return mem.faults.some((r) => overlaps(off, Math.max(len, 1), r.start, r.end - r.start));
}

/** Makes [start, end) fault on every access from now on. */
export function addFault(mem: UserMemory, start: number, end: number): void {
  mem.faults.push({ start, end });
}

/** access_ok(): the range lies below the top of the user address space. */
export function userAccessOk(mem: UserMemory, off: number, len: number): boolean {
  return off >= 0 && len >= 0 && off + len <= mem.taskSize;
}

/** All-ones of a field's width: what a number reads as when other data was written there. */
export function garbageNumber(len: number): number {
  return Math.min(2 ** (8 * Math.min(len, 7)) - 1, Number.MAX_SAFE_INTEGER);
}

/** What a load of `kind` reads from bytes written as something else. */
export function garbageValue<K extends ChunkKind>(kind: K, len: number, vq: number): ChunkValues[K] {
  const g: { [P in ChunkKind]: () => ChunkValues[P] } = {
    num: () => garbageNumber(len),
    vregs: () => UNKNOWN,
    fpsr: () => UNKNOWN,
    sve: () => ({ vq, zlo: UNKNOWN, zhi: UNKNOWN, p: UNKNOWN, ffr: UNKNOWN }),
    za: () => ({ vq, za: UNKNOWN }),
    zt: () => UNKNOWN,
    tpidr2: () => UNKNOWN,
    header: () => ({ size: UNKNOWN, max_size: UNKNOWN, vl: UNKNOWN, max_vl: UNKNOWN, flags: UNKNOWN }),
  };
  return g[kind]();
}

/** What a load of `kind` reads from bytes nothing wrote. */
export function zeroValue<K extends ChunkKind>(kind: K, vq: number): ChunkValues[K] {
  const z: { [P in ChunkKind]: () => ChunkValues[P] } = {
    num: () => 0,
    vregs: () => ZERO,
    fpsr: () => ZERO,
    sve: () => ({ vq, zlo: ZERO, zhi: ZERO, p: ZERO, ffr: ZERO }),
    za: () => ({ vq, za: ZERO }),
    zt: () => ZERO,
    tpidr2: () => ZERO,
    header: () => ({ size: 0, max_size: 0, vl: 0, max_vl: 0, flags: 0 }),
  };
  return z[kind]();
}

function clone<T>(v: T): T {
  return typeof v === 'object' && v !== null ? { ...v } : v;
}

/**
 * Loads (off, len, kind) without a fault check. `vq` only shapes a garbage or zero image.
 * Zero-length loads read nothing and return the zero value.
 */
export function peek<K extends ChunkKind>(
  mem: UserMemory,
  off: number,
  len: number,
  kind: K,
  vq = 0,
): ChunkValues[K] {
  if (len === 0) return zeroValue(kind, vq);
  let hit: Chunk | undefined;
  for (const c of mem.chunks) {
    if (!overlaps(off, len, c.off, c.len)) continue;
    if (c.off === off && c.len === len && c.kind === kind && !hit) hit = c;
    else return garbageValue(kind, len, vq);
  }
  return hit ? clone(hit.v as ChunkValues[K]) : zeroValue(kind, vq);
}

/** Stores without a fault check: the new chunk replaces whatever it overlaps. */
export function poke<K extends ChunkKind>(
  mem: UserMemory,
  off: number,
  len: number,
  kind: K,
  v: ChunkValues[K],
): void {
  if (len === 0) return;
  const kept = mem.chunks.filter((c) => !overlaps(off, len, c.off, c.len));
  kept.push({ off, len, kind, v: clone(v) });
  kept.sort((a, b) => a.off - b.off);
  mem.chunks = kept;
}

/** Zero-fills [off, off+len): the chunks there are dropped (unwritten bytes read as zero). */
export function zeroFill(mem: UserMemory, off: number, len: number): void {
  if (len === 0) return;
  mem.chunks = mem.chunks.filter((c) => !overlaps(off, len, c.off, c.len));
}

/** A load with the fault check: `undefined` when the access faults. */
export function userLoad<K extends ChunkKind>(
  mem: UserMemory,
  off: number,
  len: number,
  kind: K,
  vq = 0,
): ChunkValues[K] | undefined {
  if (userFaults(mem, off, len)) return undefined;
  return peek(mem, off, len, kind, vq);
}

/** A store with the fault check: false (and nothing written) when the access faults. */
export function userStore<K extends ChunkKind>(
  mem: UserMemory,
  off: number,
  len: number,
  kind: K,
  v: ChunkValues[K],
): boolean {
  if (userFaults(mem, off, len)) return false;
  poke(mem, off, len, kind, v);
  return true;
}
