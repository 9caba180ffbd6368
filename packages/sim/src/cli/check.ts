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
import { KnownFindings, loadKnownFindings, splitKnown } from '../known.js';
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

/** What `kvmfp check` explores a configuration to, and which known findings it must meet again. */
export interface CheckBudget {
  /** Distinct states (or exhaustion, if sooner). */
  states: number;
  /** The findings (file names in findings/, without .yaml) this configuration must show again. */
  expect: string[];
  /**
   * Findings the campaign met on this configuration that need more than check can afford here:
   * shown as "not re-found within budget" with the states they need (or a lower bound) and the
   * configuration that re-finds them within its budget (`on`), or none.
   */
  beyond?: { finding: string; states: string; on?: string }[];
  /** Why this budget: where each expected finding was measured (states, depth with symmetry). */
  why: string;
}

/** The budget of a configuration the table does not name. */
export const CHECK_STATES = 5_000;

/**
 * Per configuration: the states `kvmfp check` explores (a state budget rather than a time budget,
 * so the screen is the same on every machine) and the known findings it must meet again. Each
 * budget is the states at which the last expected finding was first met, measured with
 * `scripts/check-budgets.ts` (task and CPU symmetry on, as in check), rounded up with room, and
 * never below CHECK_STATES. The expected findings are those the campaign (README, Campaign) met
 * on that configuration. A match that names several findings (one symptom, "A or B") counts for
 * each of them. The campaign (npm run campaign) is where the configurations run long.
 */
