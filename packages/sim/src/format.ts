// Text rendering of a run: one block per step with the kernel functions it ran and the bank moves,
// then totals, findings, violations and the verdict on the scenario's expectations.

import type { RunResult } from './run.js';

export function formatRun(r: RunResult): string {
  const lines: string[] = [];
  lines.push(`scenario: ${r.title}`);
  lines.push(`revision: ${r.revision}${r.mutant ? ` (mutant ${r.mutant})` : ''}`);
  for (const s of r.steps) {
    lines.push(`${String(s.n).padStart(3)}. ${s.event}`);
    if (s.functions.length) lines.push(`       ran: ${s.functions.join(' > ')}`);
    if (s.notEnabled !== undefined) lines.push(`       not enabled: ${s.notEnabled}`);
    if (s.moves.length) lines.push(`       moves: ${s.moves.join(', ')}`);
    for (const c of s.cpus) lines.push(`       ${c}`);
    for (const v of s.violations) lines.push(`       VIOLATION ${v}`);
  }
  const t = r.totals;
  lines.push(
    `totals: save ${t.save}, load ${t.load}, flush ${t.flush}, smstart ${t.smstart}, smstop ${t.smstop}`,
  );
  lines.push(`findings: ${r.findings.length ? r.findings.join('; ') : 'none'}`);
  lines.push(`violations: ${r.violations.length ? r.violations.map((v) => v.invariant).join(', ') : 'none'}`);
  if (r.observeOnly) lines.push('expectations: none (observe only)');
  else lines.push(r.passed ? 'expectations: met' : `expectations: NOT met\n  ${r.failures.join('\n  ')}`);
  return lines.join('\n');
}

/** The machine form: stable key order, no timestamps, so two runs compare byte for byte. */
export function runJson(r: RunResult): string {
  return JSON.stringify(r, null, 2);
}
