// The exploration campaign's summary: one row per run of `kvmfp explore --json` (a whole
// configuration, one shard of it, or the merge of its shards), read from the run's own report,
// and one markdown table of them. The runner is packages/sim/scripts/campaign.ts.

import type { ExploreReport } from './report.js';

/** One run of the campaign, as the table shows it. */
export interface CampaignRow {
  /** The configuration's name (its file name without .yaml), with the shard when there is one. */
  name: string;
  /** `exhausted`, or the bound the run reached and why it stopped. */
  reach: string;
  states: number;
  transitions: number;
  seconds: number;
  /** Matches to known findings that explain their events, matches by symptom only, new violations. */
  known: number;
  symptomOnly: number;
  fresh: number;
  /** The known findings matched and the new violations' invariants (for the notes). */
  knownNames: string[];
  /** The matches by symptom only: invariant and the findings with that symptom (to triage). */
  symptomOnlyNames: string[];
  freshNames: string[];
  /** Why there is no report (the run failed), or null. */
  error: string | null;
}

/** What the campaign reads of a report: the fields of `kvmfp explore --json` the table needs. */
export type CampaignReport = Pick<
  ExploreReport,
  | 'distinct'
  | 'transitions'
  | 'exhausted'
  | 'complete'
  | 'depth'
  | 'levelsCompleted'
  | 'stoppedBy'
  | 'diameter'
> & {
  violations: { invariant: string }[];
  known?: { finding: string; invariant?: string; symptomOnly?: boolean }[];
};

/** Whether the run exhausted the space, or how far it got and what stopped it. */
export function reachOf(r: CampaignReport): string {
  if (r.exhausted) return `exhausted (diameter ${r.diameter})`;
  if (r.complete) return `depth ${r.depth ?? r.diameter} (bound)`;
  const why = (r.stoppedBy ?? 'stopped').replace(
    /^memory bound: the frontier of depth (\d+) filled (\d+) MiB of heap$/,
    'heap bound, $2 MiB',
  );
  return `${r.levelsCompleted} levels complete, deepest ${r.diameter} (${why})`;
}

export function rowOf(name: string, r: CampaignReport, seconds: number): CampaignRow {
  const bare = (finding: string) => finding.replace(/\.ya?ml\b/g, '');
  const explained = (r.known ?? []).filter((k) => !k.symptomOnly);
  const bySymptom = (r.known ?? []).filter((k) => k.symptomOnly);
  return {
    name,
    reach: reachOf(r),
    states: r.distinct,
    transitions: r.transitions,
    seconds,
    known: explained.length,
    symptomOnly: bySymptom.length,
    fresh: r.violations.length,
    knownNames: [...new Set(explained.map((k) => bare(k.finding)))],
    symptomOnlyNames: bySymptom.map((k) => `${k.invariant ?? 'violation'} (symptom of ${bare(k.finding)})`),
    freshNames: r.violations.map((v) => v.invariant),
    error: null,
  };
}

export function failedRow(name: string, seconds: number, error: string): CampaignRow {
  return {
    name,
    reach: 'failed',
    states: 0,
    transitions: 0,
    seconds,
    known: 0,
    symptomOnly: 0,
    fresh: 0,
    knownNames: [],
    symptomOnlyNames: [],
    freshNames: [],
    error,
  };
}

/** Runs of the same configuration merged by `kvmfp merge`: the time is the shards' sum. */
export function mergedRow(name: string, r: CampaignReport, shardSeconds: number[]): CampaignRow {
  return rowOf(
    name,
    r,
    shardSeconds.reduce((a, b) => a + b, 0),
  );
}

function formatSeconds(s: number): string {
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  const rest = Math.round(s - m * 60);
  return `${m} min ${String(rest).padStart(2, '0')} s`;
}

const count = (n: number) => n.toLocaleString('en-US');

/** The markdown summary: a heading line, the table, and one note per row with violations or errors. */
export function campaignTable(rows: CampaignRow[], heading: string): string {
  const lines = [
    heading,
    '',
    '| configuration | exhausted or depth reached | states | transitions | time | violations known / by symptom only / new |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows)
    lines.push(
      `| ${r.name} | ${r.reach} | ${count(r.states)} | ${count(r.transitions)} | ${formatSeconds(r.seconds)} | ${r.known} / ${r.symptomOnly} / ${r.fresh} |`,
    );
  const notes: string[] = [];
  for (const r of rows) {
    if (r.error) notes.push(`- ${r.name}: run failed: ${r.error}`);
    if (r.knownNames.length) notes.push(`- ${r.name}: known: ${r.knownNames.join(', ')}`);
    if (r.symptomOnlyNames.length)
      notes.push(`- ${r.name}: known by symptom only (to triage): ${r.symptomOnlyNames.join('; ')}`);
    if (r.freshNames.length) notes.push(`- ${r.name}: NEW: ${r.freshNames.join(', ')}`);
  }
  if (notes.length) lines.push('', ...notes);
  return lines.join('\n') + '\n';
}
