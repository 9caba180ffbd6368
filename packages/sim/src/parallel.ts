// Running the shards of an exploration in worker threads. Each worker explores the sequences whose
// first event falls in its shard, with its own visited set; the main thread merges the sets
// (report.ts), so the merged report is the unsharded one whatever the number of workers.

import { Worker } from 'node:worker_threads';
import type { ExploreOptions, ExploreResult } from './explore.js';
import type { ShardResult } from './report.js';

export interface ShardJob {
  configFile: string;
  rev: string;
  mutant: string | null;
  options: Omit<ExploreOptions, 'onLevel' | 'shouldStop'>;
}

function workerFor(job: ShardJob): Worker {
  const here = import.meta.url;
  if (here.endsWith('.js')) return new Worker(new URL('./explore-worker.js', here), { workerData: job });
  // Running from TypeScript source (tsx, vitest): register tsx inside the worker first.
  const tsx = import.meta.resolve('tsx/esm/api');
  const target = new URL('./explore-worker.ts', here).href;
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); })`;
  return new Worker(boot, { eval: true, workerData: job, execArgv: ['--conditions=@kvmfp/source'] });
}

function runOne(job: ShardJob): Promise<ShardResult> {
  return new Promise((resolve, reject) => {
    const w = workerFor(job);
    w.once('message', (result: ExploreResult) => {
      resolve({ result, visited: result.visited! });
      void w.terminate();
    });
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0 && code !== 1) reject(new Error(`explore worker exited with ${code}`));
    });
  });
}

/** Explores shards i/n (i < n) of the job, one worker each, and returns their results in shard order. */
export function exploreInWorkers(job: ShardJob, shards: number): Promise<ShardResult[]> {
  return Promise.all(
    Array.from({ length: shards }, (_, i) =>
      runOne({ ...job, options: { ...job.options, shard: [i, shards] } }),
    ),
  );
}
