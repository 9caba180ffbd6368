// A worker thread that runs one search (an exploration, a shard of one, or an equivalence) and
// posts its progress, each counterexample as it is found, and its result; the packed visited set
// is transferred, not copied. It stops between transitions when the main thread sets the flag.

import { parentPort, workerData } from 'node:worker_threads';
import { equivalence } from './equiv.js';
import { Explorer, type ProgressStats } from './explore.js';
import { fullAlphabet, loadExploreConfig } from './explore-config.js';
import type { EquivJob, ShardJob, WorkerMessage } from './parallel.js';
import { resolveTable, REVISION_NAMES } from './revisions.js';

type Data =
  | { kind: 'explore'; job: ShardJob; stop: SharedArrayBuffer; progressMs: number }
  | { kind: 'equiv'; job: EquivJob; stop: SharedArrayBuffer; progressMs: number };

const data = workerData as Data;
const stopFlag = new Int32Array(data.stop);
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);
const shouldStop = () => Atomics.load(stopFlag, 0) !== 0;

/** Progress at most every progressMs (the search calls this before every state it expands). */
function throttledProgress(): (p: ProgressStats) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < data.progressMs) return;
    last = now;
    post({ type: 'progress', p });
  };
}

function runExplore(job: ShardJob): void {
  const cfg = loadExploreConfig(job.configFile);
  const explorer = new Explorer(
    cfg.world,
    resolveTable(job.rev, job.mutant),
    fullAlphabet(cfg.alphabet),
    job.rev,
    job.mutant,
    { symmetry: job.options.symmetry },
  );
  const result = explorer.explore({
    ...job.options,
    keepVisited: true,
    shouldStop,
    onProgress: throttledProgress(),
    onLevel: (lv) => post({ type: 'level', lv }),
    onViolation: (c) => post({ type: 'violation', c }),
  });
  const v = result.visited!;
  post({ type: 'done', result }, [
    v.hi.buffer as ArrayBuffer,
    v.lo.buffer as ArrayBuffer,
    v.depth.buffer as ArrayBuffer,
  ]);
}

function runEquiv(job: EquivJob): void {
  const cfg = loadExploreConfig(job.configFile);
  const side = (name: string) => {
    const known = REVISION_NAMES.includes(name);
    return { name, table: resolveTable(known ? name : (cfg.revision ?? 'v6.4'), known ? null : name) };
  };
  const result = equivalence(
    cfg.world,
    side(job.a),
    side(job.b),
    fullAlphabet(cfg.alphabet),
    job.depth,
    job.moves,
    { shouldStop, onProgress: throttledProgress() },
  );
  post({ type: 'done', result });
}

if (data.kind === 'explore') runExplore(data.job);
else runEquiv(data.job);
