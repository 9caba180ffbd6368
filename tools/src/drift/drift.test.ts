import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capture } from '../shared/cli.js';
import { indexCFile, lookupInIndex } from '../manifest/c-functions.js';
import { codeLines, codeSimilarity, lineDelta, signature } from './compare.js';
import { sharedWords, type DriftReport } from './drift.js';
import { driftCli } from './main.js';

const testdata = join(import.meta.dirname, 'testdata');
const DEMO = 'arch/arm64/kernel/demo.c';
const OTHER = 'arch/arm64/kernel/other.c';
const FUNCTIONS: [string, string][] = [
  [DEMO, 'demo_keep'],
  [DEMO, 'demo_reworded'],
  [DEMO, 'demo_changed'],
  [DEMO, 'demo_moving'],
  [DEMO, 'demo_old_name'],
  [DEMO, 'demo_hinted'],
  [DEMO, 'demo_removed'],
  [DEMO, 'demo_becomes_macro'],
  [OTHER, 'other_same'],
];

/** A manifest of the self-made base tree, hashes computed from it, in a scratch directory. */
async function demoManifest(): Promise<string> {
  const entries = [];
  for (const [kernelPath, fn] of FUNCTIONS) {
    const index = await indexCFile(readFileSync(join(testdata, 'base', kernelPath), 'utf8'));
    const found = lookupInIndex(index, fn);
    if (found.status !== 'found') throw new Error(`testdata lacks ${fn}`);
    entries.push({
      kernelPath,
      function: fn,
      revision: 'v6.4',
      tsSymbol: fn,
      tsFile: 'src/v6.4/demo.ts',
      bodyHash: found.hash,
      kind: 'ported',
    });
  }
  const dir = mkdtempSync(join(tmpdir(), 'drift-'));
  const file = join(dir, 'manifest.json');
  writeFileSync(file, JSON.stringify({ package: '@kvmfp/demo', entries }));
  return file;
}

const drift = async (...extra: string[]) =>
  capture('drift', driftCli, [
    '--tree',
    join(testdata, 'later'),
    '--base-tree',
    join(testdata, 'base'),
    '--manifest',
    await demoManifest(),
    '--hints',
    join(testdata, 'hints.json'),
    ...extra,
  ]);

describe('drift on a self-made pair of trees', () => {
  it('classifies every entry and lists the new functions (JSON)', async () => {
    const r = await drift('--json');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as DriftReport;
    const byName = Object.fromEntries(report.rows.map((row) => [row.function, row]));
    expect(Object.fromEntries(report.rows.map((row) => [row.function, row.class]))).toEqual({
      demo_keep: 'unchanged',
      demo_reworded: 'comment-only',
      demo_changed: 'code change',
      demo_moving: 'renamed/moved',
      demo_old_name: 'renamed/moved',
      demo_hinted: 'renamed/moved',
      demo_removed: 'gone',
      demo_becomes_macro: 'gone',
      other_same: 'unchanged',
    });
    expect(byName['demo_changed']).toMatchObject({ added: 3, removed: 3, signatureChanged: true });
    expect(byName['demo_moving']).toMatchObject({
      foundIn: 'arch/arm64/lib/moved.c',
      foundAs: 'demo_moving',
      how: 'same name',
      similarity: 1,
    });
    expect(byName['demo_old_name']).toMatchObject({
      foundIn: DEMO,
      foundAs: 'demo_new_name',
      how: 'similarity',
      added: 1,
      removed: 1,
    });
    expect(byName['demo_hinted']).toMatchObject({
      foundAs: 'demo_hint_target',
      how: 'hint',
      note: 'a test hint',
    });
    expect(byName['demo_becomes_macro']?.note).toBe(`now a macro in ${DEMO}`);
    // demo_new_name and demo_hint_target are claimed by renames; only the truly new one is left.
    expect(report.newFunctions).toEqual([{ kernelPath: DEMO, function: 'demo_brand_new' }]);
    expect(report.counts).toEqual({
      unchanged: 2,
      'comment-only': 1,
      'code change': 1,
      'renamed/moved': 3,
      gone: 2,
      new: 1,
    });
  });

  it('prints a table for people, unchanged entries counted but not listed', async () => {
    const r = await drift();
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^gone +demo +demo_removed +arch\/arm64\/kernel\/demo\.c/m);
    expect(r.stdout).toMatch(/demo_old_name .* demo_new_name \(similarity 0\.\d+\) +\+1 -1 lines/);
    expect(r.stdout).toContain('not listed: 2 unchanged (--classes to choose)');
    expect(r.stdout).toContain(`  ${DEMO}: demo_brand_new`);
    expect(r.stdout).toMatch(
      /9 v6\.4 entries: 2 unchanged, 1 comment-only, 1 code change, 3 renamed\/moved, 2 gone; 1 new functions/,
    );
    expect(r.stdout).not.toMatch(/^unchanged/m);
    const only = await drift('--classes', 'unchanged');
    expect(only.stdout).toMatch(/^unchanged +demo +demo_keep/m);
  });

  it('writes markdown', async () => {
    const r = await drift('--markdown');
    expect(r.stdout).toContain('| unchanged | comment-only | code change | renamed/moved | gone | new |');
    expect(r.stdout).toContain('| 2 | 1 | 1 | 3 | 2 | 1 |');
    expect(r.stdout).toContain('- `arch/arm64/kernel/demo.c`: `demo_brand_new`');
  });

  it('gives one-line errors for bad options', async () => {
    const bad = await capture('drift', driftCli, ['--tree', '/nonexistent']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('drift: --tree: /nonexistent: expected a kernel source directory');
    const classes = await drift('--classes', 'unchanged,odd');
    expect(classes.stderr.trim()).toMatch(/^drift: --classes: expected some of unchanged, .*, not 'odd'$/);
    const none = await capture('drift', driftCli, []);
    expect(none.stderr.trim()).toBe('drift: options: expected --tree PATH or --git-dir DIR --commit C');
    const rev = await drift('--rev', 'v6.3');
    expect(rev.stderr.trim()).toBe('drift: --rev: no manifest entries of revision v6.3');
  });
});

describe('comparing two versions of a function', () => {
  const a = 'int f(int x)\n{\n\t/* note */\n\treturn x + 1;\n}';
  it('ignores comments and the function name in the similarity', () => {
    expect(codeSimilarity(a, 'f', a.replace('/* note */', '').replace('int f', 'int g'), 'g')).toBe(1);
    expect(codeSimilarity(a, 'f', 'void h(void)\n{\n\tfoo();\n}', 'h')).toBeLessThan(0.3);
  });
  it('counts code lines added and removed', () => {
    expect(lineDelta(codeLines(a), codeLines(a.replace('x + 1', 'x + 2')))).toEqual({ added: 1, removed: 1 });
    expect(lineDelta(codeLines(a), codeLines(a.replace('/* note */', '// other')))).toEqual({
      added: 0,
      removed: 0,
    });
  });
  it('compares signatures without the name when asked', () => {
    expect(signature(a, 'f')).toBe(signature(a.replace('int f', 'int g'), 'g'));
    expect(signature(a)).not.toBe(signature(a.replace('int x', 'long x')));
  });
  it('counts shared name words', () => {
    expect(sharedWords('sve_kernel_enable', 'cpu_enable_sve')).toBe(2);
    expect(sharedWords('handle_no_fpsimd', 'handle_svc')).toBe(1);
  });
});
