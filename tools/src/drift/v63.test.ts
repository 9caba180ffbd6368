// Drift of the v6.4 entries against v6.3.8 (through --git-dir): the series this project pins shows
// as exactly what it was, a comment-only change to kvm_arch_vcpu_load_fp and a code change to
// kvm_hyp_handle_fpsimd (the EC filter that became a switch).

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { capture } from '../shared/cli.js';
import { haveV64, skipNote, V64_MISSING } from '../shared/test-support.js';
import type { DriftReport } from './drift.js';
import { driftCli } from './main.js';

const V63_GIT_DIR = '/work/.mirror/SToPire+linux-6.3.8/repo';
const missing = !existsSync(V63_GIT_DIR)
  ? `no v6.3.8 mirror at ${V63_GIT_DIR}`
  : haveV64
    ? undefined
    : V64_MISSING;

describe('drift of v6.4 against v6.3.8', () => {
  it.skipIf(missing !== undefined)(`shows the series${skipNote(!missing, missing ?? '')}`, async () => {
    const r = await capture('drift', driftCli, [
      '--git-dir',
      V63_GIT_DIR,
      '--commit',
      '15edfdde6504',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as DriftReport;
    const classOf = (fn: string) => report.rows.find((x) => x.function === fn)?.class;
    expect(classOf('kvm_arch_vcpu_load_fp')).toBe('comment-only');
    expect(classOf('kvm_hyp_handle_fpsimd')).toBe('code change');
    for (const hook of ['kvm_arch_vcpu_ctxflush_fp', 'kvm_arch_vcpu_ctxsync_fp', 'kvm_arch_vcpu_put_fp'])
      expect(classOf(hook)).toBe('unchanged');
    expect(report.counts.gone).toBe(0);
  });
});
