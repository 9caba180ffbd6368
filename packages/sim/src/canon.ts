// SPDX-License-Identifier: GPL-2.0-only
//
// The fingerprint of a world for the explorer: the data graph with trace-only fields left out and
// symbolic register values renamed canonically. Invariants only compare values for equality, so
// two worlds that differ by a consistent renaming of each writer's values behave alike; numbering
// each writer's values in order of first appearance merges them.
//
// The walk runs code compiled once per shape of object (shapes.ts). It reads the data in the
// order the generic walk of canon-reference.ts reads it and feeds an equivalent stream: one word
// per shape where the reference feeds one per kept key, a string's 64-bit hash where it feeds the
// characters, and for an object met a second time a back-reference to the number of objects
// visited before its first meeting. So two worlds get equal fingerprints under one walk exactly
// when they do under the other (world-walk.test.ts), though the numbers differ. Only shapes that
// can be shared are recorded for back-references; the others only count.

import { referenceFingerprint } from './canon-reference.js';
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
import { isValField, SKIP_KEYS, VAL_KEYS } from './world-keys.js';
import { compile, field, shapeAt, Site, VisitList, type Shape } from './shapes.js';
import type { NumberRenaming } from './renaming.js';
import { walkMode, walksSwitched } from './walk-mode.js';
import type { World } from './world.js';

const SEQ_LIMIT = 4096;

// The state of the running walk (one at a time per thread; reset at each start).
const h = new Hasher();
/** Objects visited so far: the number a back-reference to the next one would carry. */
let visited = 0;
/** Objects of shared shapes, with their numbers. */
const numbered = new VisitList<number>();
const root = new Site();

/**
 * The fingerprint of a world; `writers` renames writers before the canonical renaming (task
 * symmetry: the world as if its tasks had each other's writer numbers).
 */
export function worldFingerprint(
  w: World,
  extra?: (h: Hasher) => void,
  writers?: NumberRenaming,
): [number, number] {
  if (!walksSwitched()) return shapeFingerprint(w, extra, writers);
  const t0 = walkMode.timed ? performance.now() : 0;
  const out = walkMode.reference
    ? referenceFingerprint(w, extra, writers)
    : shapeFingerprint(w, extra, writers);
  if (walkMode.timed) {
    walkMode.times.fingerprint += performance.now() - t0;
    walkMode.times.fingerprints++;
  }
  return out;
}

function shapeFingerprint(w: World, extra?: (h: Hasher) => void, writers?: NumberRenaming): [number, number] {
  h.reset();
  visited = 0;
  startRenaming();
  remapping = writers !== undefined && writers.size > 0;
  if (remapping) setRemap(writers!);
  try {
    hashObject(root, w, false);
  } finally {
    numbered.clear();
    remapping = false;
  }
  extra?.(h);
  return h.pair();
}

/** Feeds an object found at `site`; `val`: it sits under a field of symbolic values. */
function hashObject(site: Site, v: object, val: boolean): void {
  if (Array.isArray(v)) return hashArray(site.items(), v, val);
  const s = shapeAt(site, v);
  if (s.shared) {
    const id = numbered.get(v);
    if (id !== undefined) {
      h.word(TAG_REF);
      h.word(id);
      return;
    }
    numbered.add(v, visited);
  }
  visited++;
  hashCode(s, val)(v);
}

function hashArray(items: Site, a: unknown[], val: boolean): void {
  visited++;
  h.word(TAG_ARRAY);
  h.word(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (typeof x === 'number') h.number(val ? canonVal(x) : x);
    else if (typeof x === 'object' && x !== null) hashObject(items, x, val);
    else hashOther(x);
  }
}

/** Strings, booleans, undefined and null (anything else is walked as an object, as the reference does). */
function hashOther(v: unknown): void {
  if (typeof v === 'string') hashString(v);
  else if (v === true) h.word(TAG_TRUE);
  else if (v === false) h.word(TAG_FALSE);
  else if (v === undefined) h.word(TAG_UNDEF);
  else if (v === null) h.word(TAG_NULL);
  else hashObject(root, v, false);
}

/** Each string a world holds is fed as a 64-bit hash of its characters, computed once. */
const stringWords = new Map<string, [number, number]>();

function hashString(v: string): void {
  let p = stringWords.get(v);
  if (p === undefined) {
    // Worlds hold a small vocabulary of strings (names, labels, modes); a bound keeps odd ones
    // from filling the cache.
    if (stringWords.size > 4096) stringWords.clear();
    const sh = new Hasher();
    sh.string(v);
    stringWords.set(v, (p = sh.pair()));
  }
  h.word(p[0]);
  h.word(p[1]);
}

/** One word for an object's kept keys, in order: what the reference feeds as one word per key. */
function shapeWord(s: Shape): number {
  const sh = new Hasher();
  sh.word(TAG_OBJECT);
  for (const k of s.keys) if (!SKIP_KEYS.has(k)) sh.word(keyHash(k));
  return sh.pair()[0];
}

type HashFn = (o: object) => void;

function hashCode(s: Shape, val: boolean): HashFn {
  const code = s.code;
  if (val) return (code.hashVal ??= makeHash(s, true)) as HashFn;
  return (code.hash ??= makeHash(s, false)) as HashFn;
}

function makeHash(s: Shape, val: boolean): HashFn {
  return s.compilable ? compileHash(s, val) : genericHash(s, val);
}

