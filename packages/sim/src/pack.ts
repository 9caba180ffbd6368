// SPDX-License-Identifier: GPL-2.0-only
//
// Packed worlds: the explorer's frontier and its rebuild chains keep each stored world as one
// byte array instead of a graph of ~140 objects. A stored graph costs the garbage collector a
// trace of every object on every major collection (the top of the profile before this file) and
// ~7 KB of heap; a packed world is one byte array of well under 1 KB (583 bytes for the first
// world of sched-sve.yaml) that the collector never looks into.
//
// The format is a pre-order walk of the data, like the clone in graph.ts, with code compiled once
// per shape (shapes.ts): an object is its shape's number followed by its fields' values in the
// shape's key order (no key names); an array is its length and items; small non-negative
// integers are one byte, other numbers a tag and a varint or eight bytes; strings and the values
// of SHARED_KEYS (data no event changes, shared by every clone) are numbers into tables kept by
// the Packer. Objects of shapes that can be pointed at from two places are numbered in order of
// first meeting; a second meeting writes a back-reference, so unpacking restores the sharing
// (fpsimd_last_state.st pointing into a task) exactly as cloneGraph does.

import { compile, field, shapeAt, shapeByKeys, Site, VisitList, type Shape } from './shapes.js';
import { SHARED_KEYS } from './world-keys.js';

/**
 * A world packed by a Packer: only that Packer can unpack it, or, when `by` is set, the mirror
 * of another thread's Packer the bytes came from (its numbers are that thread's).
 */
export class PackedWorld {
  constructor(
    readonly bytes: Uint8Array,
    readonly by?: Packer,
  ) {}
}

/** What a Packer's tables gained since an earlier count: sent to the mirrors of it in other threads. */
export interface TableDelta {
  strings: string[];
  /** New shapes, as their keys in order. */
  shapes: string[][];
  /** The size of the table of shared values (they must all be met in the first world packed). */
  shared: number;
}

// Value tags. Bytes below SMALL_LIMIT are the non-negative integer they spell.
const SMALL_LIMIT = 200;
const T_NULL = 200;
const T_UNDEF = 201;
const T_FALSE = 202;
const T_TRUE = 203;
const T_STRING = 204;
const T_UINT = 205;
const T_NEG = 206;
const T_DOUBLE = 207;
const T_OBJECT = 208;
const T_ARRAY = 209;
const T_REF = 210;
const T_SHARED = 211;

/**
 * The tables a packed world's numbers point into: strings, SHARED_KEYS values, and shapes. One
 * Packer per explorer; its tables only grow, by the few strings and shared objects a
 * configuration has.
 */
export class Packer {
  readonly strings: string[] = [];
  readonly stringIds = new Map<string, number>();
  readonly shared: unknown[] = [];
  readonly sharedIds = new Map<unknown, number>();
  /** A mirror's shapes by the other thread's numbers; null: this thread's own numbering. */
  private shapeTable: Shape[] | null = null;
  /** How much of the tables a delta has already told (own Packer) or been told (mirror). */
  private told = { strings: 0, shapes: 0 };

  /**
   * The part of the search whose numbering this Packer's bytes use: the thread's own, or, for a
   * mirror, the thread it mirrors.
   */
  constructor(readonly part = 0) {}

  /** Worlds packed and unpacked by this Packer so far (counts for `npm run bench`). */
  packs = 0;
  unpacks = 0;

  pack(root: object): PackedWorld {
    this.packs++;
    return new PackedWorld(encodeRoot(this, root));
  }

  unpack<T>(p: PackedWorld): T {
    this.unpacks++;
    return decodeRoot(p.by ?? this, p.bytes) as T;
  }

  /** A Packer that reads the bytes of `part`'s Packer, sharing this one's shared values. */
  mirror(part: number): Packer {
    const m = new Packer(part);
    m.shapeTable = [];
    m.shared.push(...this.shared);
    return m;
  }

  /** What the tables gained since the last delta (strings, and this thread's shapes). */
  delta(): TableDelta {
    const d = {
      strings: this.strings.slice(this.told.strings),
      shapes: shapeList.slice(this.told.shapes).map((s) => [...s.keys]),
      shared: this.shared.length,
    };
    this.told = { strings: this.strings.length, shapes: shapeList.length };
    return d;
  }

  /** A mirror takes what its original's tables gained. */
  apply(d: TableDelta): void {
    if (!this.shapeTable) throw new Error('pack: only a mirror takes a delta');
    if (d.shared !== this.shared.length)
      throw new Error(`pack: ${d.shared} shared values in part ${this.part}, ${this.shared.length} here`);
    this.strings.push(...d.strings);
    for (const keys of d.shapes) this.shapeTable.push(shapeByKeys(keys));
  }

  get shapes(): Shape[] {
    return this.shapeTable ?? shapeList;
  }
}

// ---- Encoding (one walk at a time per thread: the running state is module-level, as in graph.ts)

