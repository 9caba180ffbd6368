// Running searches in worker threads. The search loops are synchronous, so the main thread hands
// them to workers and stays free to take signals, show progress and write counterexamples as they
// are found; it asks the workers to stop through a shared flag they read between transitions
// (ExploreOptions.shouldStop), and each then returns what it has covered.
//
// An exploration runs as one worker, or as shards (each explores the sequences whose first event
// falls in its shard, with its own visited set; the main thread merges the sets in report.ts, so
// the merged report is the unsharded one whatever the number of workers). An equivalence runs as
// one worker.

import { Worker } from 'node:worker_threads';
import type { EquivResult } from './equiv.js';
import type { Counterexample, ExploreOptions, ExploreResult, LevelStats, ProgressStats } from './explore.js';
import type { ShardResult } from './report.js';

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
  onLevel?: (worker: number, lv: LevelStats) => void;
  onViolation?: (c: Counterexample) => void;
}

/** A running search: its result, and the request to stop between transitions. */
export interface Running<R> {
  done: Promise<R>;
  stop: () => void;
}

type WorkerData =
  | { kind: 'explore'; job: ShardJob; stop: SharedArrayBuffer; progressMs: number }
  | { kind: 'equiv'; job: EquivJob; stop: SharedArrayBuffer; progressMs: number };

/** Messages a worker posts (explore-worker.ts). */
export type WorkerMessage =
  | { type: 'progress'; p: ProgressStats }
  | { type: 'level'; lv: LevelStats }
  | { type: 'violation'; c: Counterexample }
  | { type: 'done'; result: ExploreResult | EquivResult };

/** How often a worker reports progress; the first report comes at once. */
const PROGRESS_MS = 250;

function startWorker(data: WorkerData): Worker {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new Worker(new URL('./explore-worker.js', here), { workerData: data });
  // Running from TypeScript source (tsx, vitest): register tsx inside the worker first.
  const tsx = import.meta.resolve('tsx/esm/api');
  const target = new URL('./explore-worker.ts', here).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`;
  return new Worker(boot, { eval: true, workerData: data, execArgv: ['--conditions=@kvmfp/source'] });
}

function runWorker<R>(data: WorkerData, index: number, hooks: SearchHooks): Promise<R> {
  return new Promise((resolve, reject) => {
    const w = startWorker(data);
    w.on('message', (m: WorkerMessage) => {
      if (m.type === 'progress') hooks.onProgress?.(index, m.p);
      else if (m.type === 'level') hooks.onLevel?.(index, m.lv);
      else if (m.type === 'violation') hooks.onViolation?.(m.c);
      else {
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

/** Explores `job` in `shards` workers (1: the whole run in one worker), results in shard order. */
export function startExplore(job: ShardJob, shards: number, hooks: SearchHooks = {}): Running<ShardResult[]> {
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
