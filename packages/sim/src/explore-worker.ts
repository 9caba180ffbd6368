// A worker thread that explores one shard of a run and posts its result with the packed visited
// set (transferred, not copied).

import { parentPort, workerData } from 'node:worker_threads';
import { Explorer } from './explore.js';
import { fullAlphabet, loadExploreConfig } from './explore-config.js';
import type { ShardJob } from './parallel.js';
import { resolveTable } from './revisions.js';

const job = workerData as ShardJob;
const cfg = loadExploreConfig(job.configFile);
const explorer = new Explorer(
  cfg.world,
  resolveTable(job.rev, job.mutant),
  fullAlphabet(cfg.alphabet),
  job.rev,
  job.mutant,
);
const result = explorer.explore({ ...job.options, keepVisited: true });
const v = result.visited!;
parentPort!.postMessage(result, [
  v.hi.buffer as ArrayBuffer,
  v.lo.buffer as ArrayBuffer,
  v.depth.buffer as ArrayBuffer,
]);
