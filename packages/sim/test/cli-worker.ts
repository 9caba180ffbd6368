// A worker thread that runs CLI command lines on request, so the property test can put each case
// under a real timeout: a case that loops or blocks is ended by terminating the worker.

import { parentPort } from 'node:worker_threads';
import { runCli } from '../src/cli/commands.js';

export interface CliRequest {
  id: number;
  argv: string[];
}

const MAX_LINES = 40;

parentPort!.on('message', (req: CliRequest) => {
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (s: string) => void (out.length < MAX_LINES && out.push(s)),
    err: (s: string) => void err.push(s),
  };
  runCli(req.argv, io).then(
    (code) => parentPort!.postMessage({ id: req.id, code, out, err }),
    (e: unknown) =>
      parentPort!.postMessage({ id: req.id, code: -1, out, err: [...err, `threw: ${String(e)}`] }),
  );
});
parentPort!.postMessage('ready');
