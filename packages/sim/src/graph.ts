// SPDX-License-Identifier: GPL-2.0-only
//
// Clone and in-place load of world data (the world's fingerprint is canon.ts's, its hasher
// hasher.ts's; Hasher and keyHash are re-exported here). World state is plain data (objects, arrays, numbers, strings,
// booleans, null) whose objects may be shared — fpsimd_last_state.st points at a task's
// fpsimd_state, as in the kernel — so both walks keep the sharing: an object met a second time
// is the one made at its first meeting. Each walk runs code compiled once per shape of object
// (shapes.ts), and keeps its visit record only for the shapes that can be shared;
// canon-reference.ts holds the generic walks these must agree with.

import { SHARED_KEYS } from './world-keys.js';
import { referenceClone, referenceLoadInto } from './canon-reference.js';
import { compile, field, hasKeys, shapeAt, Site, VisitList, type Shape } from './shapes.js';

import { walkMode, walksSwitched } from './walk-mode.js';

export { Hasher, keyHash } from './hasher.js';

type Plain = null | boolean | number | string | undefined | PlainObject | Plain[];
interface PlainObject {
  [k: string]: Plain;
}

/** Objects of shared shapes the running clone has copied, with their copies. */
const copied = new VisitList<object>();
const cloneRoot = new Site();

export function cloneGraph<T>(root: T): T {
  if (!walksSwitched()) return shapeClone(root);
  const t0 = walkMode.timed ? performance.now() : 0;
  const out = walkMode.reference ? referenceClone(root) : shapeClone(root);
  if (walkMode.timed) {
    walkMode.times.clone += performance.now() - t0;
    walkMode.times.clones++;
  }
  return out;
}

function shapeClone<T>(root: T): T {
  if (typeof root !== 'object' || root === null) return root;
  try {
    return cloneObject(cloneRoot, root) as T;
  } finally {
    copied.clear();
  }
}

/** The copy of `v`, an object found at `site`. */
function cloneObject(site: Site, v: object): unknown {
  if (Array.isArray(v)) return cloneArray(site.items(), v);
  const s = shapeAt(site, v);
  if (s.shared) {
    const done = copied.get(v);
    if (done !== undefined) return done;
  }
  return cloneCode(s)(v);
}

function cloneArray(items: Site, a: unknown[]): unknown[] {
  const out: unknown[] = new Array<unknown>(a.length);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    out[i] = typeof x === 'object' && x !== null ? cloneObject(items, x) : x;
  }
  return out;
}

type CloneFn = (o: object) => object;

function cloneCode(s: Shape): CloneFn {
  return (s.code.clone ??= s.compilable ? compileClone(s) : genericClone(s)) as CloneFn;
}

/**
 * A shape's copier: a new object given the shape's keys in order, each field copied (objects
 * through their own shape's copier). A shared shape is recorded before its fields are copied, so
 * a pointer back to it from inside finds the copy. (Fields are assigned one by one: an object
 * literal of the same keys measured several times slower here.)
 */
function compileClone(s: Shape): CloneFn {
  const sites = s.keys.map(() => new Site());
  const value = (k: string, i: number) =>
    SHARED_KEYS.has(k)
      ? field('o', k)
      : `(v = ${field('o', k)}, typeof v === "object" && v !== null ? copy(sites[${i}], v) : v)`;
  const body = `const out = {};
    ${s.shared ? 'copied.add(o, out);' : ''}
    ${s.keys.map((k, i) => `${field('out', k)} = ${value(k, i)};`).join('\n')}
    return out;`;
  return compile<CloneFn>(
    ['copy', 'copied', 'sites'],
    [cloneObject, copied, sites],
    `return function clone(o) { let v; ${body} };`,
  );
}

/** A copier for a shape fixed-name code cannot express: the keys one by one. */
function genericClone(s: Shape): CloneFn {
  const site = new Site();
  return (o) => {
    const out: Record<string, unknown> = {};
    if (s.shared) copied.add(o, out);
    const src = o as Record<string, unknown>;
    for (const k of s.keys) {
      const x = src[k];
      out[k] = typeof x === 'object' && x !== null && !SHARED_KEYS.has(k) ? cloneObject(site, x) : x;
    }
    return out;
  };
}

/**
 * Makes `target` hold the data of `source` while keeping the identity of every target object that
 * sits where the source has an object of the same kind (array or not), so that references held
 * from outside (a suspended kernel path's locals) keep pointing into the target. The sharing of
 * the result is the source's. `source` is only read.
 */
export function loadInto<T extends object>(target: T, source: T): void {
  if (!walksSwitched()) return shapeLoad(target, source);
  const t0 = walkMode.timed ? performance.now() : 0;
  if (walkMode.reference) referenceLoadInto(target, source);
  else shapeLoad(target, source);
  if (walkMode.timed) {
    walkMode.times.load += performance.now() - t0;
    walkMode.times.loads++;
  }
}

