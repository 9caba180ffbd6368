// `npm run bench`: the explorer's figures on a configuration to a fixed bound on choices —
// distinct states, transitions and their ratio (how much the state identity merges), states per
// second with 1 and 2 workers, bytes per visited state, peak memory — and where a transition's
// time goes, once with the generic world walks (canon-reference.ts: "before") and once with the
// per-shape ones (graph.ts, canon.ts: "after"), on the same run:
//   - in the exploration itself, the time spent in the world clone, the in-place load (path
//     replays) and the fingerprint per transition, and in garbage collection;
//   - on a sample of transitions taken by random walks to the same bound, each phase of one
//     transition timed apart: rebuild (clone and path replays), event, invariants, fingerprint;
//   - the explorer's overhead: its time per transition over the time of the event alone;
//   - the bytes allocated per transition (sampled by the heap profiler), which unlike the times
//     hardly moves between runs on a shared machine.
// Writes an SVG chart of distinct and new states per depth to docs/explore-growth.svg.
//
// Usage: npm run bench [-- --depth N --config FILE --walks both|after|before --one-worker --repeat N
//                          --worker-depth N (default: depth + 1)]
//        (default: sched-sve.yaml to depth 5, both walks, each exploration timed 3 times and
//        the run of median wall time reported: a run of one or two seconds varies by a third
//        from one run to the next on a shared machine)

import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Session } from 'node:inspector/promises';
import { PerformanceObserver } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import {
  applyEvent,
  checkInvariants,
  cloneGraph,
  type Event,
  EventError,
  Explorer,
  type ExploreResult,
  exploreInWorkers,
  fullAlphabet,
  loadExploreConfig,
  loadInto,
  mergeShards,
  type Node,
  PathNotMaterialised,
  resolveTable,
  setWalks,
  walkMode,
  worldFingerprint,
} from '../src/index.js';
import { rng } from '../src/prng.js';
import { exploreInTurns } from '../src/search-wire.js';

const args = process.argv.slice(2);
const arg = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : dflt;
};
const root = fileURLToPath(new URL('../../../', import.meta.url));
const configFile = arg('--config', `${root}fixtures/configs/sched-sve.yaml`);
const depth = Number(arg('--depth', '5'));
const which = arg('--walks', 'both');
const repeat = Math.max(1, Number(arg('--repeat', '3')));
const cfg = loadExploreConfig(configFile);
const table = resolveTable('v6.4', null);
const newExplorer = () => new Explorer(cfg.world, table, fullAlphabet(cfg.alphabet), 'v6.4', null);

/**
 * CPU ns per call, after a warm-up long enough for the compiled walks to be optimised (the first
 * few thousand calls run unoptimised code); CPU time, so that other load on the machine counts less.
 */
function nsPerOp(iterations: number, body: () => void): number {
  for (let i = 0; i < Math.max(5000, iterations / 4); i++) body();
  const t0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) body();
  const d = process.cpuUsage(t0);
  return ((d.user + d.system) * 1000) / iterations;
}

/**
 * Garbage collection time on this thread, in ms, as the runtime reports it. The runtime posts its
 * entries from the event loop some time after a synchronous exploration ends (one turn of the loop
 * was not always enough: the figure read 0.0 in some runs), so the bench waits 20 ms (settle) and
 * then takes what the observer holds as well as what its callback saw.
 */
let gcMs = 0;
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
});
gcObserver.observe({ entryTypes: ['gc'] });
function gcSoFar(): number {
  for (const e of gcObserver.takeRecords()) gcMs += e.duration;
  return gcMs;
}
const settle = () => new Promise((r) => setTimeout(r, 20));

/** Transitions (a state and an enabled event) met by random walks within the bound. */
function sampleTransitions(ex: Explorer, walks: number): { n: Node; ev: Event; need: Set<number> }[] {
  const random = rng(17);
  const out: { n: Node; ev: Event; need: Set<number> }[] = [];
  for (let w = 0; w < walks; w++) {
    let n = ex.initial();
    while (n.depth < depth) {
      const cands = ex.candidatesOf(n, false);
      const ev = cands[Math.floor(random() * cands.length)];
      if (!ev) break;
      const need = pathsNeeded(ex, n, ev);
      const r = ex.step(n, ev);
      if (!r.enabled || !r.child) break;
      if (need) out.push({ n, ev, need });
      n = r.child;
    }
  }
  return out;
}