export const CHECK_BUDGETS: Record<string, CheckBudget> = {
  'fork-exec': {
    states: 18_000,
    expect: [
      'signal-entry-preempted-fp-type-sve-warn',
      'signal-entry-preempted-handler-keeps-sm',
      'signal-streaming-stale-fpsimd-context',
    ],
    why: 'the setup_return race with a softirq: its SM face at 12,858 states (depth 3), the fp-type WARN at 13,088, the stale fpsimd_context at 15,513',
  },
  'guest-nosve-nvhe': {
    states: 105_000,
    expect: ['signal-entry-smstop-clobbers-other-task-za'],
    why: "the VMM's SIGILL preempted in setup_return at 95,778 states (depth 5): the cheapest configuration for that finding (its VHE twin needs 176,503)",
  },
  'guest-nosve': {
    states: CHECK_STATES,
    expect: ['vhe-sme-softirq-neon-after-exit-svcr-trap'],
    beyond: [
      {
        finding: 'signal-entry-smstop-clobbers-other-task-za',
        states: '176,503 states, depth 5',
        on: 'guest-nosve-nvhe',
      },
    ],
    why: 'SVCR trap at 168 states (depth 3); the nVHE twin re-finds the clobbered ZA at 95,778 states, so it is not paid for twice',
  },
  'host-only': {
    states: CHECK_STATES,
    expect: ['ptrace-inactive-mode-register-data'],
    beyond: [
      {
        finding: 'prctl-sve-vl-change-resurrects-stale-sve-via-sme-vl',
        states: '87,756 states, depth 2 (with sleep sets)',
        on: 'vl-change',
      },
    ],
    why: 'ptrace inactive-mode data at 4,482 states (depth 2); the prctl finding (its PR_SME_SET_VL face) is re-found by vl-change at a seventh of the cost',
  },
  'kvm-guest-vl-nvhe': {
    states: 8_500,
    expect: [
      'kvm-run-softirq-before-vcpu-load-stale-v-nvhe',
      'kvm-run-softirq-before-vcpu-load-older-v-nvhe',
    ],
    why: "fpsimd_kvm_prepare's stale sve_state: V = zero at 742 states (depth 3), the older V the explorer first reported at 7,660 (depth 5); one CPU, so sleep sets change nothing here",
  },
  'kvm-guest-vl': {
    states: CHECK_STATES,
    expect: ['kvm-run-softirq-before-vcpu-load-stale-v'],
    why: 'the VHE face of the fpsimd_kvm_prepare finding at 682 states (depth 3); its older-V face is paid for on the nVHE twin',
  },
  'kernel-neon': {
    states: CHECK_STATES,
    expect: [],
    why: 'no known finding: the campaign met none here (506,236 states); the minimum budget',
  },
  'one-vl': {
    states: CHECK_STATES,
    expect: ['vhe-sme-softirq-neon-after-exit-svcr-trap'],
    why: 'SVCR trap at 1,246 states (depth 3); the minimum budget',
  },
  ptrace: {
    states: 5_500,
    expect: ['ptrace-inactive-mode-register-data'],
    why: 'ptrace inactive-mode data at 4,925 states (depth 2)',
  },
  'races-host': {
    states: 11_000,
    expect: ['ptrace-inactive-mode-register-data'],
    why: 'ptrace inactive-mode data at 9,948 states (depth 2)',
  },
  'races-kvm-nvhe': {
    states: 19_000,
    expect: ['nvhe-softirq-neon-after-exit-guest-zcr-vl-mismatch'],
    why: 'the nVHE ZCR finding at 17,127 states (depth 4) with sleep sets; without them it was past 267,043 (still at depth 3)',
  },
  'races-kvm': {
    states: CHECK_STATES,
    expect: ['vhe-sme-softirq-neon-after-exit-svcr-trap'],
    why: 'SVCR trap at 1,776 states (depth 3); the minimum budget',
  },
  'races-sme-without-sve': {
    states: 125_000,
    expect: [
      'signal-after-syscall-preemption-stale-sve',
      'signal-streaming-stale-fpsimd-context',
      'signal-entry-preempted-fp-type-sve-warn',
      'signal-entry-preempted-handler-keeps-za',
      'signal-entry-preempted-handler-keeps-sm',
    ],
    beyond: [
      {
        finding: 'signal-entry-smstop-clobbers-other-task-za',
        states: '231,422 states, depth 5',
        on: 'guest-nosve-nvhe',
      },
    ],
    why: 'stale frames at 14,609 states (depth 3); the setup_return race at 103,689 (SM face), 107,471 (fp-type WARN) and 116,418 (ZA face), depth 4; the clobbered ZA of another task only at 231,422 (guest-nosve-nvhe re-finds it)',
  },
  'ref-nvhe': {
    states: CHECK_STATES,
    expect: [],
    beyond: [
      {
        finding: 'nvhe-softirq-neon-after-exit-guest-zcr-vl-mismatch',
        states: '24,989 states, depth 4',
        on: 'races-kvm-nvhe',
      },
    ],
    why: 'its finding (24,989 states, depth 4, with sleep sets) is re-found on races-kvm-nvhe at 17,127; paying it twice would add 5 s',
  },
  ref: {
    states: CHECK_STATES,
    expect: ['vhe-sme-softirq-neon-after-exit-svcr-trap'],
    why: 'SVCR trap at 2,887 states (depth 3); the minimum budget',
  },
  'sched-sme': {
    states: CHECK_STATES,
    expect: [],
    beyond: [
      {
        finding: 'sme-trap-migrated-stale-binding-warn',
        states: 'more than 1,774,179 states (5 levels complete, the sixth cut at a 3.5 GiB heap bound)',
        on: 'sched-sme-traps',
      },
    ],
    why: 'its finding takes six choices; every ZA check before SMSTART ZA delivers a SIGILL whose signal paths interleave on both CPUs, so the sixth level passes 1.7 million states (README, Results on v6.4): far beyond check',
  },
  'sched-sme-traps': {
    states: 21_000,
    expect: ['sme-trap-migrated-stale-binding-warn'],
    why: 'the do_sme_acc WARN at 18,784 states (depth 6): sched-sme.yaml without its ZA checks, so no SIGILL paths',
  },
  'sched-sve': {
    states: 58_000,
    expect: ['sve-trap-migrated-stale-binding-warn', 'sve-trap-migrated-stale-binding-null-deref'],
    why: 'with task and CPU symmetry: the NULL dereference at 19,620 states (depth 7), the do_sve_acc WARN at 52,155 (depth 6)',
  },
  signals: {
    states: CHECK_STATES,
    expect: [],
    why: 'no known finding: the campaign met none here (594,299 states); the minimum budget',
  },
  sme2: {
    states: 10_000,
    expect: ['vhe-sme-softirq-neon-after-exit-svcr-trap'],
    why: 'SVCR trap at 8,933 states (depth 3)',
  },
  'vl-change': {
    states: 52_000,
    expect: ['ptrace-inactive-mode-register-data', 'prctl-sve-vl-change-resurrects-stale-sve-via-sme-vl'],
    why: 'ptrace inactive-mode data at 3,943 states (depth 2); the stale SVE after a VL change at 12,882 (depth 2, with sleep sets) through PR_SME_SET_VL: its PR_SVE_SET_VL face is met at 12,464, but both have one signature and the PR_SME_SET_VL counterexample, as short and sorting first, is the one kept',
  },
};
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
  /** The expected findings met again, and those not met (CheckBudget.expect). */
  refound: string[];
  missing: string[];
  /** Findings known on this configuration beyond the budget (CheckBudget.beyond) and not met. */
  beyond: { finding: string; states: string; on?: string }[];
  /** Known findings met that the configuration was not expected to show. */
  otherKnown: string[];
  fresh: string[];
  seconds?: number;
}

