import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { capture } from '../shared/cli.js';
import { FAKE_KERNEL, writeFakeWorkspace } from '../revision/fake-workspace.js';
import { applyHunks } from './apply.js';
import type { PatchImpact } from './impact.js';
import { patchImpactCli } from './main.js';
import { parsePatch } from './patch.js';
import { asMail, unifiedDiff } from './test-support.js';

const FPSIMD = 'arch/arm64/kvm/fpsimd.c';
const HELPERS = 'arch/arm64/kvm/helpers.c';
const ARM = 'arch/arm64/kvm/arm.c';
const kernel = (path: string): string => FAKE_KERNEL[path] ?? '';

describe('reading patches', () => {
  it('reads a plain unified diff: files, hunks, line kinds; "\\ No newline" lines are skipped', () => {
    const p = parsePatch(
      [
        '--- a/x.c',
        '+++ b/x.c',
        '@@ -1,2 +1,2 @@ int f(void)',
        ' a',
        '-b',
        '+c',
        '\\ No newline at end of file',
        '--- a/y.h\t2024-01-01',
        '+++ b/y.h\t2024-01-01',
        '@@ -5 +5,2 @@',
        ' d',
        '+e',
      ].join('\n'),
      'p.diff',
    );
    expect(p.files.map((f) => [f.oldPath, f.newPath, f.hunks.length])).toEqual([
      ['x.c', 'x.c', 1],
      ['y.h', 'y.h', 1],
    ]);
    expect(p.files[0]?.hunks[0]).toMatchObject({
      oldStart: 1,
      oldLines: 2,
      newLines: 2,
      section: 'int f(void)',
    });
    expect(p.files[1]?.hunks[0]).toMatchObject({ oldStart: 5, oldLines: 1, newStart: 5, newLines: 2 });
    expect(p.subject).toBeUndefined();
  });

  it('reads a mailed patch: subject (unfolded), author, date; the diffstat and signature are not hunks', () => {
    const mail = asMail(
      unifiedDiff(FPSIMD, kernel(FPSIMD), kernel(FPSIMD).replace('n - 1', 'n - 2')),
      'KVM: arm64: a made-up change to the demo put hook',
    );
    const p = parsePatch(mail, 'mail');
    expect(p.subject).toBe('[PATCH] KVM: arm64: a made-up change to the demo put hook');
    expect(p.from).toBe('A Tester <tester@example.org>');
    expect(p.date).toBe('Mon, 1 Jan 2024 00:00:00 +0000');
    expect(p.files).toHaveLength(1);
    expect(
      p.files[0]?.hunks[0]?.lines.filter((l) => l.kind !== ' ').map((l) => l.kind + l.text.trim()),
    ).toEqual(['-return n - 1;', '+return n - 2;']);
  });

  it('reads a list archive text: the subject is the first line', () => {
    const p = parsePatch(
      [
        '[PATCH v2 3/3] KVM: arm64: demo',
        '',
        'A Tester tester at example.org',
        'Tue Mar 7 09:37:16 PST 2023',
        '',
        '---',
        '--- a/x.c',
        '+++ b/x.c',
        '@@ -1 +1 @@',
        '-a',
        '+b',
      ].join('\n'),
      'archive',
    );
    expect(p).toMatchObject({
      subject: '[PATCH v2 3/3] KVM: arm64: demo',
      from: 'A Tester tester at example.org',
      date: 'Tue Mar 7 09:37:16 PST 2023',
    });
  });

  it('reads git show output: the indented subject, Author and Date', () => {
    const p = parsePatch(
      [
        'commit 0123456789abcdef',
        'Author: A Tester <t@example.org>',
        'Date:   Mon Jan 1 2024',
        '',
        '    demo: a subject',
        '',
        '--- a/x.c',
        '+++ b/x.c',
        '@@ -1 +1 @@',
        '-a',
        '+b',
      ].join('\n'),
      'show',
    );
    expect(p).toMatchObject({
      subject: 'demo: a subject',
      from: 'A Tester <t@example.org>',
      date: 'Mon Jan 1 2024',
    });
  });

  it('rejects what is not a patch, and hunks shorter than their header', () => {
    expect(() => parsePatch('hello\n', 'x.txt')).toThrow(
      'x.txt: expected a unified diff (--- a/... and +++ b/... lines)',
    );
    expect(() => parsePatch('--- a/x.c\n+++ b/x.c\n@@ -1,3 +1,3 @@\n a\n', 'short.diff')).toThrow(
      /short\.diff: hunk at line 1 of x\.c: expected 2 more old and 2 more new lines/,
    );
  });
});

describe('applying hunks in memory', () => {
  const text = ['one', 'two', 'three', 'four', 'five'].join('\n');
  const hunk = (oldStart: number) => ({
    oldStart,
    oldLines: 2,
    newStart: oldStart,
    newLines: 2,
    section: '',
    lines: [
      { kind: ' ' as const, text: 'three' },
      { kind: '-' as const, text: 'four' },
      { kind: '+' as const, text: 'FOUR' },
    ],
  });
  it('applies at the named line, or at an offset', () => {
    expect(applyHunks(text, [hunk(3)])?.lines).toEqual(['one', 'two', 'three', 'FOUR', 'five']);
    expect(applyHunks(text, [hunk(1)])?.placed[0]).toMatchObject({ at: 2, offset: 2 });
  });
  it('applies in reverse, and refuses a hunk whose side is not there', () => {
    const after = 'one\ntwo\nthree\nFOUR\nfive';
    expect(applyHunks(after, [hunk(3)])).toBeUndefined();
    expect(applyHunks(after, [hunk(3)], true)?.lines.join('\n')).toBe(text);
  });
});

