// Known findings: scenarios kept in a directory (fixtures/findings/ by default) that each expect a
// violation the port really has. Each is run once, traced, to learn the signatures of its
// violations (signature.ts); the explorer then reports a counterexample whose signature matches
// one of those, but for the fired function (knownKeyOf), as a match to that finding, separately
// from new ones, and keeps exploring past it.

import { existsSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { scenarioFiles } from './cli/check.js';
import type { Counterexample } from './explore.js';
import { violationKind } from './explore.js';
import { resolveTable } from './revisions.js';
import { InputError, loadScenario, worldConfig } from './scenario.js';
import { firedViolations, knownKeyOf, programNames, signatureOf } from './signature.js';

/** Known key (signature.ts knownKeyOf) -> the finding files (relative to the directory, joined by ' or ') that show it. */
export type KnownFindings = Map<string, string>;

/** The signatures of the violations of every scenario in `dir`; one-line InputError on bad input. */
export function loadKnownFindings(dir: string): KnownFindings {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new InputError(`kvmfp: --known: expected a directory of finding scenarios, found '${dir}'`);
  const known: KnownFindings = new Map();
  for (const file of scenarioFiles(dir)) {
    const s = loadScenario(file);
    const config = worldConfig(s);
    const rev = s.revision ?? 'v6.4';
    const mutant = s.mutant ?? null;
    const ctx = { config, rev, mutant, table: resolveTable(rev, mutant) };
    for (const v of firedViolations(ctx, s.events)) {
      const key = knownKeyOf(signatureOf(v.invariant, v.detail, programNames(config), v));
      // Findings with the same symptom share a key: a match names them all, since the key alone
      // cannot tell which bug a counterexample shows (its scenario can).
      const name = relative(dir, file);
      const prev = known.get(key);
      if (prev === undefined) known.set(key, name);
      else if (!prev.split(' or ').includes(name)) known.set(key, `${prev} or ${name}`);
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
    const finding = known.get(knownKeyOf(violationKind(c)));
    if (finding) matches.push({ ...c, finding });
    else fresh.push(c);
  }
  return { fresh, known: matches };
}
