// The exploration part of `kvmfp check`: every configuration with the known findings of the
// corpus, its line saying how far it got and which findings it met again, and the equivalence on
// the reference configurations.

import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmpDir } from '../../test/cli-harness.js';
import { exploreLine, exploreSummary } from './check.js';

const fixtures = join(import.meta.dirname, '../../../../fixtures');
const FINDING = 'vhe-sme-softirq-neon-after-exit-svcr-trap.yaml';

function corpus(configName: string, withFinding: boolean): string {
  const dir = tmpDir('kvmfp-check-');
  mkdirSync(join(dir, 'configs'));
  copyFileSync(join(fixtures, 'configs/guest-nosve.yaml'), join(dir, 'configs', `${configName}.yaml`));
  if (withFinding) {
    mkdirSync(join(dir, 'findings'));
    copyFileSync(join(fixtures, 'findings', FINDING), join(dir, 'findings', FINDING));
  }
  return dir;
}

describe('kvmfp check: explorations', () => {
  it('reports a violation of a kept finding as known, and the equivalence on a reference configuration', () => {
    const { lines, ok } = exploreSummary(corpus('guest-nosve', true));
    expect(ok).toBe(true);
    expect(lines[1]).toMatch(
      /^ {4}guest-nosve depth \d+, 5\d{3} states +known 1 \(vhe-sme-softirq-neon-after-exit-svcr-trap\); 0 new$/,
    );
    expect(lines[3]).toMatch(/^ {4}guest-nosve no observable difference \(4000 pairs, depth \d\)$/);
  });

  it('fails on the same violation when no finding explains it, and runs no equivalence off the reference list', () => {
    const { lines, ok } = exploreSummary(corpus('other', false));
    expect(ok).toBe(false);
    expect(lines[1]).toMatch(/known 0; 1 NEW \(no-memory-fault\)$/);
    expect(lines).toHaveLength(3);
  });

  it('says exhausted when the frontier emptied', () => {
    const line = exploreLine({ name: 'x', exhausted: true, states: 12, depth: 3, known: [], fresh: [] }, 3);
    expect(line).toBe('    x   exhausted, 12 states     known 0; 0 new');
  });
});
