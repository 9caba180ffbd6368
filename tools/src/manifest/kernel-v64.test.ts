// Every manifest in the workspace, verified against the v6.4 tree it names. Manifests are added by
// the porters of each package; this test picks up whatever exists.

import { relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitSource } from '../shared/source.js';
import {
  haveV64,
  skipNote,
  V64_COMMIT,
  V64_GIT_DIR,
  V64_MISSING,
  WORKSPACE_ROOT,
} from '../shared/test-support.js';
import { discoverManifests, loadManifest } from './manifests.js';
import { KernelIndex, verifyManifests, verifySummary } from './verify.js';

const manifests = discoverManifests();

describe('workspace manifests against v6.4', () => {
  it.skipIf(!haveV64)(`lists the workspace manifests${skipNote(haveV64, V64_MISSING)}`, () => {
    // Nothing to verify is a valid state while packages are being ported; the list is printed.
    console.info(`manifests: ${manifests.map((m) => relative(WORKSPACE_ROOT, m)).join(', ') || 'none yet'}`);
    expect(manifests.every((m) => m.endsWith('manifest.json'))).toBe(true);
  });

  for (const file of manifests) {
    it.skipIf(!haveV64)(
      `${relative(WORKSPACE_ROOT, file)} matches v6.4${skipNote(haveV64, V64_MISSING)}`,
      async () => {
        const index = new KernelIndex(gitSource(V64_GIT_DIR, V64_COMMIT));
        const result = await verifyManifests([loadManifest(file)], index, 'v6.4');
        const problems = result.rows.filter((r) => r.status !== 'matches');
        expect(
          problems.map(
            (r) => `${r.status}: ${r.entry.function} (${r.entry.kernelPath}) ${r.detail ?? r.actual ?? ''}`,
          ),
          verifySummary(result),
        ).toEqual([]);
      },
    );
  }
});