/** The paths an event resumes (found by trying it), or null when it is not enabled there. */
function pathsNeeded(ex: Explorer, n: Node, ev: Event): Set<number> | null {
  const need = new Set<number>();
  for (;;) {
    try {
      applyEvent(ex.rebuild(n, need), ev);
      return need;
    } catch (e) {
      if (e instanceof PathNotMaterialised) need.add(e.pid);
      else if (e instanceof EventError) return null;
      else throw e;
    }
  }
}

interface Phases {
  rebuild: number;
  clone: number;
  load: number;
  event: number;
  invariants: number;
  fingerprint: number;
}

/** Each phase of the sampled transitions, in us per transition (best of a few rounds). */
function timePhases(ex: Explorer, sample: ReturnType<typeof sampleTransitions>): Phases {
  let best: Phases | null = null;
  for (let round = 0; round < 5; round++) {
    const t: Phases = { rebuild: 0, clone: 0, load: 0, event: 0, invariants: 0, fingerprint: 0 };
    setWalks({ reference: walkMode.reference, timed: true });
    for (const { n, ev, need } of sample) {
      const t0 = performance.now();
      const rt = ex.rebuild(n, need);
      const t1 = performance.now();
      applyEvent(rt, ev);
      const t2 = performance.now();
      checkInvariants(rt.world);
      const t3 = performance.now();
      if (!rt.dead) worldFingerprint(rt.world);
      const t4 = performance.now();
      t.rebuild += t1 - t0;
      t.event += t2 - t1;
      t.invariants += t3 - t2;
      t.fingerprint += t4 - t3;
    }
    t.clone = walkMode.times.clone;
    t.load = walkMode.times.load;
    const us = (ms: number) => (ms * 1000) / sample.length;
    const r: Phases = {
      rebuild: us(t.rebuild),
      clone: us(t.clone),
      load: us(t.load),
      event: us(t.event),
      invariants: us(t.invariants),
      fingerprint: us(t.fingerprint),
    };
    if (!best || r.rebuild + r.event + r.fingerprint < best.rebuild + best.event + best.fingerprint) best = r;
  }
  return best!;
}

interface Figures {
  result: ExploreResult;
  seconds: number;
  /** CPU time of the process meanwhile (the runtime's collector threads included). */
  cpuSeconds: number;
  /** us per transition in the exploration: all of it, and the parts spent in each walk and in GC. */
  perTransition: number;
  clone: number;
  load: number;
  fingerprint: number;
  gc: number;
  /** Per transition, counted: in-place loads, worlds packed and unpacked, events replayed. */
  loads: number;
  packs: number;
  unpacks: number;
  replayed: number;
  phases: Phases;
  samples: number;
  cloneNs: number;
  fingerprintNs: number;
  loadNs: number;
}

/** One timed exploration: wall ms, CPU, GC ms and the walks' times, with its result. */
interface Timed {
  result: ExploreResult;
  ms: number;
  cpu: NodeJS.CpuUsage;
  gc: number;
  times: typeof walkMode.times;
  /** Worlds packed and unpacked, events replayed, in the run (counts: the same in every run). */
  packs: number;
  unpacks: number;
  replayed: number;
}

async function timedRun(reference: boolean): Promise<Timed> {
  setWalks({ reference, timed: true });
  await settle();
  const gc0 = gcSoFar();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const ex = newExplorer();
  const result = ex.explore({ depth, keepVisited: true });
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  await settle();
  const { packs, unpacks } = ex.packer;
  return {
    result,
    ms,
    cpu,
    gc: gcSoFar() - gc0,
    times: walkMode.times,
    packs,
    unpacks,
    replayed: ex.replayed,
  };
}