let out = new Uint8Array(1 << 16);
let pos = 0;
let packer: Packer;
/** Objects of shared shapes written so far, with their numbers. */
const numbered = new VisitList<number>();
let count = 0;
const encRoot = new Site();

/** Shapes by number (the number is written before an object's fields). */
const shapeList: Shape[] = [];

function shapeNumber(s: Shape): number {
  let n = s.code.packId;
  if (n === undefined) {
    n = shapeList.push(s) - 1;
    s.code.packId = n;
  }
  return n;
}

function encodeRoot(p: Packer, root: object): Uint8Array {
  packer = p;
  pos = 0;
  count = 0;
  try {
    writeObject(encRoot, root);
    return keepBytes(out, pos);
  } finally {
    numbered.clear();
  }
}

/**
 * Where packed worlds' bytes are kept: views into shared slabs. A byte array of its own per world
 * (a slice) is a separate backing store past 64 bytes, which costs an allocation outside the heap
 * and the collector's sweep of it; on sched-sve.yaml to depth 6 the slabs save 2.6% of the
 * instructions and 8% of the frontier's memory (2,739 against 2,980 bytes a state). A slab lives
 * while any world in it does; the worlds of one round of the search die together, so little is
 * held past its time. Packed bytes are never written after packing.
 */
const SLAB_SIZE = 1 << 16;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

/** A copy of the first `n` bytes of `src`, kept in a slab (or alone, if large). */
export function keepBytes(src: Uint8Array, n: number): Uint8Array {
  if (n > SLAB_SIZE >> 3) return src.slice(0, n);
  if (slabUsed + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  const kept = slab.subarray(slabUsed, slabUsed + n);
  kept.set(src.subarray(0, n));
  slabUsed += n;
  return kept;
}

/** Room for one value's fixed part (a tag and a varint, or a tag and a double). */
function room(n: number): void {
  if (pos + n <= out.length) return;
  const bigger = new Uint8Array(Math.max(out.length * 2, pos + n));
  bigger.set(out.subarray(0, pos));
  out = bigger;
}

function writeVarint(x: number): void {
  // Below 2^31 with integer shifts (the common case: symbolic values, lengths, table numbers).
  if (x <= 0x7fffffff) {
    while (x >= 0x80) {
      out[pos++] = (x & 0x7f) | 0x80;
      x >>>= 7;
    }
    out[pos++] = x;
    return;
  }
  while (x >= 0x80) {
    out[pos++] = (x % 0x80) | 0x80;
    x = Math.floor(x / 0x80);
  }
  out[pos++] = x;
}

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);

function writeNumber(v: number): void {
  room(11);
  if (Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER && !Object.is(v, -0)) {
    if (v >= 0 && v < SMALL_LIMIT) {
      out[pos++] = v;
    } else if (v >= 0) {
      out[pos++] = T_UINT;
      writeVarint(v);
    } else {
      out[pos++] = T_NEG;
      writeVarint(-v);
    }
    return;
  }
  out[pos++] = T_DOUBLE;
  f64[0] = v;
  out.set(f64Bytes, pos);
  pos += 8;
}

function writeString(v: string): void {
  writeTableRef(T_STRING, packer.strings, packer.stringIds, v);
}

/** `v` as its number in one of the Packer's tables (added there at its first meeting). */
function writeTableRef<T>(tag: number, table: T[], ids: Map<T, number>, v: T): void {
  let id = ids.get(v);
  if (id === undefined) {
    id = table.push(v) - 1;
    ids.set(v, id);
  }
  room(11);
  out[pos++] = tag;
  writeVarint(id);
}

/** A value found at `site`. */
function writeValue(site: Site, v: unknown): void {
  switch (typeof v) {
    case 'number':
      return writeNumber(v);
    case 'string':
      return writeString(v);
    case 'boolean':
      room(1);
      out[pos++] = v ? T_TRUE : T_FALSE;
      return;
    case 'undefined':
      room(1);
      out[pos++] = T_UNDEF;
      return;
    case 'object':
      if (v === null) {
        room(1);
        out[pos++] = T_NULL;
        return;
      }
      return writeObject(site, v);
    default:
      throw new Error(`pack: a ${typeof v} in world data`);
  }
}

function writeObject(site: Site, v: object): void {
  if (Array.isArray(v)) {
    const items = site.items();
    room(11);
    out[pos++] = T_ARRAY;
    writeVarint(v.length);
    for (let i = 0; i < v.length; i++) writeValue(items, v[i]);
    return;
  }
  const s = shapeAt(site, v);
  if (s.shared) {
    const n = numbered.get(v);
    if (n !== undefined) {
      room(11);
      out[pos++] = T_REF;
      writeVarint(n);
      return;
    }
    numbered.add(v, count++);
  }
  room(11);
  out[pos++] = T_OBJECT;
  writeVarint(shapeNumber(s));
  encodeCode(s)(v);
}

