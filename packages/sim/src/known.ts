// Known findings: scenarios kept in a directory (fixtures/findings/ by default) that each expect a
// violation the port really has. Each is run once, traced, to learn the signatures of its
// violations (signature.ts); the explorer then reports a counterexample with one of those
// signatures as a match to that finding, separately from new ones, and keeps exploring past it.

import { existsSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { scenarioFiles } from './cli/check.js';
import type { Counterexample } from './explore.js';
import { violationKind } from './explore.js';
import { runScenario } from './run.js';
import { InputError, loadScenario, worldConfig } from './scenario.js';
import { programNames, signatureOf } from './signature.js';

/** Signature -> the finding file (relative to the directory) that shows it. */
export type KnownFindings = Map<string, string>;

/** The signatures of the violations of every scenario in `dir`; one-line InputError on bad input. */
export function loadKnownFindings(dir: string): KnownFindings {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new InputError(`--known: ${dir}: expected a directory of finding scenarios`);
  const known: KnownFindings = new Map();
  for (const file of scenarioFiles(dir)) {
    const s = loadScenario(file);
    const names = programNames(worldConfig(s));
    const r = runScenario(s, { tracing: true });
    for (const step of r.steps)
      for (const v of step.violations) {
        const [invariant, ...rest] = v.split(': ');
        const sig = signatureOf(
          invariant,
          rest.join(': '),
          names,
          step.functions[step.functions.length - 1] ?? '-',
        );
        if (!known.has(sig)) known.set(sig, relative(dir, file));
      }
  }
  return known;
}

/** A counterexample that matches a known finding, with the finding it matches. */
export interface KnownMatch extends Counterexample {
  finding: string;
}

/** Splits counterexamples into new ones and matches to known findings (order kept). */
export function splitKnown(
  all: Counterexample[],
  known: KnownFindings,
): { fresh: Counterexample[]; known: KnownMatch[] } {
  const fresh: Counterexample[] = [];
  const matches: KnownMatch[] = [];
  for (const c of all) {
    const finding = known.get(violationKind(c));
    if (finding) matches.push({ ...c, finding });
    else fresh.push(c);
  }
  return { fresh, known: matches };
}
