// Drift of the workspace's v6.4 manifest entries against Debian's linux-source-6.1 and -6.12,
// compared with the expectations in expected/ (function names and classifications only; the
// kernel text is read from the cached trees at run time). KVMFP_WRITE_EXPECTED=1 rewrites them.
//
// Manifests grow while packages are ported: entries the expectations do not know are reported and
// not compared, entries they know that left the manifests are skipped; the rest must match.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haveV64, skipNote, V64_COMMIT, V64_GIT_DIR, V64_MISSING } from '../shared/test-support.js';
import { loadManifests } from '../manifest/manifests.js';
import { computeDrift, type DriftReport, type DriftRow, type NewFunction } from './drift.js';
import { driftMarkdown } from './format.js';
import { gitFiles, treeFiles } from './kernel-files.js';
import { DEBIAN_TREES, EXPECTED_DIR, type DebianTree } from './kernel-trees.js';
import { DEFAULT_HINTS, loadHints } from './main.js';

interface Expected {
  tree: string;
  debianVersion: string;
  base: string;
  revision: string;
  counts: DriftReport['counts'];
  rows: DriftRow[];
  newFunctions: NewFunction[];
}

const BASE_LABEL = `julianw1010/WASP-linux-6.4.0 @ ${V64_COMMIT.slice(0, 12)}`;
const rowKey = (r: DriftRow): string => `${r.package} ${r.kernelPath} ${r.function}`;
const write = process.env['KVMFP_WRITE_EXPECTED'] === '1';

/** Written as the repository's prettier configuration wants it, so `prettier --check` passes. */
async function writeFormatted(file: string, text: string): Promise<void> {
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(text, { ...options, filepath: file }));
}

async function driftOf(tree: DebianTree): Promise<DriftReport> {
  const base = gitFiles(V64_GIT_DIR, V64_COMMIT);
  return computeDrift({
    manifests: loadManifests(undefined),
    revision: 'v6.4',
    tree: treeFiles(tree.dir),
    baseFor: () => base,
    hints: loadHints(DEFAULT_HINTS),
  });
}

function asExpected(tree: DebianTree, report: DriftReport): Expected {
  return {
    tree: tree.pkg,
    debianVersion: tree.version,
    base: BASE_LABEL,
    revision: report.revision,
    counts: report.counts,
    rows: report.rows,
    newFunctions: report.newFunctions,
  };
}

for (const tree of Object.values(DEBIAN_TREES)) {
  const missing = tree.missing ?? (haveV64 ? undefined : V64_MISSING);
  const jsonFile = join(EXPECTED_DIR, `${tree.pkg}.json`);
  const mdFile = join(EXPECTED_DIR, `${tree.pkg}.md`);

  describe(`drift of v6.4 against Debian ${tree.pkg} ${tree.version}`, () => {
    it.skipIf(missing !== undefined)(
      `matches expected/${tree.pkg}.json${skipNote(missing === undefined, missing ?? '')}`,
      async () => {
        const report = await driftOf(tree);
        const actual = asExpected(tree, report);
        if (write || !existsSync(jsonFile)) {
          const labelled = { ...report, tree: `${tree.pkg} ${tree.version}`, bases: [BASE_LABEL] };
          await writeFormatted(jsonFile, JSON.stringify(actual, null, 2));
          await writeFormatted(mdFile, driftMarkdown(labelled));
          console.info(`drift: wrote ${jsonFile} and ${mdFile}`);
        }
        const expected = JSON.parse(readFileSync(jsonFile, 'utf8')) as Expected;
        expect(expected.debianVersion).toBe(tree.version);

        const known = new Map(expected.rows.map((r) => [rowKey(r), r]));
        const now = new Map(actual.rows.map((r) => [rowKey(r), r]));
        const added = actual.rows.filter((r) => !known.has(rowKey(r)));
        const dropped = expected.rows.filter((r) => !now.has(rowKey(r)));
        if (added.length || dropped.length)
          console.info(
            `drift ${tree.pkg}: ${added.length} manifest entries not in the expectations, ${dropped.length} no longer in the manifests; KVMFP_WRITE_EXPECTED=1 rewrites expected/`,
          );
        expect(actual.rows.filter((r) => known.has(rowKey(r)))).toEqual(
          expected.rows.filter((r) => now.has(rowKey(r))),
        );
        // New functions, in the files both know (a newly ported file brings its own).
        const files = new Set(expected.rows.map((r) => r.kernelPath));
        const inFiles = (list: NewFunction[]) => list.filter((n) => files.has(n.kernelPath));
        expect(inFiles(actual.newFunctions)).toEqual(inFiles(expected.newFunctions));
        if (!added.length && !dropped.length) expect(actual.counts).toEqual(expected.counts);
      },
    );
  });
}