function shapeLoad(target: object, source: object): void {
  if (Array.isArray(source)) return referenceLoadInto(target, source);
  try {
    made.add(source, target);
    placed.add(target, true);
    const s = shapeAt(loadRoot, source);
    loadCode(s)(target, source, hasKeys(target, s.keys));
  } finally {
    made.clear();
    placed.clear();
  }
}

/** Source objects of shared shapes the running load has placed, with the target objects they got. */
const made = new VisitList<object>();
/** Target objects of shared shapes already given to some source object. */
const placed = new VisitList<true>();
const loadRoot = new Site();

/** What `src` (an object found at `site`) becomes in the target, where `old` stood. */
function placeObject(site: Site, old: unknown, src: object): unknown {
  if (Array.isArray(src)) return placeArray(site.items(), old, src);
  const s = shapeAt(site, src);
  if (s.shared) {
    const done = made.get(src);
    if (done !== undefined) return done;
  }
  const keep = typeof old === 'object' && old !== null && !Array.isArray(old) ? reuse(site, old, s) : NO;
  const out = keep === NO ? {} : (old as object);
  if (s.shared) made.add(src, out);
  // A new object has no keys to clear: it counts as having the source's.
  loadCode(s)(out, src, keep !== OTHER);
  return out;
}

const NO = 0;
const OTHER = 1;
const SAME = 2;

/**
 * Whether a target object can take a source object of shape `s`: not if it is a shared one
 * already placed (a second pointer to it in the target). SAME when it has `s`'s keys already.
 */
function reuse(site: Site, old: object, s: Shape): number {
  const same = hasKeys(old, s.keys);
  if (same ? s.shared : shapeAt(site, old).shared) {
    if (placed.get(old)) return NO;
    placed.add(old, true);
  }
  return same ? SAME : OTHER;
}

/** Arrays are never pointer targets (shapes.ts), so an array is reused wherever one stood. */
function placeArray(items: Site, old: unknown, src: unknown[]): unknown[] {
  const out = Array.isArray(old) ? (old as unknown[]) : [];
  for (let i = 0; i < src.length; i++) {
    const x = src[i];
    out[i] = typeof x === 'object' && x !== null ? placeObject(items, out[i], x) : x;
  }
  // Setting an array's length is a runtime call even when it does not change (measured: an eighth
  // of a load), so only a length that changes is set.
  if (out.length !== src.length) out.length = src.length;
  return out;
}

/** Fills `out` with `src`'s fields; `same`: `out` already has `src`'s keys in order. */
type LoadFn = (out: object, src: object, same: boolean) => void;

function loadCode(s: Shape): LoadFn {
  return (s.code.load ??= s.compilable ? compileLoad(s) : genericLoad(s)) as LoadFn;
}

/**
 * Containers that own the world's entities (vms, vcpus, tasks), placed before any other field of
 * the same object, so that each entity keeps its identity by its owning position: pointers to it
 * (a CPU's current task, fpsimd_last_state, the running vcpu) are placed after and find it made.
 */
const OWNERS_FIRST = new Set(['kvm', 'vms', 'vcpus', 'tasks']);

function placementOrder(keys: readonly string[]): number[] {
  const idx = keys.map((_, i) => i);
  return [...idx.filter((i) => OWNERS_FIRST.has(keys[i])), ...idx.filter((i) => !OWNERS_FIRST.has(keys[i]))];
}

/**
 * A shape's loader: every field placed first (owners first, each against what the target held
 * there), then the target's keys replaced if they differ, then the fields written in the source's
 * key order (the fingerprint reads keys in order).
 */
function compileLoad(s: Shape): LoadFn {
  const sites = s.keys.map(() => new Site());
  const place = (i: number) => {
    const k = s.keys[i];
    if (SHARED_KEYS.has(k)) return `const p${i} = ${field('src', k)};`;
    return `v = ${field('src', k)};
      const p${i} = typeof v === "object" && v !== null ? place(sites[${i}], ${field('out', k)}, v) : v;`;
  };
  const body = `let v;
    ${placementOrder(s.keys).map(place).join('\n')}
    if (!same) clearKeys(out);
    ${s.keys.map((k, i) => `${field('out', k)} = p${i};`).join('\n')}`;
  return compile<LoadFn>(
    ['place', 'clearKeys', 'sites'],
    [placeObject, clearKeys, sites],
    `return function load(out, src, same) { ${body} };`,
  );
}

function clearKeys(o: object): void {
  const rec = o as Record<string, unknown>;
  for (const k of Object.keys(rec)) delete rec[k];
}

/** A loader for a shape fixed-name code cannot express: the keys one by one. */
function genericLoad(s: Shape): LoadFn {
  const site = new Site();
  const order = placementOrder(s.keys);
  return (out, src, same) => {
    const o = out as Record<string, unknown>;
    const from = src as Record<string, unknown>;
    const values: unknown[] = [];
    for (const i of order) {
      const k = s.keys[i];
      const x = from[k];
      values[i] = typeof x === 'object' && x !== null && !SHARED_KEYS.has(k) ? placeObject(site, o[k], x) : x;
    }
    if (!same) clearKeys(o);
    s.keys.forEach((k, i) => (o[k] = values[i]));
  };
}

export type { Plain };
