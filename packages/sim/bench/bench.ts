// `npm run bench`: the explorer's figures on the reference configuration to a fixed depth —
// distinct states, transitions, states per second with 1 and 2 workers, bytes per visited state,
// peak memory, and the cost of one world clone, one fingerprint and one event on a cloned world
// measured in the same run (so the explorer's overhead shows as a ratio). Writes an SVG chart of
// distinct and new states per depth to docs/explore-growth.svg.
//
// Usage: npm run bench [-- --depth N --config FILE]

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  applyEvent,
  cloneGraph,
  Explorer,
  exploreInWorkers,
  fullAlphabet,
  loadExploreConfig,
  mergeShards,
  resolveTable,
  Runtime,
  worldFingerprint,
} from '../src/index.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const root = fileURLToPath(new URL('../../../', import.meta.url));
const configFile = arg('--config', `${root}fixtures/configs/ref.yaml`);
const depth = Number(arg('--depth', '5'));
const cfg = loadExploreConfig(configFile);
const table = resolveTable('v6.4', null);

function nsPerOp(iterations: number, body: () => void): number {
  for (let i = 0; i < Math.max(100, iterations / 10); i++) body();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) body();
  return Number(process.hrtime.bigint() - t0) / iterations;
}

// Micro figures on the initial world of the configuration.
const explorer = new Explorer(cfg.world, table, fullAlphabet(cfg.alphabet), 'v6.4', null);
const root0 = explorer.initial();
const cloneNs = nsPerOp(20000, () => void cloneGraph(root0.world));
const fpNs = nsPerOp(20000, () => void worldFingerprint(root0.world));
const firstEvent = explorer.candidates(root0.world)[0];
const eventNs = nsPerOp(5000, () => {
  const rt = new Runtime(cloneGraph(root0.world), table, false);
  applyEvent(rt, firstEvent);
});

// One worker, in process.
let t0 = Date.now();
const r1 = explorer.explore({ depth, keepVisited: true });
const s1 = (Date.now() - t0) / 1000;
const peak1 = process.memoryUsage().rss;
const report1 = mergeShards({ config: configFile, revision: 'v6.4', mutant: null, depth, mode: 'points' }, [
  { result: r1, visited: r1.visited! },
]);

// Two workers.
t0 = Date.now();
const shards = await exploreInWorkers({ configFile, rev: 'v6.4', mutant: null, options: { depth } }, 2);
const s2 = (Date.now() - t0) / 1000;
const report2 = mergeShards(
  { config: configFile, revision: 'v6.4', mutant: null, depth, mode: 'points' },
  shards,
);

// What bounds the 2-worker speed-up: states both shards reach (redundant work), and the fixed cost
// of starting a worker thread and loading the port in it (two workers exploring to depth 0).
const shardSum = shards.reduce((n, sh) => n + sh.result.distinct, 0);
t0 = Date.now();
await exploreInWorkers({ configFile, rev: 'v6.4', mutant: null, options: { depth: 0 } }, 2);
const startupS = (Date.now() - t0) / 1000;

const perTransitionUs = (s1 * 1e6) / r1.transitions;
const lines = [
  `configuration: ${configFile} (depth ${depth}, preemption points)`,
  `distinct states: ${report1.distinct}; transitions: ${r1.transitions}`,
  `1 worker:  ${s1.toFixed(1)} s, ${Math.round(report1.distinct / s1)} distinct states/s`,
  `2 workers: ${s2.toFixed(1)} s, ${Math.round(report2.distinct / s2)} distinct states/s (speed-up ${(s1 / s2).toFixed(2)}x; merged report ${report2.distinct === report1.distinct ? 'identical' : 'DIFFERENT'})`,
  `2-worker overheads: shards reach ${shardSum} states together (${((shardSum / report1.distinct - 1) * 100).toFixed(1)}% redundant); starting 2 workers costs ${startupS.toFixed(1)} s`,
  `visited set: ${(r1.visitedBytes / report1.distinct).toFixed(1)} bytes per state (8-byte slots, grown at 80% full)`,
  `peak RSS (1 worker): ${Math.round(peak1 / 2 ** 20)} MiB`,
  `world clone: ${cloneNs.toFixed(0)} ns; fingerprint: ${fpNs.toFixed(0)} ns; one event on a cloned world: ${eventNs.toFixed(0)} ns`,
  `explorer cost per transition: ${perTransitionUs.toFixed(1)} us = ${((perTransitionUs * 1000) / eventNs).toFixed(1)}x one event on a cloned world`,
];
for (const l of lines) console.log(l);
writeFileSync(`${root}docs/explore-growth.svg`, growthSvg(report1.levels, configFile.split('/').pop()!));
console.log('wrote docs/explore-growth.svg');

function growthSvg(levels: { depth: number; distinct: number; newStates: number }[], title: string): string {
  const w = 520;
  const h = 300;
  const pad = 50;
  const maxY = Math.log10(Math.max(10, ...levels.map((l) => l.distinct)));
  const x = (d: number) => pad + ((d - 1) / Math.max(1, levels.length - 1)) * (w - 2 * pad);
  const y = (v: number) => h - pad - (Math.log10(Math.max(1, v)) / maxY) * (h - 2 * pad);
  const line = (key: 'distinct' | 'newStates') => levels.map((l) => `${x(l.depth)},${y(l[key])}`).join(' ');
  const ticks = levels
    .map((l) => `<text x="${x(l.depth)}" y="${h - pad + 16}" text-anchor="middle">${l.depth}</text>`)
    .join('');
  const yTicks = Array.from(
    { length: Math.ceil(maxY) + 1 },
    (_, i) => `<text x="${pad - 6}" y="${y(10 ** i) + 4}" text-anchor="end">1e${i}</text>`,
  ).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" font-family="sans-serif" font-size="11">
<text x="${w / 2}" y="18" text-anchor="middle" font-size="13">States per depth, ${title} (log scale)</text>
<line x1="${pad}" y1="${h - pad}" x2="${w - pad}" y2="${h - pad}" stroke="#444"/><line x1="${pad}" y1="${pad}" x2="${pad}" y2="${h - pad}" stroke="#444"/>
${ticks}${yTicks}<text x="${w / 2}" y="${h - 12}" text-anchor="middle">depth (events)</text>
<polyline points="${line('distinct')}" fill="none" stroke="#1f6feb" stroke-width="2"/>
<polyline points="${line('newStates')}" fill="none" stroke="#d1242f" stroke-width="2" stroke-dasharray="5,3"/>
<text x="${w - pad}" y="${pad}" text-anchor="end" fill="#1f6feb">distinct states (cumulative)</text>
<text x="${w - pad}" y="${pad + 14}" text-anchor="end" fill="#d1242f">new states at this depth</text>
</svg>
`;
}
