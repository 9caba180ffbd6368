// Measures the cost of one world clone and one fingerprint (ns per operation) on the reference
// world: 2 CPUs, a VMM and another task, one vcpu, SVE and SME, VHE. Prints one line each.

import { cloneGraph, createWorld, worldFingerprint, DEFAULT_FEATURES, WorldConfig } from '../src/index.js';

const config: WorldConfig = {
  machine: { ncpus: 2, features: DEFAULT_FEATURES, sveVls: [16, 32, 64], smeVls: [16, 32, 64] },
  tasks: [
    { name: 'vmm', vmm: true, cpu: 0 },
    { name: 't1', cpu: 1 },
  ],
  vcpus: [{ name: 'g0', vmm: 'vmm', sve: true }],
};

function time(label: string, iterations: number, body: () => void): number {
  for (let i = 0; i < iterations / 10; i++) body();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) body();
  const ns = Number(process.hrtime.bigint() - t0) / iterations;
  console.log(`${label}: ${ns.toFixed(0)} ns/op`);
  return ns;
}

const world = createWorld(config, 'v6.4', null);
let sink = 0;
time('world clone', 200_000, () => {
  sink += cloneGraph(world).step;
});
time('world fingerprint', 200_000, () => {
  sink += worldFingerprint(world)[0] & 1;
});
console.log(`(objects in the world graph: ${countObjects(world)}; checksum ${sink & 0xff})`);

function countObjects(v: unknown, seen = new Set<object>()): number {
  if (typeof v !== 'object' || v === null || seen.has(v)) return 0;
  seen.add(v);
  let n = 1;
  for (const x of Object.values(v)) n += countObjects(x, seen);
  return n;
}