/**
 * One configuration's lines: how far the exploration got, the expected findings met again out of
 * those expected, the new violations; then a FAIL line per expected finding not met, and a line
 * for the known findings beyond the budget.
 */
export function exploreLines(l: ExploreLine, width: number): string[] {
  const reach = l.exhausted ? `exhausted, ${l.states} states` : `depth ${l.depth}, ${l.states} states`;
  const expected = l.refound.length + l.missing.length;
  const fresh = l.fresh.length ? `${l.fresh.length} NEW (${l.fresh.join(', ')})` : '0 new';
  const other = l.otherKnown.length ? ` (also known: ${l.otherKnown.join(', ')})` : '';
  const time = l.seconds === undefined ? '' : ` [${l.seconds.toFixed(1)} s]`;
  const lines = [
    `    ${l.name.padEnd(width)} ${reach.padEnd(24)} re-found ${l.refound.length}/${expected}; ${fresh}${other}${time}`,
  ];
  for (const f of l.missing) lines.push(`      FAIL: expected finding not re-found: ${f}`);
  for (const b of l.beyond)
    lines.push(
      `      not re-found within budget: ${b.finding} (needs ${b.states}; ${b.on ? `re-found on ${b.on}` : 'no configuration re-finds it within check'})`,
    );
  return lines;
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

/** The finding names (without .yaml) a known match names: one, or several with one symptom ("A or B"). */
function findingNames(match: string): string[] {
  return match.split(' or ').map((f) => f.replace(/\.ya?ml$/, ''));
}

/**
 * The explorations (with the known findings of `dir`/findings) and equivalences; lines and whether
 * all is well: no new violation, every expected finding met again, no difference. `budgets`
 * defaults to CHECK_BUDGETS; a configuration it does not name gets CHECK_STATES and expects
 * nothing. `times` adds each configuration's seconds to its line.
 */
export function exploreSummary(
  dir: string,
  budgets: Record<string, CheckBudget> = CHECK_BUDGETS,
  times = false,
): { lines: string[]; ok: boolean } {
  const names = configNames(dir);
  if (!names.length) return { lines: ['  exploration: no configurations'], ok: true };
  const findings = join(dir, 'findings');
  const known = existsSync(findings) ? loadKnownFindings(findings) : new KnownFindings();
  const knownKeys = [...known.keys()];
  const width = Math.max(...names.map((n) => n.length));
  const lines = [
    `  exploration (v6.4, each configuration to its state budget (CHECK_BUDGETS in check.ts) or exhaustion;`,
    `  re-found: the findings of findings/ it is expected to show, met again; new: not explained or by symptom only):`,
  ];
  let ok = true;
  for (const name of names) {
    const budget = budgets[name] ?? { states: CHECK_STATES, expect: [], why: '' };
    const cfg = loadExploreConfig(join(dir, 'configs', `${name}.yaml`));
    const ex = new Explorer(cfg.world, resolveTable('v6.4', null), fullAlphabet(cfg.alphabet), 'v6.4', null);
    const t0 = performance.now();
    const r = ex.explore({ maxStates: budget.states, knownKeys });
    const seconds = (performance.now() - t0) / 1000;
    const split = splitKnown(r.violations, known);
    // A match by symptom only re-finds nothing: it is to be triaged, like a new violation.
    const explained = split.known.filter((k) => !k.symptomOnly);
    const met = new Set(explained.flatMap((k) => findingNames(k.finding)));
    const accounted = new Set([...budget.expect, ...(budget.beyond ?? []).map((b) => b.finding)]);
    const l: ExploreLine = {
      name,
      exhausted: r.exhausted,
      states: r.distinct,
      depth: r.diameter,
      refound: budget.expect.filter((f) => met.has(f)),
      missing: budget.expect.filter((f) => !met.has(f)),
      beyond: (budget.beyond ?? []).filter((b) => !met.has(b.finding)),
      otherKnown: [
        ...new Set(
          explained
            .map((k) => findingNames(k.finding))
            .filter((fs) => !fs.some((f) => accounted.has(f)))
            .map((fs) => fs.join(' or ')),
        ),
      ],
      fresh: [
        ...split.fresh.map((v) => v.invariant),
        ...split.known.filter((k) => k.symptomOnly).map((k) => `${k.invariant} (by symptom only)`),
      ],
      seconds: times ? seconds : undefined,
    };
    ok &&= l.fresh.length === 0 && l.missing.length === 0;
    lines.push(...exploreLines(l, width));
  }
  lines.push(`  v6.3 = v6.4 (${CHECK_PAIRS} state pairs per reference configuration):`);
  for (const name of EQUIV_CONFIGS.filter((n) => names.includes(n))) {
    const cfg = loadExploreConfig(join(dir, 'configs', `${name}.yaml`));
    const t0 = performance.now();
    const eq = equivalence(
      cfg.world,
      { name: 'v6.3', table: resolveTable('v6.3', null) },
      { name: 'v6.4', table: resolveTable('v6.4', null) },
      fullAlphabet(cfg.alphabet),
      undefined,
      false,
      { maxPairs: CHECK_PAIRS },
    );
    const time = times ? ` [${((performance.now() - t0) / 1000).toFixed(1)} s]` : '';
    ok &&= eq.equivalent;
    const verdict = eq.equivalent
      ? `no observable difference (${eq.distinct} pairs, ${eq.exhausted ? 'exhausted' : `depth ${eq.depthReached}`})`
      : `DIFFERENCE after ${eq.difference!.events.length} events`;
    lines.push(`    ${name.padEnd(width)} ${verdict}${time}`);
  }
  return { lines, ok };
}

export function checkCorpus(
  dir: string,
  io: Io,
  tap: boolean,
  quick = false,
  times = false,
  budgets: Record<string, CheckBudget> = CHECK_BUDGETS,
): number {
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
      const t0 = performance.now();
      const ex = exploreSummary(dir, budgets, times);
      for (const l of ex.lines) io.out(l);
      explored = ex.ok;
      if (times)
        io.out(`  (explorations and equivalences: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }
  return failed.length || unkilled.length || !explored ? 1 : 0;
}