/** A shape's hasher: the object tag, then each kept key's hash and value, in key order. */
function compileHash(s: Shape, val: boolean): HashFn {
  const sites = s.keys.map(() => new Site());
  const chunkV = s.keys.includes('kind');
  const fieldCode = (k: string, i: number) => {
    const isVal = val || VAL_KEYS.has(k);
    const num = isVal ? 'canonVal(v)' : k === 'v' && chunkV ? 'isValField(o, "v") ? canonVal(v) : v' : 'v';
    return `v = ${field('o', k)};
      if (typeof v === "number") h.number(${num});
      else if (typeof v === "object" && v !== null) hashObject(sites[${i}], v, ${isVal});
      else hashOther(v);`;
  };
  const body = s.keys.map((k, i) => (SKIP_KEYS.has(k) ? '' : fieldCode(k, i))).join('\n');
  return compile<HashFn>(
    ['h', 'canonVal', 'hashObject', 'hashOther', 'sites', 'isValField'],
    [h, canonVal, hashObject, hashOther, sites, isValField],
    `return function hash(o) { let v; h.word(${shapeWord(s)}); ${body} };`,
  );
}

/** A hasher for a shape fixed-name code cannot express: the keys one by one. */
function genericHash(s: Shape, val: boolean): HashFn {
  const site = new Site();
  const word = shapeWord(s);
  return (o) => {
    h.word(word);
    const rec = o as Record<string, unknown>;
    for (const k of s.keys) {
      if (SKIP_KEYS.has(k)) continue;
      const isVal = val || VAL_KEYS.has(k);
      const x = rec[k];
      if (typeof x === 'number') h.number(isVal || isValField(o, k) ? canonVal(x) : x);
      else if (typeof x === 'object' && x !== null) hashObject(site, x, isVal);
      else hashOther(x);
    }
  };
}

// Canonical renaming of symbolic values: the n-th distinct value of writer w met in the walk
// becomes w#n. The common case (a small writer number) is looked up in flat tables stamped with
// the walk's number, so nothing is allocated or cleared per walk; other values use maps.

const TABLE_WRITERS = 64;
const tableSize = TABLE_WRITERS * SEQ_LIMIT;
const renamedAt = new Int32Array(tableSize);
const renamedTo = new Int32Array(tableSize);
const countedAt = new Int32Array(TABLE_WRITERS);
const counts = new Int32Array(TABLE_WRITERS);
const renameMap = new Map<number, number>();
const countMap = new Map<number, number>();
let walkNo = 0;

/**
 * Starts a canonical renaming (each walk starts one): exported with canonVal for walks over the
 * same data in another layout (bench/flat.ts), so that they rename exactly as the fingerprint does.
 */
export function startRenaming(): void {
  walkNo++;
  if (walkNo === 0x7fffffff) {
    renamedAt.fill(0);
    countedAt.fill(0);
    remapAt.fill(0);
    walkNo = 1;
  }
  if (renameMap.size) renameMap.clear();
  if (countMap.size) countMap.clear();
}

// The writer renaming of the running walk (task symmetry): looked up for every symbolic value, so
// the common writers' new numbers are in a flat table stamped with the walk's number (a writer
// without this walk's stamp keeps its number); other writers are looked up in the map.
const remapAt = new Int32Array(TABLE_WRITERS);
const remapTo = new Int32Array(TABLE_WRITERS);
let remapping = false;
let remapWide: NumberRenaming | null = null;

function setRemap(writers: NumberRenaming): void {
  remapWide = null;
  writers.forEach(setRemapOne);
  // A writer beyond the table is looked up in the renaming itself.
  if (wideWriter) remapWide = writers;
  wideWriter = false;
}

let wideWriter = false;

function setRemapOne(to: number, from: number): void {
  if (from >= 0 && from < TABLE_WRITERS) {
    remapAt[from] = walkNo;
    remapTo[from] = to;
  } else wideWriter = true;
}

function remapped(v: number): number {
  const wr = Math.floor(v / SEQ_LIMIT);
  const to = wr < TABLE_WRITERS ? (remapAt[wr] === walkNo ? remapTo[wr] : undefined) : remapWide?.get(wr);
  return to === undefined ? v : to * SEQ_LIMIT + (v % SEQ_LIMIT);
}

/** A symbolic value's canonical name in the running renaming (startRenaming). */
export function canonVal(v: number): number {
  if (v < SEQ_LIMIT) return v;
  if (remapping) v = remapped(v);
  if (v < tableSize && (v | 0) === v) {
    if (renamedAt[v] === walkNo) return renamedTo[v];
    const r = renameNew(v);
    renamedAt[v] = walkNo;
    renamedTo[v] = r;
    return r;
  }
  let r = renameMap.get(v);
  if (r === undefined) renameMap.set(v, (r = renameNew(v)));
  return r;
}

/** The next number of `v`'s writer: `v` is met for the first time in this walk. */
function renameNew(v: number): number {
  const wr = Math.floor(v / SEQ_LIMIT);
  let n: number;
  if (wr < TABLE_WRITERS) {
    n = countedAt[wr] === walkNo ? counts[wr] + 1 : 1;
    countedAt[wr] = walkNo;
    counts[wr] = n;
  } else {
    n = (countMap.get(wr) ?? 0) + 1;
    countMap.set(wr, n);
  }
  return wr * SEQ_LIMIT + n;
}
