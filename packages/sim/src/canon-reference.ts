// SPDX-License-Identifier: GPL-2.0-only
//
// The generic walks the explorer used before the per-shape ones (graph.ts, canon.ts), kept as the
// reference they are tested against (world-walk.test.ts) and as the "before" of `npm run bench`:
// a clone, an in-place load and a world fingerprint that look at every object through one
// generic, key-by-key loop with a visit map for every object. They define what the fast walks
// must mean; they are not used by the explorer.

import {
  Hasher,
  keyHash,
  TAG_ARRAY,
  TAG_FALSE,
  TAG_NULL,
  TAG_OBJECT,
  TAG_REF,
  TAG_TRUE,
  TAG_UNDEF,
} from './hasher.js';
import type { World } from './world.js';
import type { NumberRenaming } from './renaming.js';
import { isValField, SHARED_KEYS, SKIP_KEYS, VAL_KEYS } from './world-keys.js';

export function referenceClone<T>(root: T): T {
  const seen = new Map<object, unknown>();
  const walk = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    const done = seen.get(v);
    if (done !== undefined) return done;
    if (Array.isArray(v)) {
      const out: unknown[] = new Array<unknown>(v.length);
      seen.set(v, out);
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        out[i] = typeof x === 'object' && x !== null ? walk(x) : x;
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    seen.set(v, out);
    const src = v as Record<string, unknown>;
    const keys = Object.keys(src);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      const x = src[k];
      out[k] = typeof x === 'object' && x !== null && !SHARED_KEYS.has(k) ? walk(x) : x;
    }
    return out;
  };
  return walk(root) as T;
}

/** The generic in-place load (graph.ts loadInto says what it does). */
export function referenceLoadInto<T extends object>(target: T, source: T): void {
  const made = new Map<object, object>();
  const used = new Set<object>();
  const place = (old: unknown, src: unknown, key?: string): unknown => {
    if (typeof src !== 'object' || src === null) return src;
    if (key !== undefined && SHARED_KEYS.has(key)) return src;
    const done = made.get(src);
    if (done !== undefined) return done;
    const reuse =
      typeof old === 'object' && old !== null && Array.isArray(old) === Array.isArray(src) && !used.has(old);
    if (Array.isArray(src)) {
      const out = (reuse ? old : []) as unknown[];
      made.set(src, out);
      used.add(out);
      for (let i = 0; i < src.length; i++) out[i] = place(out[i], src[i]);
      out.length = src.length;
      return out;
    }
    const out = (reuse ? old : {}) as Record<string, unknown>;
    made.set(src, out);
    used.add(out);
    fillObject(out, src as Record<string, unknown>, place);
    return out;
  };
  made.set(source, target);
  used.add(target);
  fillObject(target as Record<string, unknown>, source as Record<string, unknown>, place);
}

const OWNERS_FIRST = new Set(['kvm', 'vms', 'vcpus', 'tasks']);

function placementOrder(keys: string[]): string[] {
  return [...keys.filter((k) => OWNERS_FIRST.has(k)), ...keys.filter((k) => !OWNERS_FIRST.has(k))];
}

function fillObject(
  out: Record<string, unknown>,
  src: Record<string, unknown>,
  place: (old: unknown, src: unknown, key?: string) => unknown,
): void {
  const srcKeys = Object.keys(src);
  const outKeys = Object.keys(out);
  let sameKeys = srcKeys.length === outKeys.length;
  for (let i = 0; sameKeys && i < srcKeys.length; i++) sameKeys = srcKeys[i] === outKeys[i];
  const placed = new Map<string, unknown>();
  for (const k of placementOrder(srcKeys)) placed.set(k, place(out[k], src[k], k));
  if (!sameKeys) for (const k of outKeys) delete out[k];
  for (const k of srcKeys) out[k] = placed.get(k);
}

const SEQ_LIMIT = 4096;

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

/** The generic world fingerprint (canon.ts worldFingerprint says what it means). */
export function referenceFingerprint(
  w: World,
  extra?: (h: Hasher) => void,
  writers?: NumberRenaming,
): [number, number] {
  const h = new Hasher();
  const seen = new Map<object, number>();
  const rename = new Map<number, number>();
  const perWriter = new Map<number, number>();
  const canonVal = (v: number): number => {
    if (v < SEQ_LIMIT) return v;
    const to = writers?.get(Math.floor(v / SEQ_LIMIT));
    if (to !== undefined) v = to * SEQ_LIMIT + (v % SEQ_LIMIT);
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
    if (typeof v === 'boolean') return h.word(v ? TAG_TRUE : TAG_FALSE);
    if (v === undefined) return h.word(TAG_UNDEF);
    if (v === null) return h.word(TAG_NULL);
    const obj = v;
    const id = seen.get(obj);
    if (id !== undefined) {
      h.word(TAG_REF);
      return h.word(id);
    }
    seen.set(obj, seen.size);
    if (Array.isArray(obj)) {
      h.word(TAG_ARRAY);
      h.word(obj.length);
      for (let i = 0; i < obj.length; i++) walk(obj[i], isVal);
      return;
    }
    h.word(TAG_OBJECT);
    const rec = obj as Record<string, unknown>;
    for (const k in rec) {
      const info = keyInfo(k);
      if (info.skip) continue;
      h.word(info.id);
      walk(rec[k], isVal || info.val || isValField(rec, k));
    }
  };
  walk(w, false);
  extra?.(h);
  return h.pair();
}
