// The fingerprint of a world for the explorer: the data graph with trace-only fields left out and
// symbolic register values renamed canonically. Invariants only compare values for equality, so
// two worlds that differ by a consistent renaming of each writer's values behave alike; numbering
// each writer's values in order of first appearance merges them.

import { Hasher, keyHash } from './graph.js';
import type { World } from './world.js';

/** Fields that hold symbolic values (Val), and the views' arrays of them (`slots`). */
export const VAL_KEYS = new Set([
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
]);
/** Fields that only record history (counters, traces), not state. */
const SKIP_KEYS = new Set([
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

const SEQ_LIMIT = 4096;

const TAG = {
  null: 0x7f000001,
  undef: 0x7f000002,
  t: 0x7f000003,
  f: 0x7f000004,
  arr: 0x7f000005,
  obj: 0x7f000006,
  ref: 0x7f000007,
};

/** What the walk needs to know of a property name, looked up once per key instead of three times. */
interface KeyInfo {
  skip: boolean;
  id: number;
  val: boolean;
}

const keyInfos = new Map<string, KeyInfo>();
function keyInfo(k: string): KeyInfo {
  let info = keyInfos.get(k);
  if (info === undefined) {
    info = { skip: SKIP_KEYS.has(k), id: keyHash(k), val: VAL_KEYS.has(k) || k === 'slots' };
    keyInfos.set(k, info);
  }
  return info;
}

export function worldFingerprint(w: World, extra?: (h: Hasher) => void): [number, number] {
  const h = new Hasher();
  const seen = new Map<object, number>();
  const rename = new Map<number, number>();
  const perWriter = new Map<number, number>();
  const canonVal = (v: number): number => {
    if (v < SEQ_LIMIT) return v;
    let r = rename.get(v);
    if (r === undefined) {
      const wr = Math.floor(v / SEQ_LIMIT);
      const n = (perWriter.get(wr) ?? 0) + 1;
      perWriter.set(wr, n);
      r = wr * SEQ_LIMIT + n;
      rename.set(v, r);
    }
    return r;
  };
  const walk = (v: unknown, isVal: boolean): void => {
    if (typeof v === 'number') return h.number(isVal ? canonVal(v) : v);
    if (typeof v === 'string') return h.string(v);
    if (typeof v === 'boolean') return h.word(v ? TAG.t : TAG.f);
    if (v === undefined) return h.word(TAG.undef);
    if (v === null) return h.word(TAG.null);
    const obj = v;
    const id = seen.get(obj);
    if (id !== undefined) {
      h.word(TAG.ref);
      return h.word(id);
    }
    seen.set(obj, seen.size);
    if (Array.isArray(obj)) {
      h.word(TAG.arr);
      h.word(obj.length);
      for (let i = 0; i < obj.length; i++) walk(obj[i], isVal);
      return;
    }
    h.word(TAG.obj);
    const rec = obj as Record<string, unknown>;
    for (const k in rec) {
      const info = keyInfo(k);
      if (info.skip) continue;
      h.word(info.id);
      walk(rec[k], isVal || info.val);
    }
  };
  walk(w, false);
  extra?.(h);
  return h.pair();
}
