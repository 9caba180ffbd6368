// `npm run bench:flat -- [CONFIG...]`: what the explorer's walks would cost if the world's data
// lay flat, as issue 17's typed world would lay it, even before knowing an event's writes. Each
// world that random walks reach is written once into a flat list of numbers in the fingerprint's
// order (fields the fingerprint skips left out; strings, booleans and null as small codes; an
// object as its key count), with a mask of the places that hold symbolic values. Then, per world:
// the fingerprint of the object graph (canon.ts) against a hash of the flat list that renames the
// symbolic values the same way (each writer's values numbered by first appearance), and the pack
// and in-place load of the graph (pack.ts, graph.ts) against a copy of the flat list. The flat
// figures are a floor: a typed world also pays for reading through its accessors in the port.

import { basename, resolve } from 'node:path';
import { canonVal, startRenaming, worldFingerprint } from '../src/canon.js';
import { cloneGraph, loadInto } from '../src/graph.js';
import { Hasher } from '../src/hasher.js';
import { Packer } from '../src/pack.js';
import { CONFIGS_DIR, configExplorer, sampleNodes } from '../src/test-walks.js';
import { SKIP_KEYS, VAL_KEYS } from '../src/world-keys.js';
import type { World } from '../src/world.js';

const DEFAULT_CONFIGS = ['sched-sve.yaml', 'signals.yaml', 'ref.yaml'];

/** A world laid flat: its numbers in walk order, and which of them are symbolic values. */
interface Flat {
  data: Float64Array;
  isVal: Uint8Array;
}

/** Codes for what is not a number (a typed world would store them so). */
const strings = new Map<string, number>();
function codeOf(v: unknown): number {
  if (v === null) return -1;
  if (v === undefined) return -2;
  if (v === true) return -3;
  if (v === false) return -4;
  const s = typeof v === 'string' ? v : typeof v;
  let id = strings.get(s);
  if (id === undefined) strings.set(s, (id = -10 - strings.size));
  return id;
}

function flatten(w: World): Flat {
  const data: number[] = [];
  const isVal: number[] = [];
  const seen = new Map<object, number>();
  const put = (x: number, val: boolean) => {
    data.push(x);
    isVal.push(val ? 1 : 0);
  };
  const walk = (v: unknown, val: boolean): void => {
    if (typeof v === 'number') return put(v, val);
    if (v === null || typeof v !== 'object') return put(codeOf(v), false);
    const at = seen.get(v);
    if (at !== undefined) return put(-5 - at, false);
    seen.set(v, data.length);
    const keys = Object.keys(v).filter((k) => !SKIP_KEYS.has(k));
    put(keys.length, false);
    const rec = v as Record<string, unknown>;
    for (const k of keys) walk(rec[k], val || VAL_KEYS.has(k));
  };
  walk(w, false);
  return { data: Float64Array.from(data), isVal: Uint8Array.from(isVal) };
}

// The flat hash: the fingerprint's own renaming (canon.ts) over a list instead of a graph.
const h = new Hasher();

function flatHash(f: Flat): [number, number] {
  h.reset();
  startRenaming();
  const { data, isVal } = f;
  for (let i = 0; i < data.length; i++) h.number(isVal[i] === 1 ? canonVal(data[i]) : data[i]);
  return h.pair();
}

/** CPU microseconds per call of `body` over `n` items, the least of five rounds after a warm-up. */
function usPer(n: number, rounds: number, body: (i: number) => void): number {
  for (let i = 0; i < n; i++) body(i);
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const t0 = process.cpuUsage();
    for (let k = 0; k < rounds; k++) for (let i = 0; i < n; i++) body(i);
    const t = process.cpuUsage(t0);
    best = Math.min(best, (t.user + t.system) / (rounds * n));
  }
  return best;
}

const configs = process.argv.slice(2);
const files = (configs.length ? configs : DEFAULT_CONFIGS).map((c) => resolve(CONFIGS_DIR, c));
const f = (x: number) => x.toFixed(2).padStart(8);
console.log(
  `${'configuration'.padEnd(18)}${'items'.padStart(8)}${'graph fp'.padStart(10)}${'flat hash'.padStart(10)}${'pack'.padStart(10)}${'load'.padStart(10)}${'flat copy'.padStart(10)}   (us per world, CPU)`,
);
for (const file of files) {
  const ex = configExplorer(file, null);
  const worlds = sampleNodes(ex, 20, 16, 11).map((n) => n.world);
  const flats = worlds.map(flatten);
  const packer = new Packer(0);
  const target = cloneGraph(worlds[0]);
  const copy = new Float64Array(Math.max(...flats.map((x) => x.data.length)));
  const items = flats.reduce((s, x) => s + x.data.length, 0) / flats.length;
  const fp = usPer(worlds.length, 20, (i) => void worldFingerprint(worlds[i]));
  const flat = usPer(flats.length, 20, (i) => void flatHash(flats[i]));
  const pack = usPer(worlds.length, 20, (i) => void packer.pack(worlds[i]));
  const load = usPer(worlds.length, 20, (i) => loadInto(target, worlds[i]));
  const cp = usPer(flats.length, 20, (i) => copy.set(flats[i].data));
  // The flat hash must tell worlds apart as the fingerprint does, or its figure means nothing.
  const count = (keys: string[]) => new Set(keys).size;
  const graphKeys = worlds.map((w) => worldFingerprint(w).join());
  const flatKeys = flats.map((x) => flatHash(x).join());
  const graphStates = count(graphKeys);
  const paired = count(graphKeys.map((k, i) => `${k}/${flatKeys[i]}`));
  const same = graphStates === count(flatKeys) && paired === graphStates ? 'the same' : 'DIFFERENT';
  console.log(
    `${basename(file).padEnd(18)}${items.toFixed(0).padStart(8)}${f(fp)}  ${f(flat)}  ${f(pack)}  ${f(load)}  ${f(cp)}   (${worlds.length} worlds, ${graphStates} states: ${same} classes)`,
  );
}
