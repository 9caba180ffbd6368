// Running searches in worker threads. The search loops are synchronous, so the main thread hands
// them to workers and stays free to take signals, show progress and write counterexamples as they
// are found; it asks the workers to stop through a shared flag they read between transitions
// (ExploreOptions.shouldStop), and each then returns what it has covered.
//
// An exploration runs as one worker, or as several that split the states between them by
// fingerprint (search.ts parts: each owns the states whose key falls to it and sends every other
// successor straight to its owner; the main thread only hears each round's figures and says when
// the next round starts), so the report is the one-worker report, transitions included. A shard
// run (`--shard i/n`, for several machines) explores the sequences whose first event falls in its
// shard, with its own visited set; report.ts merges the shards' sets into the unsharded report.
// An equivalence runs as one worker.

import { MessageChannel, type MessagePort, Worker } from 'node:worker_threads';
import type { EquivResult } from './equiv.js';
import type { Counterexample, ExploreOptions, ExploreResult, LevelStats, ProgressStats } from './explore.js';
import type { TableDelta } from './pack.js';
import type { ShardResult } from './report.js';
import type { WireBatch } from './search-wire.js';
import { afterRound, type PartRound } from './search.js';

type PlainOptions = Omit<ExploreOptions, 'onLevel' | 'shouldStop' | 'onProgress' | 'onViolation'>;

export interface ShardJob {
  configFile: string;
  rev: string;
  mutant: string | null;
  options: PlainOptions;
}

export interface EquivJob {
  configFile: string;
  a: string;
  b: string;
  /** The bound on choices, or none: to exhaustion. */
  depth?: number;
  moves: boolean;
}

/** What the main thread hears from a search while it runs. */
export interface SearchHooks {
  onProgress?: (worker: number, p: ProgressStats) => void;
  /** `done`: the level is known to be complete (see startParts); absent: it may be cut short. */
  onLevel?: (worker: number, lv: LevelStats, done?: boolean) => void;
  onViolation?: (c: Counterexample) => void;
}

/** A running search: its result, and the request to stop between transitions. */
export interface Running<R> {
  done: Promise<R>;
  stop: () => void;
}

/** What a worker thread is started with (explore-worker.ts). */
export type WorkerData =
  | { kind: 'explore'; job: ShardJob; stop: SharedArrayBuffer; progressMs: number }
  | {
      kind: 'part';
      job: ShardJob;
      part: number;
      parts: number;
      /** A port to each other part (null at its own index): successors go straight there. */
      peers: (MessagePort | null)[];
      stop: SharedArrayBuffer;
      progressMs: number;
    }
  | { kind: 'equiv'; job: EquivJob; stop: SharedArrayBuffer; progressMs: number };

/**
 * What one part sends another after each round: its tables' gains, its successors for it, and
 * the states it stored that no arrival can wake (hi, lo, depth triples: PartSearch.tellStored).
 */
export interface PeerBatch {
  delta: TableDelta;
  batch: WireBatch;
  stored: Float64Array;
}

/** What the main thread tells a part: merge the round's successors and run the next, or finish. */
export type PartCommand =
  { type: 'round'; advance: boolean } | { type: 'finish'; stoppedBy: string | null; exhausted: boolean };

/** Messages a worker posts (explore-worker.ts). */
export type WorkerMessage =
  | { type: 'progress'; p: ProgressStats }
  | { type: 'level'; lv: LevelStats }
  | { type: 'violation'; c: Counterexample }
  | { type: 'round'; round: PartRound }
  | { type: 'done'; result: ExploreResult | EquivResult };

/** How often a worker reports progress; the first report comes at once. */
const PROGRESS_MS = 250;

