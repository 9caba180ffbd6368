// `kvmfp check`: the whole fixture corpus, with a one-screen summary (or TAP).

import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { runScenario } from '../run.js';
import { InputError, loadScenario } from '../scenario.js';
import type { Io } from './commands.js';

const SKIP_DIRS = new Set(['schema', 'configs', 'node_modules', 'test-output', 'src']);

export function scenarioFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        if (!SKIP_DIRS.has(name)) walk(p);
      } else if (/\.(ya?ml|json)$/.test(name) && !/^(package|project|tsconfig)/.test(name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

export function checkCorpus(dir: string, io: Io, tap: boolean): number {
  let files: string[];
  try {
    files = scenarioFiles(dir);
  } catch {
    throw new InputError(`${dir}: not a readable fixture directory`);
  }
  if (tap) io.out(`TAP version 13\n1..${files.length}`);
  let failed = 0;
  files.forEach((f, i) => {
    const name = relative(dir, f);
    let problem: string | null = null;
    try {
      const r = runScenario(loadScenario(f), { tracing: false });
      if (!r.passed) problem = r.failures[0] ?? 'failed';
    } catch (e) {
      problem = e instanceof Error ? e.message.split('\n')[0] : String(e);
    }
    if (problem) failed++;
    if (tap) io.out(`${problem ? 'not ok' : 'ok'} ${i + 1} - ${name}${problem ? `\n  # ${problem}` : ''}`);
    else if (problem) io.out(`FAIL ${name}: ${problem}`);
  });
  if (!tap) io.out(`kvmfp check: ${files.length - failed}/${files.length} scenarios meet their expectations`);
  return failed ? 1 : 0;
}
