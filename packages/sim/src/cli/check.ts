// `kvmfp check`: the main job. The whole fixture corpus, the kill table of the mutants, a short
// exploration of every configuration and the v6.3/v6.4 equivalence within a small bound, with a
// one-screen summary a kernel developer can paste into a mail (or TAP with --tap).

import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { equivalence } from '../equiv.js';
import { Explorer } from '../explore.js';
import { fullAlphabet, loadExploreConfig } from '../explore-config.js';
import { MUTANT_NAMES, resolveTable } from '../revisions.js';
import { runScenario } from '../run.js';
import { loadKnownFindings, splitKnown } from '../known.js';
import { fieldError } from '../input/errors.js';
import { COMMAND_LINE } from '../input/flags.js';
import { loadScenario, Scenario } from '../scenario.js';
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

/**
 * The exploration budget of the main job: every configuration to this many distinct states (or
 * to exhaustion), which keeps the whole of `kvmfp check` near two minutes on two cores; a state
 * budget rather than a time budget, so the screen is the same on every machine. The campaign
 * (npm run campaign) is where the configurations run long.
 */
export const CHECK_STATES = 5_000;
/** State pairs of the v6.3/v6.4 equivalence on each reference configuration. */
export const CHECK_PAIRS = 4_000;
/**
 * The reference configurations the equivalence runs on: the series between v6.3 and v6.4 changes
 * only KVM code (the FP trap filter of kvm_hyp_handle_fpsimd and comments), so a guest with and
 * without SVE, on VHE and on nVHE.
 */
export const EQUIV_CONFIGS = ['ref', 'ref-nvhe', 'guest-nosve', 'guest-nosve-nvhe'];

export interface ExploreLine {
  name: string;
  exhausted: boolean;
  states: number;
  depth: number;
  known: string[];
  fresh: string[];
}

/** One configuration's line: how far the exploration got, the findings known and new. */
export function exploreLine(l: ExploreLine, width: number): string {
  const reach = l.exhausted ? `exhausted, ${l.states} states` : `depth ${l.depth}, ${l.states} states`;
  const known = l.known.length ? `${l.known.length} (${l.known.join(', ')})` : '0';
  const fresh = l.fresh.length ? `${l.fresh.length} NEW (${l.fresh.join(', ')})` : '0 new';
  return `    ${l.name.padEnd(width)} ${reach.padEnd(24)} known ${known}; ${fresh}`;
}

function configNames(dir: string): string[] {
  try {
    return readdirSync(join(dir, 'configs'))
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .map((f) => basename(f, '.yaml'));
  } catch {
    return [];
  }
}

/** The explorations (with the known findings of `dir`/findings) and equivalences; lines and whether all is well. */
export function exploreSummary(dir: string): { lines: string[]; ok: boolean } {
  const names = configNames(dir);
  if (!names.length) return { lines: ['  exploration: no configurations'], ok: true };
  const findings = join(dir, 'findings');
  const known = existsSync(findings) ? loadKnownFindings(findings) : new Map<string, string>();
  const knownKeys = [...known.keys()];
  const width = Math.max(...names.map((n) => n.length));
  const lines = [
    `  exploration (v6.4, ${CHECK_STATES} states or exhaustion each; known: matches a scenario of findings/; new: not explained):`,
  ];
  let ok = true;
  for (const name of names) {
    const cfg = loadExploreConfig(join(dir, 'configs', `${name}.yaml`));
    const ex = new Explorer(cfg.world, resolveTable('v6.4', null), fullAlphabet(cfg.alphabet), 'v6.4', null);
    const r = ex.explore({ maxStates: CHECK_STATES, knownKeys });
    const split = splitKnown(r.violations, known);
    const l = {
      name,
      exhausted: r.exhausted,
      states: r.distinct,
      depth: r.diameter,
      known: [...new Set(split.known.map((k) => k.finding.replace(/\.ya?ml\b/g, '')))],
      fresh: split.fresh.map((v) => v.invariant),
    };
    ok &&= l.fresh.length === 0;
    lines.push(exploreLine(l, width));
  }
  lines.push(`  v6.3 = v6.4 (${CHECK_PAIRS} state pairs per reference configuration):`);
  for (const name of EQUIV_CONFIGS.filter((n) => names.includes(n))) {
    const cfg = loadExploreConfig(join(dir, 'configs', `${name}.yaml`));
    const eq = equivalence(
      cfg.world,
      { name: 'v6.3', table: resolveTable('v6.3', null) },
      { name: 'v6.4', table: resolveTable('v6.4', null) },
      fullAlphabet(cfg.alphabet),
      undefined,
      false,
      { maxPairs: CHECK_PAIRS },
    );
    ok &&= eq.equivalent;
    const verdict = eq.equivalent
      ? `no observable difference (${eq.distinct} pairs, ${eq.exhausted ? 'exhausted' : `depth ${eq.depthReached}`})`
      : `DIFFERENCE after ${eq.difference!.events.length} events`;
    lines.push(`    ${name.padEnd(width)} ${verdict}`);
  }
  return { lines, ok };
}

export function checkCorpus(dir: string, io: Io, tap: boolean, quick = false): number {
  let files: string[];
  try {
    files = scenarioFiles(dir);
  } catch {
    throw fieldError(COMMAND_LINE, '--dir', 'a readable fixture directory', `'${dir}'`);
  }
  const { outcomes, scenarios } = runCorpus(dir, files);
  const failed = outcomes.filter((o) => o.problem);
  const kills = killTable(scenarios);
  const unkilled = [...kills].filter(([, by]) => by.length === 0).map(([m]) => m);
  let explored = true;
  if (tap) {
    io.out(`TAP version 13\n1..${outcomes.length + kills.size}`);
    outcomes.forEach((o, i) =>
      io.out(`${o.problem ? 'not ok' : 'ok'} ${i + 1} - ${o.name}${o.problem ? `\n  # ${o.problem}` : ''}`),
    );
    [...kills].forEach(([m, by], i) =>
      io.out(
        `${by.length ? 'ok' : 'not ok'} ${outcomes.length + i + 1} - mutant ${m} killed by ${by.length} scenario(s)${by.length ? ` (${by[0]}${by.length > 1 ? ` +${by.length - 1}` : ''})` : ''}`,
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
      `  mutants: ${kills.size - unkilled.length}/${kills.size} killed by the corpus${unkilled.length ? ` (NOT killed: ${unkilled.join(', ')})` : ''} (--tap names the killers)`,
    );
    if (!quick) {
      const ex = exploreSummary(dir);
      for (const l of ex.lines) io.out(l);
      explored = ex.ok;
    }
  }
  return failed.length || unkilled.length || !explored ? 1 : 0;
}