/** A worker thread booted (the port loaded) but given no search yet. */
function bootWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new Worker(new URL('./explore-worker.js', here));
  // Running from TypeScript source (tsx, vitest): register tsx inside the worker first.
  const tsx = import.meta.resolve('tsx/esm/api');
  const target = new URL('./explore-worker.ts', here).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`;
  return new Worker(boot, { eval: true, execArgv: ['--conditions=@kvmfp/source'] });
}

/** Workers booted ahead of their search (prestartWorkers), taken in order by startWorker. */
const booted: Worker[] = [];

/**
 * Boots `n` worker threads now, so that loading the port in them overlaps what the caller does
 * before its search starts (`kvmfp explore` learning the known findings). They do not keep the
 * process alive until a search takes them.
 */
export function prestartWorkers(n: number): void {
  for (let i = 0; i < n; i++) {
    const w = bootWorker();
    w.unref();
    booted.push(w);
  }
}

/** A worker (booted ahead if one is waiting) running the search `data` describes. */
function startWorker(data: WorkerData, transferList: MessagePort[] = []): Worker {
  const w = booted.shift() ?? bootWorker();
  w.ref();
  w.postMessage(data, transferList);
  return w;
}

function runWorker<R>(data: WorkerData, index: number, hooks: SearchHooks): Promise<R> {
  return new Promise((resolve, reject) => {
    const w = startWorker(data);
    w.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') hooks.onProgress?.(index, m.p);
      else if (m.type === 'level') hooks.onLevel?.(index, m.lv);
      else if (m.type === 'violation') hooks.onViolation?.(m.c);
      else if (m.type === 'done') {
        resolve(m.result as R);
        void w.terminate();
      }
    });
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0 && code !== 1) reject(new Error(`search worker exited with ${code}`));
    });
  });
}

function stopFlag(): { buffer: SharedArrayBuffer; stop: () => void } {
  const buffer = new SharedArrayBuffer(4);
  return { buffer, stop: () => Atomics.store(new Int32Array(buffer), 0, 1) };
}

/**
 * Explores `job` in `workers` worker threads, results in worker order. One worker runs the whole
 * search; several split the states between them by fingerprint (search.ts) and give the report
 * one worker gives. With a shard option (a shard run of `kvmfp explore --shard`), one worker.
 */
export function startExplore(
  job: ShardJob,
  workers: number,
  hooks: SearchHooks = {},
): Running<ShardResult[]> {
  if (workers > 1 && !job.options.shard) return startParts(job, workers, hooks);
  return startShards(job, workers, hooks);
}

/**
 * The main thread's side of a split search: it waits for every part's round, hands each part the
 * successors the others found for it, and says whether the depth advances (no part found
 * anything more at the depth) or the search is over (nothing found and nothing queued).
 */
function startParts(job: ShardJob, parts: number, hooks: SearchHooks): Running<ShardResult[]> {
  const flag = stopFlag();
  const results: (ShardResult | undefined)[] = Array.from({ length: parts }, () => undefined);
  let left = parts;
  let rounds: (PartRound | undefined)[] = new Array<PartRound | undefined>(parts);
  let waiting = parts;
  let finished = false;
  let settle!: { resolve: (r: ShardResult[]) => void; reject: (e: unknown) => void };
  const done = new Promise<ShardResult[]>((resolve, reject) => (settle = { resolve, reject }));
  // A channel between every two parts: port [i][j] is part i's end towards part j.
  const ports: (MessagePort | null)[][] = Array.from({ length: parts }, () =>
    new Array<MessagePort | null>(parts).fill(null),
  );
  for (let i = 0; i < parts; i++)
    for (let j = i + 1; j < parts; j++) {
      const ch = new MessageChannel();
      ports[i][j] = ch.port1;
      ports[j][i] = ch.port2;
    }
  const workers = Array.from({ length: parts }, (_, i) => {
    const peers = ports[i];
    const data: WorkerData = {
      kind: 'part',
      job,
      part: i,
      parts,
      peers,
      stop: flag.buffer,
      progressMs: PROGRESS_MS,
    };
    return startWorker(
      data,
      peers.filter((p): p is MessagePort => p !== null),
    );
  });
  const send = (i: number, m: PartCommand) => workers[i].postMessage(m);
  // One part failing leaves the others waiting for its round: end them all.
  const fail = (e: unknown) => {
    finished = true;
    for (const w of workers) void w.terminate();
    settle.reject(e);
  };
  const finish = (stoppedBy: string | null, exhausted: boolean) => {
    finished = true;
    workers.forEach((_, i) => send(i, { type: 'finish', stoppedBy, exhausted }));
  };
  const decide = () => {
    const rs = rounds as PartRound[];
    rounds = new Array<PartRound | undefined>(parts);
    waiting = parts;
    const next = afterRound(rs, job.options.maxStates);
    if (next.finish) return finish(next.finish.stoppedBy, next.finish.exhausted);
    workers.forEach((_, j) => send(j, { type: 'round', advance: next.advance }));
  };
  workers.forEach((w, i) => {
    w.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') hooks.onProgress?.(i, m.p);
      // A part tells a level when it advances past it, which every part does only once all
      // have finished it: so the level is complete, even if a stop was asked for meanwhile.
      else if (m.type === 'level') hooks.onLevel?.(i, m.lv, true);
      else if (m.type === 'violation') hooks.onViolation?.(m.c);
      else if (m.type === 'round') {
        rounds[i] = m.round;
        if (--waiting === 0 && !finished) decide();
      } else if (m.type === 'done') {
        const result = m.result as ExploreResult;
        results[i] = { result, visited: result.visited! };
        void w.terminate();
        if (--left === 0) settle.resolve(results as ShardResult[]);
      }
    });
    w.once('error', (e) => fail(e));
    w.once('exit', (code) => {
      if (code !== 0 && code !== 1 && !results[i]) fail(new Error(`search worker exited with ${code}`));
    });
  });
  return { done, stop: flag.stop };
}

/** Explores `job` in `shards` workers, each with its own visited set (first-event shards). */
function startShards(job: ShardJob, shards: number, hooks: SearchHooks): Running<ShardResult[]> {
  const flag = stopFlag();
  const parts = Array.from({ length: shards }, (_, i) =>
    runWorker<ExploreResult>(
      {
        kind: 'explore',
        job: shards > 1 ? { ...job, options: { ...job.options, shard: [i, shards] } } : job,
        stop: flag.buffer,
        progressMs: PROGRESS_MS,
      },
      i,
      hooks,
    ).then((result) => ({ result, visited: result.visited! })),
  );
  return { done: Promise.all(parts), stop: flag.stop };
}

/** Explores two sides in lockstep in a worker (equiv.ts). */
export function startEquiv(job: EquivJob, hooks: SearchHooks = {}): Running<EquivResult> {
  const flag = stopFlag();
  const done = runWorker<EquivResult>(
    { kind: 'equiv', job, stop: flag.buffer, progressMs: PROGRESS_MS },
    0,
    hooks,
  );
  return { done, stop: flag.stop };
}

/** Explores shards i/n (i < n) of the job, one worker each, and returns their results in shard order. */
export function exploreInWorkers(job: ShardJob, shards: number): Promise<ShardResult[]> {
  return startExplore(job, shards).done;
}