describe('patch-impact on a self-made workspace and kernel tree', () => {
  let root = '';
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'patch-impact-ws-'));
    await writeFakeWorkspace(root);
  });
  const run = async (name: string, patch: string, ...extra: string[]) => {
    const file = join(root, name);
    writeFileSync(file, patch);
    return capture('patch-impact', patchImpactCli, [
      file,
      '--tree',
      join(root, 'kernel'),
      '--root',
      root,
      ...extra,
    ]);
  };
  const json = async (name: string, patch: string) =>
    JSON.parse((await run(name, patch, '--json')).stdout) as PatchImpact;

  it('a reworded comment inside an entry: comment-only, no behaviour change, the v6.4 file to compare', async () => {
    const after = kernel(FPSIMD).replace(
      'Scale first, then count the load.',
      'Scale, then add one for this load.',
    );
    const r = await run('comment.diff', unifiedDiff(FPSIMD, kernel(FPSIMD), after));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /kvm_demo_load +comment-only +kvm-fpsimd src\/v6\.4\/fpsimd\.ts +v6\.4 += before and after +kvm_demo_load/,
    );
    expect(r.stdout).toMatch(/^ +kvm-fpsimd src\/v6\.3\/fpsimd\.ts +v6\.3 +/m);
    expect(r.stdout).toContain('verdict: comment-only: no behaviour change (kvm_demo_load)');
    expect(r.stdout).toContain(
      'kvm_demo_load: comment-only, no behaviour change; compare the comments of packages/kvm-fpsimd/src/v6.4/fpsimd.ts (kvm_demo_load, revision v6.4)',
    );
  });

  it('a code change in a helper: the entries that reach it, and a new revision to make', async () => {
    const impact = await json(
      'helper.diff',
      unifiedDiff(
        HELPERS,
        kernel(HELPERS),
        kernel(HELPERS).replace('return n << DEMO_SHIFT;', 'return (n << DEMO_SHIFT) | 1;'),
      ),
    );
    const fn = impact.files[0]?.hunks[0]?.functions[0];
    expect(fn).toMatchObject({ function: 'demo_helper', change: 'code' });
    expect(
      fn?.ported.map((p) => [p.revision, p.tsFile, p.shared, p.matches, p.entries, p.reachedThrough]),
    ).toEqual([
      ['v6.4', 'src/v6.4/helpers.ts', false, 'before', [], ['kvm_demo_load']],
      ['v6.3', 'src/v6.4/helpers.ts', true, 'before', [], ['kvm_demo_load']],
    ]);
    expect(impact.behaviourChange).toBe(true);
    expect(impact.next).toContain(
      'code changes in demo_helper: make a revision for the patch, based on v6.4: npx kvmfp revision new v6.5 --from v6.4 --files packages/kvm-fpsimd/src/v6.4/helpers.ts',
    );
    expect(
      impact.next.some(
        (n) => n.includes('npx kvmfp equiv v6.4 v6.5') && n.includes('affected: kvm_demo_load'),
      ),
    ).toBe(true);
  });

  it('a macro change outside functions is code, a new function is listed as added', async () => {
    const macro = await json(
      'macro.diff',
      unifiedDiff(HELPERS, kernel(HELPERS), kernel(HELPERS).replace('DEMO_SHIFT 2', 'DEMO_SHIFT 3')),
    );
    expect(macro.files[0]?.hunks[0]).toMatchObject({ functions: [], outside: 'code' });
    expect(macro.outsideCode).toEqual([HELPERS]);
    expect(macro.behaviourChange).toBe(true);
    const added = await json(
      'added.diff',
      unifiedDiff(ARM, kernel(ARM), `${kernel(ARM)}\nint kvm_demo_extra(void)\n{\n\treturn 0;\n}\n`),
    );
    expect(added.files[0]?.hunks[0]?.functions).toEqual([
      {
        function: 'kvm_demo_extra',
        change: 'added',
        afterHash: expect.stringMatching(/^[0-9a-f]{16}$/) as string,
        ported: [],
      },
    ]);
    expect(added.behaviourChange).toBe(false);
  });

  it('a patch the tree already has applies in reverse, and says so', async () => {
    const older = kernel(FPSIMD).replace('return n - 1;', 'return n;');
    const r = await run(
      'already.diff',
      asMail(unifiedDiff(FPSIMD, older, kernel(FPSIMD)), 'KVM: arm64: demo put subtracts one'),
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${FPSIMD}: applies in reverse (the tree already contains this patch)`);
    expect(r.stdout).toMatch(
      /kvm_demo_put +code +kvm-fpsimd src\/v6\.4\/fpsimd\.ts +v6\.4 += after +kvm_demo_put/,
    );
    expect(r.stdout).toContain('kvm_demo_put: revision v6.4, v6.3 already ports the patched code');
  });

  it('a hunk that applies neither way is reported, exit status 1; a file not in the tree too', async () => {
    const other = kernel(FPSIMD).replace('return n - 1;', 'return n + 7;');
    const r = await run('stale.diff', unifiedDiff(FPSIMD, other, other.replace('n + 7', 'n + 8')));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`${FPSIMD}: does not apply, forward or in reverse`);
    expect(r.stdout).toContain('applies neither forward nor in reverse');
    const missing = await run('missing.diff', unifiedDiff('arch/arm64/kvm/none.c', 'a\n', 'b\n'));
    expect(missing.status).toBe(1);
    expect(missing.stdout).toContain('arch/arm64/kvm/none.c: not in the tree');
  });

  it('gives one-line errors for bad input', async () => {
    const none = await capture('patch-impact', patchImpactCli, []);
    expect(none.stderr.trim()).toBe('patch-impact: options: expected a PATCH file');
    const bad = await run('bad.txt', 'not a patch\n');
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toMatch(/^patch-impact: .*bad\.txt: expected a unified diff/);
  });
});
