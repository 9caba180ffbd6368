// Generic clone and fingerprint of world data. World state is plain data (objects, arrays,
// numbers, strings, booleans, null) whose objects may be shared — fpsimd_last_state.st points at
// a task's fpsimd_state, as in the kernel — so both walks keep a visit map: the clone keeps the
// sharing, and the fingerprint hashes a second visit as a back-reference to the first, which makes
// two states with the same values but different pointer structure hash differently.

type Plain = null | boolean | number | string | undefined | PlainObject | Plain[];
interface PlainObject {
  [k: string]: Plain;
}

/** Fields whose values never change after a world is made: clones share them instead of copying. */
export const SHARED_KEYS = new Set(['config', 'writers', 'vl_info']);

export function cloneGraph<T>(root: T): T {
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

/**
 * Makes `target` hold the data of `source` while keeping the identity of every target object that
 * sits where the source has an object of the same kind (array or not), so that references held
 * from outside (a suspended kernel path's locals) keep pointing into the target. The sharing of
 * the result is the source's. `source` is only read.
 */
export function loadInto<T extends object>(target: T, source: T): void {
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

/**
 * Containers that own the world's entities (vms, vcpus, tasks), placed before any other field of
 * the same object, so that each entity keeps its identity by its owning position: pointers to it
 * (a CPU's current task, fpsimd_last_state, the running vcpu) are placed after and find it made.
 */
const OWNERS_FIRST = new Set(['kvm', 'vms', 'vcpus', 'tasks']);

function placementOrder(keys: string[]): string[] {
  return [...keys.filter((k) => OWNERS_FIRST.has(k)), ...keys.filter((k) => !OWNERS_FIRST.has(k))];
}

/** Copies an object's fields in the source's key order (the fingerprint walks keys in order). */
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

// A 64-bit hash over a stream of 32-bit words, as two independent 32-bit lanes with different
// multipliers and rotations (murmur3-style mixing): a few multiplies a word, no allocation.
export class Hasher {
  private a = 0x9747b28c;
  private b = 0x85ebca6b;

  word(w: number): void {
    let a = this.a ^ Math.imul(w | 0, 0xcc9e2d51);
    a = (a << 13) | (a >>> 19);
    this.a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    let b = this.b ^ Math.imul(w | 0, 0x1b873593);
    b = (b << 17) | (b >>> 15);
    this.b = (Math.imul(b, 9) + 0x38b34ae5) | 0;
  }

  private final(x: number): number {
    x ^= x >>> 16;
    x = Math.imul(x, 0x85ebca6b);
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35);
    return (x ^ (x >>> 16)) >>> 0;
  }

  number(n: number): void {
    if (Number.isInteger(n) && n >= -0x80000000 && n <= 0xffffffff) {
      this.word(n >>> 0);
    } else {
      const hi = Math.floor(n / 0x100000000);
      this.word(hi >>> 0);
      this.word(n >>> 0);
    }
  }

  string(s: string): void {
    this.word(s.length | 0x40000000);
    for (let i = 0; i < s.length; i++) this.word(s.charCodeAt(i));
  }

  /** The digest as two numbers (for compact visited sets). */
  pair(): [number, number] {
    return [this.final(this.a ^ this.b), this.final(this.b + Math.imul(this.a, 0x27d4eb2d))];
  }

  /** The 64-bit digest as a 16-digit hex string. */
  hex(): string {
    const [hi, lo] = this.pair();
    return hi.toString(16).padStart(8, '0') + lo.toString(16).padStart(8, '0');
  }
}

const TAG_NULL = 0x7f000001;
const TAG_UNDEF = 0x7f000002;
const TAG_TRUE = 0x7f000003;
const TAG_FALSE = 0x7f000004;
const TAG_ARRAY = 0x7f000005;
const TAG_OBJECT = 0x7f000006;
const TAG_REF = 0x7f000007;

const keyHashes = new Map<string, number>();

/** Property names repeat in every state, so each is hashed once and then fed as one word. */
export function keyHash(k: string): number {
  let v = keyHashes.get(k);
  if (v === undefined) {
    const h = new Hasher();
    h.string(k);
    v = h.pair()[1];
    keyHashes.set(k, v);
  }
  return v;
}

/** Feeds a data graph into a hasher in a canonical order (keys in insertion order of each object). */
export function hashGraph(h: Hasher, root: unknown, skipKeys?: ReadonlySet<string>): void {
  const seen = new Map<object, number>();
  const walk = (v: unknown): void => {
    switch (typeof v) {
      case 'number':
        h.number(v);
        return;
      case 'string':
        h.string(v);
        return;
      case 'boolean':
        h.word(v ? TAG_TRUE : TAG_FALSE);
        return;
      case 'undefined':
        h.word(TAG_UNDEF);
        return;
    }
    if (v === null) return h.word(TAG_NULL);
    const obj = v as object;
    const id = seen.get(obj);
    if (id !== undefined) {
      h.word(TAG_REF);
      h.word(id);
      return;
    }
    seen.set(obj, seen.size);
    if (Array.isArray(obj)) {
      h.word(TAG_ARRAY);
      h.word(obj.length);
      for (const x of obj) walk(x);
      return;
    }
    h.word(TAG_OBJECT);
    for (const k in obj) {
      if (skipKeys?.has(k)) continue;
      h.word(keyHash(k));
      walk((obj as Record<string, unknown>)[k]);
    }
  };
  walk(root);
}

export function fingerprint(root: unknown, skipKeys?: ReadonlySet<string>): string {
  const h = new Hasher();
  hashGraph(h, root, skipKeys);
  return h.hex();
}

export type { Plain };
