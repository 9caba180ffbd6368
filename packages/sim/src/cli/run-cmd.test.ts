// `kvmfp run`: a scenario without expectations only shows its trace (exit 0); an event that is not
// enabled is an input error (one line, exit 2) unless the scenario lists it in expect.disabled;
// the trace names every ported function that ran, not only those that touched a register.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from './commands.js';

const dir = mkdtempSync(join(tmpdir(), 'kvmfp-run-'));

function scenario(name: string, extra: object): string {
  const file = join(dir, `${name}.yaml`);
  const base = {
    title: name,
    claim: 'a scenario written by the kvmfp run tests',
    revision: 'v6.4',
    machine: { cpus: 2, features: { sve: true, sme: true, sme2: true, vhe: true } },
    tasks: [
      { name: 'a', cpu: 0 },
      { name: 'dbg', cpu: 1 },
    ],
    events: [
      { do: 'user', task: 'a', op: 'fpsimd' },
      { do: 'ptrace_stop', task: 'a' },
      { do: 'ptrace_set', tracer: 'dbg', task: 'a', regset: 'zt' },
    ],
  };
  writeFileSync(file, stringify({ ...base, ...extra }));
  return file;
}

async function run(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const status = await runCli(['run', ...args], { out: (s) => out.push(s), err: (s) => err.push(s) });
  return { status, out: out.join('\n'), err };
}

describe('kvmfp run', () => {
  it('without expect prints the trace and exits 0', async () => {
    const r = await run([scenario('observe', {})]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/expectations: none \(observe only\)/);
  });

  it('names the ported functions that touch no register (zt_set)', async () => {
    const r = await run([scenario('trace', {})]);
    const step = r.out.split('\n').findIndex((l) => /ptrace_set tracer=dbg task=a regset=zt/.test(l));
    expect(r.out.split('\n')[step + 1]).toMatch(/ran: .*\bzt_set\b/);
  });

  it('an event that is not enabled is an input error, one line, exit 2', async () => {
    const file = scenario('disabled', { events: [{ do: 'sigreturn', task: 'a' }] });
    const r = await run([file]);
    expect(r.status).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(new RegExp(`^${file}: events\\.0: sigreturn task=a: not enabled here`));
  });

  it('unless the scenario expects it (expect.disabled)', async () => {
    const file = scenario('disabled-expected', {
      events: [{ do: 'sigreturn', task: 'a' }],
      expect: { violations: [], disabled: [1] },
    });
    const r = await run([file]);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/not enabled: /);
  });
});