/** The explorations (the median of `repeat`) and the sampled phases, with the walks chosen. */
async function measure(reference: boolean): Promise<Figures> {
  setWalks({ reference, timed: false });
  const ex = newExplorer();
  const root0 = ex.initial();
  const cloneNs = nsPerOp(20000, () => void cloneGraph(root0.world));
  const fingerprintNs = nsPerOp(20000, () => void worldFingerprint(root0.world));
  const sample = sampleTransitions(ex, 400);
  // A load in place that alternates between two states (the root and a sampled later one).
  const other = sample[sample.length - 1].n.world;
  const target = cloneGraph(other);
  let flip = 0;
  const loadNs = nsPerOp(20000, () => loadInto(target, flip++ & 1 ? other : root0.world));
  const phases = timePhases(ex, sample);
  const runs: Timed[] = [];
  for (let i = 0; i < repeat; i++) runs.push(await timedRun(reference));
  runs.sort((a, b) => a.ms - b.ms);
  const { result, ms, cpu, gc, times, packs, unpacks, replayed } = runs[Math.floor(runs.length / 2)];
  const per = (x: number) => (x * 1000) / result.transitions;
  const perCount = (x: number) => x / result.transitions;
  setWalks({ reference: false, timed: false });
  return {
    result,
    seconds: ms / 1000,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    perTransition: per(ms),
    clone: per(times.clone),
    load: per(times.load),
    fingerprint: per(times.fingerprint),
    gc: per(gc),
    loads: perCount(times.loads),
    packs: perCount(packs),
    unpacks: perCount(unpacks),
    replayed: perCount(replayed),
    phases,
    samples: sample.length,
    cloneNs,
    fingerprintNs,
    loadNs,
  };
}

const f = (x: number, d = 1) => x.toFixed(d);
const before = which === 'after' ? null : await measure(true);
const after = which === 'before' ? null : await measure(false);
const main = (after ?? before)!;
const report1 = mergeShards({ config: configFile, revision: 'v6.4', mutant: null, depth, mode: 'points' }, [
  { result: main.result, visited: main.result.visited! },
]);
const peak1 = process.resourceUsage().maxRSS * 1024;

const lines = [
  `configuration: ${configFile} (depth ${depth}, preemption points${newExplorer().symmetry ? ', task and CPU symmetry' : ''})`,
  `distinct states: ${report1.distinct}; transitions: ${main.result.transitions} (${(main.result.transitions / report1.distinct).toFixed(2)} per state: every transition past the first into a state is a merge)`,
];
const column = (label: string, get: (x: Figures) => string) =>
  `${label.padEnd(44)}${[before, after].map((x) => (x ? get(x) : '-').padStart(14)).join('')}`;
lines.push(
  `${'walks'.padEnd(44)}${'before'.padStart(14)}${'after'.padStart(14)}`,
  column('1 worker: distinct states/s', (x) => String(Math.round(x.result.distinct / x.seconds))),
  column(`  time (s), median of ${repeat} run${repeat > 1 ? 's' : ''}`, (x) => f(x.seconds)),
  column('  CPU time (s)', (x) => f(x.cpuSeconds)),
  column('  distinct states per CPU second', (x) => String(Math.round(x.result.distinct / x.cpuSeconds))),
  column('  us per transition', (x) => f(x.perTransition)),
  column('    in the world clone', (x) => f(x.clone)),
  column('    in loadInto (path replays)', (x) => f(x.load)),
  column('    in the fingerprint', (x) => f(x.fingerprint)),
  column('    in garbage collection', (x) => f(x.gc)),
  column('  per transition (counts): in-place loads', (x) => f(x.loads, 3)),
  column('    worlds packed', (x) => f(x.packs, 3)),
  column('    worlds unpacked', (x) => f(x.unpacks, 3)),
  column('    events replayed (path rebuilds)', (x) => f(x.replayed, 3)),
  column('sampled transitions: us per transition', (x) => `(${x.samples})`),
  column('  rebuild (clone, path replays)', (x) => f(x.phases.rebuild)),
  column('    of which the world clone', (x) => f(x.phases.clone)),
  column('    of which loadInto', (x) => f(x.phases.load)),
  column('  event', (x) => f(x.phases.event)),
  column('  invariants', (x) => f(x.phases.invariants)),
  column('  fingerprint', (x) => f(x.phases.fingerprint)),
  column('explorer overhead (per transition / event)', (x) => `${f(x.perTransition / x.phases.event)}x`),
  column('initial world: clone (CPU ns)', (x) => f(x.cloneNs, 0)),
  column('initial world: fingerprint (CPU ns)', (x) => f(x.fingerprintNs, 0)),
  column('loadInto, initial and a later world (CPU ns)', (x) => f(x.loadNs, 0)),
);
if (before && after)
  lines.push(
    // Not the transitions: sleep sets merge arrivals in the order of the parents' fingerprints
    // (search.ts), and the two walks' fingerprints are different numbers.
    `same states before and after: ${before.result.distinct === after.result.distinct ? 'yes' : 'NO'} (${before.result.distinct} and ${after.result.distinct}; transitions ${before.result.transitions} and ${after.result.transitions})`,
  );
