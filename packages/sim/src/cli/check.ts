// `kvmfp check`: the main job. The whole fixture corpus, the kill table of the mutants, a short
// exploration of every configuration and the v6.3/v6.4 equivalence within a small bound, with a
// one-screen summary a kernel developer can paste into a mail (or TAP with --tap).

import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { equivalence } from '../equiv.js';
import { Explorer } from '../explore.js';
import { fullAlphabet, loadExploreConfig } from '../explore-config.js';
import { MUTANT_NAMES, resolveTable } from '../revisions.js';
import { runScenario } from '../run.js';
import { InputError, loadScenario, Scenario } from '../scenario.js';
import type { Io } from './commands.js';

const SKIP_DIRS = new Set(['schema', 'configs', 'node_modules', 'test-output', 'src', 'stryker']);

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

interface Outcome {
  name: string;
  problem: string | null;
}

function runCorpus(dir: string, files: string[]): { outcomes: Outcome[]; scenarios: Map<string, Scenario> } {
  const scenarios = new Map<string, Scenario>();
  const outcomes = files.map((f) => {
    const name = relative(dir, f);
    try {
      const s = loadScenario(f);
      scenarios.set(name, s);
      // kvmfp run accepts a scenario without expectations (observe-only); a fixture must state them.
      if (!s.expect) return { name, problem: 'no expect: a fixture states what must hold' };
      const r = runScenario(s, {
        tracing: Boolean(s.expect?.functions?.length || s.expect?.notFunctions?.length),
      });
      return { name, problem: r.passed ? null : (r.failures[0] ?? 'failed') };
    } catch (e) {
      return { name, problem: e instanceof Error ? e.message.split('\n')[0] : String(e) };
    }
  });
  return { outcomes, scenarios };
}

/** A mutant is killed by a scenario that meets its expectations with the mutant and not without. */
export function killTable(scenarios: Map<string, Scenario>): Map<string, string[]> {
  const table = new Map<string, string[]>(MUTANT_NAMES.map((m) => [m, []]));
  for (const [name, s] of scenarios) {
    if (!s.mutant || !table.has(s.mutant)) continue;
    const tracing = Boolean(s.expect?.functions?.length || s.expect?.notFunctions?.length);
    const withMutant = runScenario(s, { tracing });
    const without = runScenario(s, { mutant: null, tracing });
    if (withMutant.passed && !without.passed) table.get(s.mutant)!.push(name);
  }
  return table;
}

/** States each configuration is explored to in the main job (and state pairs for equivalence). */
const CHECK_STATES = 20_000;
const CHECK_PAIRS = 4_000;

function exploreSummary(dir: string, io: Io): string[] {
  const lines: string[] = [];
  let configs: string[] = [];
  try {
    configs = readdirSync(join(dir, 'configs'))
      .filter((f) => f.endsWith('.yaml'))
      .sort();
  } catch {
    return ['exploration: no configurations'];
  }
  for (const f of configs) {
    const cfg = loadExploreConfig(join(dir, 'configs', f));
    const alphabet = fullAlphabet(cfg.alphabet);
    const ex = new Explorer(cfg.world, resolveTable('v6.4', null), alphabet, 'v6.4', null);
    const r = ex.explore({ maxStates: CHECK_STATES });
    const eq = equivalence(
      cfg.world,
      { name: 'v6.3', table: resolveTable('v6.3', null) },
      { name: 'v6.4', table: resolveTable('v6.4', null) },
      alphabet,
      undefined,
      false,
      { maxPairs: CHECK_PAIRS },
    );
    const reach = r.exhausted
      ? `exhausted at ${r.distinct} states`
      : `${r.distinct} states to depth ${r.diameter}`;
    const viol = r.violations.length
      ? `${r.violations.length} violation kinds (${[...new Set(r.violations.map((v) => v.invariant))].join(', ')})`
      : 'no violation';
    const same = eq.equivalent
      ? `yes (${eq.distinct} pairs${eq.exhausted ? ', exhausted' : `, depth ${eq.depthReached}`})`
      : 'NO';
    lines.push(`  ${basename(f, '.yaml').padEnd(18)} ${reach}, ${viol}; v6.3 = v6.4: ${same}`);
    void io;
  }
  return lines;
}

export function checkCorpus(dir: string, io: Io, tap: boolean, quick = false): number {
  let files: string[];
  try {
    files = scenarioFiles(dir);
  } catch {
    throw new InputError(`${dir}: not a readable fixture directory`);
  }
  const { outcomes, scenarios } = runCorpus(dir, files);
  const failed = outcomes.filter((o) => o.problem);
  const kills = killTable(scenarios);
  const unkilled = [...kills].filter(([, by]) => by.length === 0).map(([m]) => m);
  if (tap) {
    io.out(`TAP version 13\n1..${outcomes.length + kills.size}`);
    outcomes.forEach((o, i) =>
      io.out(`${o.problem ? 'not ok' : 'ok'} ${i + 1} - ${o.name}${o.problem ? `\n  # ${o.problem}` : ''}`),
    );
    [...kills].forEach(([m, by], i) =>
      io.out(
        `${by.length ? 'ok' : 'not ok'} ${outcomes.length + i + 1} - mutant ${m} killed by ${by.length} scenario(s)`,
      ),
    );
  } else {
    for (const o of failed) io.out(`FAIL ${o.name}: ${o.problem}`);
    io.out(`kvmfp check (Linux v6.4 arm64 FP/SVE/SME port)`);
    io.out(
      `  corpus: ${outcomes.length - failed.length}/${outcomes.length} scenarios meet their expectations`,
    );
    const findings = outcomes.filter((o) => o.name.startsWith('findings/')).length;
    io.out(`  findings kept as scenarios (v6.4 behaviour that breaks an invariant): ${findings}`);
    io.out(
      `  mutants: ${kills.size - unkilled.length}/${kills.size} killed${unkilled.length ? ` (not killed: ${unkilled.join(', ')})` : ''}`,
    );
    for (const [m, by] of kills)
      io.out(
        `    ${m.padEnd(38)} ${by.length ? `killed by ${by[0]}${by.length > 1 ? ` (+${by.length - 1})` : ''}` : 'NOT KILLED'}`,
      );
    if (!quick) {
      io.out(
        `  exploration (v6.4, preemption points; ${CHECK_STATES} states or exhaustion) and equivalence (${CHECK_PAIRS} pairs):`,
      );
      for (const l of exploreSummary(dir, io)) io.out(l);
    }
  }
  return failed.length || unkilled.length ? 1 : 0;
}
