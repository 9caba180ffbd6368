// Helpers for tests: where the kernel trees are, and running a CLI the way a user does.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CliRun } from './cli.js';

export const WORKSPACE_ROOT = resolve(import.meta.dirname, '../../..');

export const V64_GIT_DIR = '/work/.mirror/julianw1010+WASP-linux-6.4.0/repo';
export const V64_COMMIT = '6e5f9d87eda5123991c10244d3ba3731b5218a94';
export const LINUX_61_TREE = join(
  process.env['KVMFP_CACHE'] ?? join(homedir(), '.cache/kvmfp'),
  'linux-source-6.1/tree',
);

export const haveV64 = existsSync(V64_GIT_DIR);
export const have61 = existsSync(join(LINUX_61_TREE, 'arch/arm64'));

/** A suffix for a test title that says why the test is skipped, when it is. */
export const skipNote = (present: boolean, why: string): string => (present ? '' : ` (skipped: ${why})`);
export const V64_MISSING = `no v6.4 mirror at ${V64_GIT_DIR}`;
export const LINUX_61_MISSING = `no tree at ${LINUX_61_TREE}; .ci/system-deps.sh fetches it`;

const tsxCli = createRequire(import.meta.url).resolve('tsx/cli');

/** Runs a tools CLI (path relative to tools/src) with tsx and the source condition, as the README says. */
export function runTool(script: string, args: string[], cwd = WORKSPACE_ROOT): CliRun {
  const r = spawnSync(
    process.execPath,
    [tsxCli, '--conditions=@kvmfp/source', join(import.meta.dirname, '..', script), ...args],
    {
      cwd,
      encoding: 'utf8',
    },
  );
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