// What the task and CPU symmetry saves (symmetry.ts): the same exploration keyed without it.
const symmetric = newExplorer().symmetry !== null;
if (symmetric) {
  const t1 = performance.now();
  const plain = new Explorer(cfg.world, table, fullAlphabet(cfg.alphabet), 'v6.4', null, {
    symmetry: false,
  }).explore({ depth });
  const plainS = (performance.now() - t1) / 1000;
  lines.push(
    `without task/CPU symmetry: ${plain.distinct} states, ${plain.transitions} transitions, ${f(plainS)} s; symmetry saves ${f(plain.distinct / main.result.distinct, 2)}x the states, ${f(plain.transitions / main.result.transitions, 2)}x the transitions, ${f(plainS / main.seconds, 2)}x the time`,
  );
} else lines.push('task/CPU symmetry: none in this configuration');
// What the sleep sets save (sleep.ts): the same exploration taking every enabled event.
{
  const t1 = performance.now();
  const all = newExplorer().explore({ depth, sleepSets: false });
  const allS = (performance.now() - t1) / 1000;
  lines.push(
    `sleep sets: ${main.result.slept ?? 0} transitions slept, ${main.result.reexpanded ?? 0} states expanded again; without them ${all.distinct} states, ${all.transitions} transitions, ${f(allS)} s: sleep sets save ${f(all.distinct / main.result.distinct, 2)}x the states, ${f(all.transitions / main.result.transitions, 2)}x the transitions, ${f(allS / main.seconds, 2)}x the time`,
  );
}
lines.push(
  `allocated per transition (per-shape walks, sampled by the heap profiler): ${f((await allocatedPerTransition()) / 1024)} KB`,
);
for (const l of lines) console.log(l);

if (args.includes('--one-worker')) process.exit(0);

