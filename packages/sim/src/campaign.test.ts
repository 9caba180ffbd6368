import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { campaignTable, type CampaignReport, failedRow, mergedRow, reachOf, rowOf } from './campaign.js';

const report = JSON.parse(
  readFileSync(join(import.meta.dirname, 'testdata/campaign-report.json'), 'utf8'),
) as CampaignReport;

describe('campaign table', () => {
  it('reads a row from a kvmfp explore --json report stopped by its time limit', () => {
    const row = rowOf('guest-nosve', report, 23.6);
    expect(row).toMatchObject({ states: 80332, transitions: 104244, known: 1, fresh: 0 });
    expect(row.reach).toBe('4 levels complete, deepest 6 (time limit 20 s)');
    expect(row.knownNames).toEqual(['vhe-sme-softirq-neon-after-exit-svcr-trap']);
  });

  it('names every finding a shared symptom matches', () => {
    const shared = { ...report, known: [{ finding: 'a-b.yaml or c.yaml' }] };
    expect(rowOf('x', shared, 1).knownNames).toEqual(['a-b or c']);
  });

  it('shortens the heap bound', () => {
    const stoppedBy = 'memory bound: the frontier of depth 2 filled 5263 MiB of heap';
    expect(reachOf({ ...report, stoppedBy })).toBe('4 levels complete, deepest 6 (heap bound, 5263 MiB)');
  });

  it('says exhausted, or the bound, when the run was not stopped', () => {
    expect(reachOf({ ...report, exhausted: true, complete: true, stoppedBy: null })).toBe(
      'exhausted (diameter 6)',
    );
    expect(reachOf({ ...report, complete: true, depth: 5, stoppedBy: null })).toBe('depth 5 (bound)');
  });

  it('writes one markdown row per run and a note per run with violations or a failure', () => {
    const fresh = { ...report, violations: [{ invariant: 'user-sees-own-registers' }] };
    const table = campaignTable(
      [
        rowOf('guest-nosve', report, 23.6),
        rowOf('ref', fresh, 612),
        failedRow('sme2', 1.5, 'exit 2: bad config'),
      ],
      '# campaign',
    );
    const lines = table.split('\n');
    expect(lines[0]).toBe('# campaign');
    expect(lines[4]).toBe(
      '| guest-nosve | 4 levels complete, deepest 6 (time limit 20 s) | 80,332 | 104,244 | 23.6 s | 1 / 0 / 0 |',
    );
    expect(lines[5]).toContain('| 10 min 12 s | 1 / 0 / 1 |');
    expect(lines[6]).toBe('| sme2 | failed | 0 | 0 | 1.5 s | 0 / 0 / 0 |');
    expect(table).toContain('- ref: NEW: user-sees-own-registers');
    expect(table).toContain('- sme2: run failed: exit 2: bad config');
    expect(table).toContain('- guest-nosve: known: vhe-sme-softirq-neon-after-exit-svcr-trap');
  });

  it('counts and names the matches by symptom only apart, for triage', () => {
    const bySymptom = {
      ...report,
      known: [
        { finding: 'a.yaml' },
        { finding: 'b.yaml or c.yaml', invariant: 'no-memory-fault', symptomOnly: true },
      ],
    };
    const row = rowOf('vl-change', bySymptom, 600);
    expect(row).toMatchObject({ known: 1, symptomOnly: 1, knownNames: ['a'] });
    const table = campaignTable([row], '# campaign');
    expect(table).toContain('| 1 / 1 / 0 |');
    expect(table).toContain(
      '- vl-change: known by symptom only (to triage): no-memory-fault (symptom of b or c)',
    );
  });

  it('sums the shards\u2019 times of a merged configuration', () => {
    expect(mergedRow('ref (2 shards merged)', report, [300, 301.5]).seconds).toBe(601.5);
  });
});
