// One CLI: the port-tracking tools run as kvmfp subcommands (in a child process, since packages
// do not import tools), each with its --help and the same kernel-source flags.

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../../../..');
const bin = join(root, 'packages/sim/bin/kvmfp.mjs');

function kvmfp(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('kvmfp runs the port-tracking tools', () => {
  it.each(['drift', 'patch-impact', 'manifest', 'sysreg-check'])('kvmfp %s --help', (tool) => {
    const r = kvmfp([tool, '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`^usage: kvmfp ${tool} `));
    if (tool !== 'manifest') expect(r.stdout).toMatch(/\(--tree PATH \| --git-dir DIR --commit C\)/);
  });

  it('bad input to a tool: one line, exit 2', () => {
    const r = kvmfp(['sysreg-check', '--tree', '/nonexistent']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toEqual([
      'sysreg-check: --tree: /nonexistent: expected a kernel source directory',
    ]);
  });
});