// One and two workers (the walks of the last measurement, per-shape unless --walks before): the
// same exploration in worker threads, start-up included (starting workers and loading the port in
// them is timed apart, exploring to depth 0). Two workers split the states between them by
// fingerprint (search.ts), so the merged report, transitions included, must be the 1-worker one.
process.env.KVMFP_WALKS = after ? '' : 'reference';
// Deeper than the rest by default: at depth 5 a run is over in a second, mostly start-up.
const workerDepth = Number(arg('--worker-depth', String(depth + 1)));
const job = { configFile, rev: 'v6.4', mutant: null, options: { depth: workerDepth } };
// Wall seconds and the CPU seconds of the whole process (every thread: the workers, and the
// runtime's background compiler and collector threads) while `f` ran.
const timed = async <T>(f: () => Promise<T>): Promise<[T, number, number]> => {
  const t = Date.now();
  const c = process.cpuUsage();
  const r = await f();
  const d = process.cpuUsage(c);
  return [r, (Date.now() - t) / 1000, (d.user + d.system) / 1e6];
};
const medianRun = async (workers: number) => {
  const runs: [Awaited<ReturnType<typeof exploreInWorkers>>, number, number][] = [];
  for (let i = 0; i < repeat; i++) runs.push(await timed(() => exploreInWorkers(job, workers)));
  return runs.sort((a, b) => a[1] - b[1])[Math.floor(runs.length / 2)];
};
const [one, w1, cpu1] = await medianRun(1);
const [shards, s2, cpu2] = await medianRun(2);
const meta = { config: configFile, revision: 'v6.4', mutant: null, depth: workerDepth, mode: 'points' };
const report2 = mergeShards(meta, shards);
const reportOne = mergeShards(meta, one);
const handed = shards.reduce((n, sh) => n + (sh.result.handedOver ?? 0), 0);
const bare = shards.reduce((n, sh) => n + (sh.result.handedBare ?? 0), 0);
const [, startup1] = await timed(() => exploreInWorkers({ ...job, options: { depth: 0 } }, 1));
const [, startup2] = await timed(() => exploreInWorkers({ ...job, options: { depth: 0 } }, 2));
// What this machine allows two threads: two independent 1-worker explorations at once.
const [, pair] = await timed(() => Promise.all([exploreInWorkers(job, 1), exploreInWorkers(job, 1)]));
// What the machine gives plain code, alone and two at once: arithmetic, and a loop whose objects
// live on the heap.
const loops: string[] = [];
for (const keeps of [false, true]) {
  const [, alone] = await timed(() => plainLoops(1, keeps));
  const [, both] = await timed(() => plainLoops(2, keeps));
  loops.push(
    `${keeps ? 'with' : 'without'} heap objects ${alone.toFixed(1)} s alone and ${both.toFixed(1)} s two at once, ${((2 * alone) / both).toFixed(2)}x`,
  );
}
const same =
  report2.distinct === reportOne.distinct &&
  report2.transitions === reportOne.transitions &&
  JSON.stringify(report2.violations) === JSON.stringify(reportOne.violations);
const states1 = one[0].result.distinct;

const cores = availableParallelism();
const more = [
  `workers, depth ${workerDepth}: ${states1} distinct states, ${reportOne.transitions} transitions`,
  `1 worker thread: ${w1.toFixed(1)} s, ${Math.round(states1 / w1)} distinct states/s (start-up ${startup1.toFixed(1)} s)`,
  `2 workers: ${s2.toFixed(1)} s, ${Math.round(report2.distinct / s2)} distinct states/s: speed-up ${(w1 / s2).toFixed(2)}x over 1 worker, ${((w1 - startup1) / (s2 - startup2)).toFixed(2)}x without start-up (${startup2.toFixed(1)} s); merged report ${same ? 'identical, transitions included' : 'DIFFERENT'}`,
  `2-worker traffic: ${handed} of ${report2.transitions} successors (${((100 * handed) / Math.max(1, report2.transitions)).toFixed(0)}%) handed to the other worker, ${bare} of them without their world (their owner had them)`,
  `two independent 1-worker explorations at once take ${pair.toFixed(1)} s, ${((2 * w1) / pair).toFixed(2)}x the throughput of one`,
  `plain loops in worker threads (the throughput of two at once over one): ${loops.join('; ')}`,
  `cores in use: 1 worker ${(cpu1 / w1).toFixed(2)} (its search thread and the runtime's compiler and collector threads), 2 workers ${(cpu2 / s2).toFixed(2)}, with ${(cpu2 / cpu1).toFixed(2)}x the CPU of 1 worker; on ${cores} cores 2 workers can reach at most ${Math.min(2, (cores * w1) / cpu1).toFixed(2)}x one worker, and ${Math.min((2 * cpu1) / cpu2, (cores * w1) / cpu2).toFixed(2)}x with the extra CPU the split took here`,
  `visited set: ${(main.result.visitedBytes / report1.distinct).toFixed(1)} bytes per state (8-byte slots, grown by half at 80% full: 10–15 bytes past the first 4,096 slots)`,
  `peak RSS (this process: the 1-worker runs): ${Math.round(peak1 / 2 ** 20)} MiB`,
];
for (const l of more) console.log(l);
for (const l of splitCost()) console.log(l);
writeFileSync(`${root}docs/explore-growth.svg`, growthSvg(report1.levels, configFile.split('/').pop()!));
console.log('wrote docs/explore-growth.svg');

/**
 * Runs `n` copies of a plain CPU-bound loop in worker threads at once (no shared data): what this
 * machine and runtime give two threads of ordinary code, to set beside what they give two
 * explorations. `keeps`: the loop keeps its last 65,536 objects, so they live on the heap and
 * survive young collections, as the explorer's successors do; otherwise the compiler may keep
 * them off the heap and the loop is arithmetic.
 */