/** A value no event changes, written as its number in the Packer's table. */
function writeShared(v: unknown): void {
  writeTableRef(T_SHARED, packer.shared, packer.sharedIds, v);
}

type EncodeFn = (o: object) => void;

function encodeCode(s: Shape): EncodeFn {
  return (s.code.encode ??= s.compilable ? compileEncode(s) : genericEncode(s)) as EncodeFn;
}

/** A shape's writer: its fields' values in key order, each through the site of its field. */
function compileEncode(s: Shape): EncodeFn {
  const sites = s.keys.map(() => new Site());
  // The commonest values are handled here, before writeValue's dispatch: a small non-negative
  // integer (its own byte), null and the booleans (one tag byte).
  const body = s.keys
    .map((k, i) =>
      SHARED_KEYS.has(k)
        ? `shared(${field('o', k)});`
        : `v = ${field('o', k)};
          if (typeof v === "number" ? v >= 0 && v < ${SMALL_LIMIT} && (v | 0) === v && 1 / v !== -Infinity : v === null || v === true || v === false) byte(v);
          else value(sites[${i}], v);`,
    )
    .join('\n');
  return compile<EncodeFn>(
    ['value', 'shared', 'sites', 'byte'],
    [writeValue, writeShared, sites, writeByteValue],
    `return function encode(o) { let v; ${body} };`,
  );
}

/** A small non-negative integer as its byte, or null or a boolean as its tag. */
function writeByteValue(v: number | boolean | null): void {
  room(1);
  out[pos++] = typeof v === 'number' ? v : v === null ? T_NULL : v ? T_TRUE : T_FALSE;
}

function genericEncode(s: Shape): EncodeFn {
  const site = new Site();
  return (o) => {
    const src = o as Record<string, unknown>;
    for (const k of s.keys) {
      if (SHARED_KEYS.has(k)) writeShared(src[k]);
      else writeValue(site, src[k]);
    }
  };
}

// ---- Decoding

/** What `inp` holds between reads (a decode keeps no bytes alive). */
const NO_BYTES = new Uint8Array(0);
let inp: Uint8Array = NO_BYTES;
let at = 0;
let unpacker: Packer;
/** The shapes the bytes being read number (this thread's, or a mirror's). */
let shapesIn: Shape[] = [];
/** Objects of shared shapes made so far, by number. */
let made: object[] = [];

function decodeRoot(p: Packer, bytes: Uint8Array): unknown {
  unpacker = p;
  shapesIn = p.shapes;
  inp = bytes;
  at = 0;
  made = [];
  try {
    const v = readValue();
    if (at !== bytes.length) throw new Error(`unpack: ${bytes.length - at} bytes left over`);
    return v;
  } finally {
    made = [];
    inp = NO_BYTES;
  }
}

function readVarint(): number {
  let x = 0;
  let scale = 1;
  for (;;) {
    const b = inp[at++];
    x += (b & 0x7f) * scale;
    if (b < 0x80) return x;
    scale *= 0x80;
  }
}

function readValue(): unknown {
  const t = inp[at++];
  if (t < SMALL_LIMIT) return t;
  switch (t) {
    case T_NULL:
      return null;
    case T_UNDEF:
      return undefined;
    case T_FALSE:
      return false;
    case T_TRUE:
      return true;
    case T_STRING:
      return unpacker.strings[readVarint()];
    case T_UINT:
      return readVarint();
    case T_NEG:
      return -readVarint();
    case T_DOUBLE:
      f64Bytes.set(inp.subarray(at, at + 8));
      at += 8;
      return f64[0];
    case T_OBJECT:
      return decodeCode(shapesIn[readVarint()])();
    case T_ARRAY: {
      const n = readVarint();
      const a: unknown[] = new Array<unknown>(n);
      for (let i = 0; i < n; i++) a[i] = readValue();
      return a;
    }
    case T_REF:
      return made[readVarint()];
    case T_SHARED:
      return unpacker.shared[readVarint()];
    default:
      throw new Error(`unpack: bad tag ${t} at byte ${at - 1}`);
  }
}

type DecodeFn = () => object;

function decodeCode(s: Shape): DecodeFn {
  return (s.code.decode ??= s.compilable ? compileDecode(s) : genericDecode(s)) as DecodeFn;
}

/**
 * A shape's reader: a new object given the keys in order (so it gets the hidden class a clone
 * gets), numbered before its fields are read, as the writer numbered it.
 */
function compileDecode(s: Shape): DecodeFn {
  const body = `const out = {};
    ${s.shared ? 'made().push(out);' : ''}
    ${s.keys.map((k) => `${field('out', k)} = value();`).join('\n')}
    return out;`;
  return compile<DecodeFn>(
    ['value', 'made'],
    [readValue, () => made],
    `return function decode() { ${body} };`,
  );
}

function genericDecode(s: Shape): DecodeFn {
  return () => {
    const o: Record<string, unknown> = {};
    if (s.shared) made.push(o);
    for (const k of s.keys) o[k] = readValue();
    return o;
  };
}
