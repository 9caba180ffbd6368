// Shared by the CLI input tests and the property test: the CLI run in-process with its output
// captured, small valid inputs to break, and the shape every bad-input answer must have.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { runCli } from '../src/cli/commands.js';

export interface CliRun {
  code: number;
  out: string[];
  err: string[];
}

export async function cli(...argv: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { code, out, err };
}

export function tmpDir(prefix = 'kvmfp-input-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Writes `data` (as JSON unless it is already text or bytes) and returns the path. */
export function put(dir: string, name: string, data: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, typeof data === 'string' || data instanceof Uint8Array ? data : JSON.stringify(data));
  return path;
}

/** A scenario that runs in milliseconds and meets its expectations. */
export const SCENARIO = {
  title: 'input base',
  claim: 'a valid scenario the input tests break one field at a time',
  revision: 'v6.4',
  machine: { cpus: 2, features: { sve: true, sme: true, vhe: true }, sveVls: [16, 32], smeVls: [16, 32] },
  tasks: [
    { name: 'vmm', vmm: true, cpu: 0 },
    { name: 't1', cpu: 1 },
    { name: 'kid', unborn: true },
  ],
  vcpus: [{ name: 'g0', vmm: 'vmm', sve: false }],
  events: [
    { do: 'user', task: 'vmm', op: 'fpsimd' },
    { do: 'kvm_run', task: 'vmm' },
    { do: 'guest', vcpu: 'g0', op: 'fpsimd' },
  ],
  expect: { violations: [], functions: ['kvm_arch_vcpu_load_fp'] },
};

/** A configuration whose exploration to depth 2 takes well under a second. */
export const CONFIG = {
  title: 'input base',
  revision: 'v6.4',
  machine: { cpus: 1, features: { sve: true, sme: true, vhe: true }, sveVls: [16, 32], smeVls: [16, 32] },
  tasks: [{ name: 'vmm', vmm: true, cpu: 0 }],
  vcpus: [{ name: 'g0', vmm: 'vmm', sve: false }],
  alphabet: { user: ['fpsimd'], guest: ['fpsimd'], kvmRun: true, guestExit: true },
  depth: 2,
};

/** A deep copy with `change` applied, for one broken field per test. */
export function edit<T>(base: T, change: (copy: T) => void): T {
  const copy = structuredClone(base);
  change(copy);
  return copy;
}

/** `SOURCE: FIELD: expected WHAT, found WHAT`, on one line. */
export const INPUT_ERROR = /^(.+?): (\S[^:]*): expected (.+), found (.+)$/;

/** Exit 2 and exactly one line on stderr, naming `source` and a field that contains `field`. */
export function expectInputError(r: CliRun, source: string, field: string | RegExp): void {
  expect(r.err, `stderr of a bad input (exit ${r.code})`).toHaveLength(1);
  const line = r.err[0];
  expect(line).not.toContain('\n');
  const m = INPUT_ERROR.exec(line);
  expect(m, line).not.toBeNull();
  expect(m![1], line).toBe(source);
  if (typeof field === 'string') expect(m![2], line).toBe(field);
  else expect(m![2], line).toMatch(field);
  expect(r.code, line).toBe(2);
}