function plainLoops(n: number, keeps: boolean): Promise<void[]> {
  const body = `
    const keep = new Array(65536).fill(null);
    let h = 0;
    for (let i = 0; i < ${keeps ? 1e7 : 1e8}; i++) {
      const o = { a: i, b: [i, i + 1], c: { d: i * 3 } };
      ${keeps ? 'keep[i & 65535] = o;' : ''}
      const p = ${keeps ? 'keep[(i * 7) & 65535]' : 'o'};
      h = (h * 31 + (p === null ? 0 : p.a + p.b[1] + p.c.d)) | 0;
    }
    require('node:worker_threads').parentPort.postMessage(h);`;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const w = new Worker(body, { eval: true });
      w.once('message', () => void w.terminate().then(() => resolve()));
      w.once('error', reject);
    });
  return Promise.all(Array.from({ length: n }, one));
}

/**
 * Bytes allocated per transition in one exploration with the per-shape walks: the inspector's
 * sampling heap profiler, told to count what young and full collections freed as well, so that its
 * samples (each standing for the bytes around it) add up to all that was allocated. Unlike the
 * times, this hardly changes from run to run on a busy machine.
 */
async function allocatedPerTransition(): Promise<number> {
  setWalks({ reference: false, timed: false });
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.enable');
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const r = newExplorer().explore({ depth });
  const { profile } = await session.post('HeapProfiler.stopSampling');
  session.disconnect();
  let bytes = 0;
  const add = (n: { selfSize: number; children: (typeof n)[] }) => {
    bytes += n.selfSize;
    n.children.forEach(add);
  };
  add(profile.head);
  return bytes / r.transitions;
}

/**
 * What splitting the search costs apart from this machine's contention: the same search in this
 * thread as one part and as two parts taking turns (exploreInTurns: the successors for the other
 * part cross as wire batches read through mirrors, as between workers), warm, in CPU seconds of
 * the whole process (its collector threads included). With a free core for each worker and its
 * collector, two workers could reach at most 2 / (two parts' CPU / one part's CPU).
 */
function splitCost(): string[] {
  setWalks({ reference: false, timed: false });
  const run = (parts: number) => {
    const explorers: Explorer[] = [];
    const make = (part: number) => {
      const e = new Explorer(cfg.world, table, fullAlphabet(cfg.alphabet), 'v6.4', null, { part });
      explorers.push(e);
      return e;
    };
    const c0 = process.cpuUsage();
    const results = exploreInTurns(make, { depth: workerDepth }, parts);
    const c = process.cpuUsage(c0);
    const transitions = results.reduce((n, r) => n + r.transitions, 0);
    const per = (k: 'packs' | 'unpacks') => explorers.reduce((n, e) => n + e.packer[k], 0) / transitions;
    return { cpu: (c.user + c.system) / 1e6, packs: per('packs'), unpacks: per('unpacks') };
  };
  run(1);
  run(2);
  const ones: ReturnType<typeof run>[] = [];
  const twos: ReturnType<typeof run>[] = [];
  for (let i = 0; i < repeat; i++) {
    ones.push(run(1));
    twos.push(run(2));
  }
  const median = (xs: ReturnType<typeof run>[]) => xs.map((x) => x.cpu).sort((a, b) => a - b)[xs.length >> 1];
  const [one, two] = [median(ones), median(twos)];
  const counts = (x: ReturnType<typeof run>) => `${f(x.packs, 3)} packed, ${f(x.unpacks, 3)} unpacked`;
  return [
    `the split's own cost (one thread, parts taking turns, warm, median CPU of ${repeat}): 1 part ${f(one, 2)} s, 2 parts ${f(two, 2)} s (+${f((100 * (two - one)) / one, 0)}%); with a free core per worker, 2 workers could reach at most ${f((2 * one) / two, 2)}x`,
    `  worlds per transition: 1 part ${counts(ones[0])}; 2 parts ${counts(twos[0])}`,
  ];
}

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
