// Known findings: scenarios kept in a directory (fixtures/findings/ by default) that each expect a
// violation the port really has. Each is run once, traced, to learn the signatures of its
// violations (signature.ts); the explorer then reports a counterexample whose signature matches
// one of those, but for the fired function (knownKeyOf), as a match to that finding, separately
// from new ones, and keeps exploring past it.
//
// A symptom is not a mechanism: two bugs can leave the same wrong value behind (three campaigns
// reported new bugs as "known" that way). A match is therefore also checked against the events:
// a finding explains a counterexample only if every kernel entry the counterexample goes through
// (eventClass: a prctl, a ptrace request on a regset, fork, exec, KVM_RUN and the guest's events,
// a sigreturn with its frame edit, a plain syscall) occurs in the finding's scenario. A match that
// no finding with its symptom explains is reported as known by symptom only, to be triaged like a
// new violation (its counterexample is written out as well). The events every configuration has
// (user instructions, preemption, kernel-mode NEON in a softirq, a signal sent) do not count: a
// signal raised by an instruction and one sent by an event reach the same code.

import { existsSync, statSync } from 'node:fs';
import { relative } from 'node:path';
import { scenarioFiles } from './cli/check.js';
import type { Event } from './events.js';
import type { Counterexample } from './explore.js';
import { violationKind } from './explore.js';
import { resolveTable } from './revisions.js';
import { InputError, loadScenario, worldConfig } from './scenario.js';
import { firedViolations, knownKeyOf, programNames, signatureOf } from './signature.js';

/** Known key (signature.ts knownKeyOf) -> the finding files (relative to the directory, joined by ' or ') that show it. */
export class KnownFindings extends Map<string, string> {
  /** Per finding file, the kernel entries its scenario goes through (eventClass); absent: not known. */
  readonly classes = new Map<string, ReadonlySet<string>>();
}

/** Events of every configuration, which tell no mechanism apart (see above). */
const EVERYDAY = new Set<Event['do']>(['step', 'user', 'preempt', 'softirq_neon', 'signal']);

/**
 * The kernel entry an event goes through, as the known-finding check compares them: what it does
 * and, where it says, which operation, regset or frame edit; null for the everyday events.
 */
export function eventClass(e: Event): string | null {
  if (EVERYDAY.has(e.do)) return null;
  const how = 'op' in e ? e.op : 'regset' in e ? e.regset : 'edit' in e ? e.edit : undefined;
  return how === undefined ? e.do : `${e.do}:${how}`;
}

function classesOf(events: readonly Event[]): Set<string> {
  const out = new Set<string>();
  for (const e of events) {
    const c = eventClass(e);
    if (c !== null) out.add(c);
  }
  return out;
}

/** The signatures of the violations of every scenario in `dir`; one-line InputError on bad input. */
export function loadKnownFindings(dir: string): KnownFindings {
  if (!existsSync(dir) || !statSync(dir).isDirectory())
    throw new InputError(`kvmfp: --known: expected a directory of finding scenarios, found '${dir}'`);
  const known = new KnownFindings();
  for (const file of scenarioFiles(dir)) {
    const s = loadScenario(file);
    known.classes.set(relative(dir, file), classesOf(s.events));
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
  /**
   * True when no finding with its symptom goes through every kernel entry it goes through: the
   * symptom is known, the way to it may not be (triage it as new). `finding` then names them all.
   */
  symptomOnly?: boolean;
}

/**
 * `c` as a match to the known findings, or null when its symptom is not known. Among the findings
 * with its symptom, those that explain its events; when the directory's scenarios are not at hand
 * (a merge of reports), the match as the report said.
 */
export function matchKnown(c: Counterexample, known: KnownFindings): KnownMatch | null {
  const finding = known.get(knownKeyOf(violationKind(c)));
  if (!finding) return null;
  const { symptomOnly: said, ...rest } = c as Counterexample & { symptomOnly?: boolean };
  const names = finding.split(' or ');
  if (!names.every((n) => known.classes.has(n)))
    return { ...rest, finding, ...(said ? { symptomOnly: true } : {}) };
  const mine = classesOf(c.events);
  const fits = names.filter((n) => [...mine].every((k) => known.classes.get(n)!.has(k)));
  return fits.length ? { ...rest, finding: fits.join(' or ') } : { ...rest, finding, symptomOnly: true };
}

/** Splits counterexamples into new ones and matches to known findings (order kept). */
export function splitKnown(
  all: Counterexample[],
  known: KnownFindings,
): { fresh: Counterexample[]; known: KnownMatch[] } {
  const fresh: Counterexample[] = [];
  const matches: KnownMatch[] = [];
  for (const c of all) {
    const match = matchKnown(c, known);
    if (match) matches.push(match);
    else fresh.push(c);
  }
  return { fresh, known: matches };
}
