// A worker thread that runs one search (an exploration, a part or a shard of one, or an
// equivalence) and posts its progress, each counterexample as it is found, and its result; the
// packed visited set is transferred, not copied. It stops between transitions when the main thread
// sets the flag.

import { type MessagePort, parentPort } from 'node:worker_threads';
import { equivalence } from './equiv.js';
import { Explorer, type Counterexample, type ExploreResult, type ProgressStats } from './explore.js';
import { fullAlphabet, loadExploreConfig } from './explore-config.js';
import type { EquivJob, PartCommand, PeerBatch, ShardJob, WorkerData, WorkerMessage } from './parallel.js';
import { PartSearch, partResult } from './search.js';
import { readBatch, writeBatch } from './search-wire.js';
import { resolveTable, REVISION_NAMES } from './revisions.js';

// The search comes as the first message (parallel.ts startWorker): a worker may be booted before
// its search is known.
let stopFlag = new Int32Array(new SharedArrayBuffer(4));
let progressMs = 0;
const post = (m: WorkerMessage, transfer: ArrayBuffer[] = []) => parentPort!.postMessage(m, transfer);
const shouldStop = () => Atomics.load(stopFlag, 0) !== 0;

/** Progress at most every progressMs (the search calls this before every state it expands). */
function throttledProgress(): (p: ProgressStats) => void {
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (now - last < progressMs) return;
    last = now;
    post({ type: 'progress', p });
  };
}

function explorerFor(job: ShardJob, part = 0): Explorer {
  const cfg = loadExploreConfig(job.configFile);
  return new Explorer(
    cfg.world,
    resolveTable(job.rev, job.mutant),
    fullAlphabet(cfg.alphabet),
    job.rev,
    job.mutant,
    {
      symmetry: job.options.symmetry,
      part,
    },
  );
}

function postResult(result: ExploreResult): void {
  const v = result.visited!;
  post({ type: 'done', result }, [
    v.hi.buffer as ArrayBuffer,
    v.lo.buffer as ArrayBuffer,
    v.depth.buffer as ArrayBuffer,
  ]);
}

function runExplore(job: ShardJob): void {
  const explorer = explorerFor(job);
  const result = explorer.explore({
    ...job.options,
    keepVisited: true,
    shouldStop,
    onProgress: throttledProgress(),
    onLevel: (lv) => post({ type: 'level', lv }),
    onViolation: (c) => post({ type: 'violation', c }),
  });
  postResult(result);
}

/**
 * One part of a search split by fingerprint (search.ts): each round it merges what the other
 * parts sent it, expands its states of the depth, sends each other part the successors it owns
 * (straight, through their channel), and tells the main thread the round's figures; the next
 * round starts when the main thread says so (parallel.ts) and every other part's batch is in.
 */
function runPart(job: ShardJob, part: number, parts: number, peers: (MessagePort | null)[]): void {
  const explorer = explorerFor(job, part);
  const opts = {
    ...job.options,
    shouldStop,
    onProgress: throttledProgress(),
    onViolation: (c: Counterexample) => post({ type: 'violation', c }),
  };
  const s = new PartSearch(explorer, opts, part, parts);
  const mirrors = Array.from({ length: parts }, (_, i) => (i === part ? null : explorer.packer.mirror(i)));
  // Each peer's batches of the rounds not merged yet, oldest first, and the main thread's word.
  const inbox: PeerBatch[][] = Array.from({ length: parts }, () => []);
  let command: PartCommand | null = null;
  const rounded = (): void => {
    const r = s.round();
    const delta = explorer.packer.delta();
    // The states this part stored in its last merge, for the others (PartSearch.learnStored).
    const stored = s.tellStored();
    peers.forEach((port, i) => {
      if (!port) return;
      const m: PeerBatch = { delta, batch: writeBatch(part, r.outboxes[i]), stored: stored.slice() };
      port.postMessage(m, [
        m.batch.bytes.buffer as ArrayBuffer,
        m.batch.words.buffer as ArrayBuffer,
        m.stored.buffer as ArrayBuffer,
      ]);
    });
    const { outboxes: _o, ...round } = r;
    post({ type: 'round', round });
  };
  // A round starts when the main thread says so and every peer's batch of the last round is in.
  const maybeRun = (): void => {
    if (!command) return;
    if (command.type === 'finish') {
      const end = command;
      // Peers' batches may still come in: nothing more is run.
      command = null;
      peers.forEach((p) => p?.removeAllListeners('message'));
      if (end.stoppedBy) s.advance();
      postResult(partResult(s, true, end));
      return;
    }
    if (peers.some((p, i) => p && inbox[i].length === 0)) return;
    const { advance } = command;
    command = null;
    const incoming = inbox.flatMap((q, i) => {
      if (!peers[i]) return [];
      const m = q.shift()!;
      mirrors[i]!.apply(m.delta);
      s.learnStored(m.stored);
      return readBatch(part, mirrors, m.batch);
    });
    s.merge(incoming);
    // The finished depth is told at once (the progress display, a stop asked for after it).
    if (advance) post({ type: 'level', lv: s.advance() });
    rounded();
  };
  peers.forEach((port, i) =>
    port?.on('message', (m: PeerBatch) => {
      inbox[i].push(m);
      maybeRun();
    }),
  );
  parentPort!.on('message', (m: PartCommand) => {
    command = m;
    maybeRun();
  });
  // The first round expands the initial state (in the part that owns it).
  rounded();
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

parentPort!.once('message', (data: WorkerData) => {
  stopFlag = new Int32Array(data.stop);
  progressMs = data.progressMs;
  if (data.kind === 'explore') runExplore(data.job);
  else if (data.kind === 'part') runPart(data.job, data.part, data.parts, data.peers);
  else runEquiv(data.job);
});
