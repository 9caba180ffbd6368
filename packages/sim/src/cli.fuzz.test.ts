// Bad input never crashes: thousands of malformed scenario files and argument lists, each must end
// with exit status 2 and a one-line message (or run, if the mutation happens to stay valid), never
// an internal error or a stack trace. The counts tried are printed for the README.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runCli } from './cli/commands.js';

const valid = {
  title: 'fuzz base',
  claim: 'a valid scenario that the fuzzer mutates',
  revision: 'v6.4',
  machine: { cpus: 1, features: { sve: true, sme: true, vhe: true } },
  tasks: [{ name: 'vmm', vmm: true, cpu: 0 }],
  vcpus: [{ name: 'g0', vmm: 'vmm', sve: false }],
  events: [
    { do: 'user', task: 'vmm', op: 'fpsimd' },
    { do: 'kvm_run', task: 'vmm' },
  ],
  expect: { violations: [] },
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A mutation at a random path: delete a field, replace it with another value, or add a stray field. */
function mutate(base: Json, path: number[], replacement: Json, kind: number): Json {
  const copy = JSON.parse(JSON.stringify(base)) as Json;
  let node: Json = copy;
  for (let depth = 0; depth < path.length; depth++) {
    if (node === null || typeof node !== 'object') break;
    const keys = Object.keys(node);
    if (!keys.length) break;
    const key = keys[path[depth] % keys.length];
    const child = (node as Record<string, Json>)[key]!;
    const last = depth === path.length - 1 || child === null || typeof child !== 'object';
    if (last) {
      if (kind === 0 && !Array.isArray(node)) delete (node as Record<string, Json>)[key];
      else if (kind === 1) (node as Record<string, Json>)[key] = replacement;
      else if (!Array.isArray(node)) (node as Record<string, Json>)[`x${path[0]}`] = replacement;
      return copy;
    }
    node = child;
  }
  return copy;
}

const io = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (s: string) => out.push(s), err: (s: string) => err.push(s) } };
};

const dir = mkdtempSync(join(tmpdir(), 'kvmfp-fuzz-'));
let files = 0;
let argvs = 0;

describe('bad input never crashes', () => {
  it('malformed scenario files give exit 2 and one line', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat(40), { minLength: 1, maxLength: 5 }),
        fc.jsonValue() as fc.Arbitrary<Json>,
        fc.nat(2),
        fc.boolean(),
        async (path, replacement, kind, asYaml) => {
          const text = JSON.stringify(mutate(valid as Json, path, replacement, kind));
          const file = join(dir, `s${files++}.${asYaml ? 'yaml' : 'json'}`);
          writeFileSync(file, asYaml ? text.replace(/^\{/, '{ ') : text);
          const c = io();
          const code = await runCli(['run', file, '--json'], c.io);
          expect([0, 1, 2]).toContain(code);
          if (code === 2) {
            expect(c.err.length).toBe(1);
            expect(c.err[0]).not.toMatch(/\n|\s+at /);
            expect(c.err[0]).toContain(file);
          }
        },
      ),
      { numRuns: 1500, seed: 4242 },
    );
  }, 300_000);

  it('random bytes as a scenario file give exit 2', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 200 }), async (text) => {
        const file = join(dir, `r${files++}.yaml`);
        writeFileSync(file, text);
        const c = io();
        const code = await runCli(['run', file], c.io);
        expect(code).toBe(2);
        expect(c.err.length).toBe(1);
      }),
      { numRuns: 500, seed: 7 },
    );
  }, 120_000);

  it('random argument lists never give an internal error', async () => {
    const words = [
      'run',
      'check',
      'explore',
      'equiv',
      'merge',
      '--json',
      '--rev',
      'v9.9',
      '--mutant',
      'nope',
      '--depth',
      '-1',
      '0',
      'x',
      '--shard',
      '3/2',
      '--workers',
      '--tap',
      '/nonexistent.yaml',
      '--max-mem',
      'abc',
      '',
    ];
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom(...words), { maxLength: 6 }), async (argv) => {
        argvs++;
        const c = io();
        const code = await runCli(argv, c.io);
        expect(code).not.toBe(3);
        for (const line of c.err) expect(line).not.toMatch(/\s+at .*\(.*:\d+:\d+\)/);
      }),
      { numRuns: 1000, seed: 99 },
    );
  }, 300_000);

  it('reports how many inputs were tried', () => {
    console.log(`fuzz: ${files} scenario files and ${argvs} argument lists tried`);
    expect(files + argvs).toBeGreaterThanOrEqual(3000);
  });
});
