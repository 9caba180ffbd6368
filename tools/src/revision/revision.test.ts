// `revision new` on a temporary copy of a tiny fake workspace (fake-workspace.ts): the copy, the
// rewritten imports, the manifest entries, the generated table, and then the whole workflow: the
// new revision type-checks, runs, and differs from its base exactly where the copy was edited.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { capture } from '../shared/cli.js';
import { patchImpactCli } from '../patch-impact/main.js';
import { unifiedDiff } from '../patch-impact/test-support.js';
import { FAKE_KERNEL, writeFakeWorkspace } from './fake-workspace.js';
import { chainOf, entryTableNames, laterRevisions, listRevisions, revisionFile } from './layout.js';
import { revisionCli } from './main.js';
import { camelWords, type NewRevisionResult } from './new.js';

const require = createRequire(import.meta.url);
const tsxCli = require.resolve('tsx/cli');
const tscCli = require.resolve('typescript/bin/tsc');

const revision = (root: string, ...args: string[]) =>
  capture('revision', revisionCli, [...args, '--root', root]);
const read = (root: string, rel: string) => readFileSync(join(root, rel), 'utf8');

/** Runs a script in the fake workspace: every revision's results of the three demo entries. */
function runRevisions(root: string): Record<string, number[]> {
  writeFileSync(
    join(root, 'check.ts'),
    `import { E, installEntries, type EntryTable } from '@kvmfp/fpsimd';
import { revisions } from '@kvmfp/hyp-switch';

const out: Record<string, number[]> = {};
for (const [name, table] of Object.entries(revisions as Record<string, EntryTable>)) {
  installEntries(table);
  out[name] = [E.kvm_demo_load(3), E.kvm_demo_put(3), E.kvm_demo_run(3)];
}
console.log(JSON.stringify(out));
`,
  );
  const r = spawnSync(process.execPath, [tsxCli, '--conditions=@kvmfp/source', 'check.ts'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, number[]>;
}

function typecheck(root: string): string {
  const r = spawnSync(process.execPath, [tscCli, '-p', 'tsconfig.json'], { cwd: root, encoding: 'utf8' });
  return r.status === 0 ? '' : r.stdout + r.stderr;
}

describe('the revision layout', () => {
  let root = '';
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'revision-layout-'));
    await writeFakeWorkspace(root);
  });
  it('reads the revisions, their chains, the file each uses, and the entry names', () => {
    expect(listRevisions(root)).toEqual([{ name: 'v6.4' }, { name: 'v6.3', base: 'v6.4' }]);
    expect(chainOf(listRevisions(root), 'v6.3')).toEqual(['v6.3', 'v6.4']);
    const pkg = join(root, 'packages/kvm-fpsimd');
    expect(revisionFile(listRevisions(root), pkg, 'v6.3', 'fpsimd.ts')).toBe('src/v6.3/fpsimd.ts');
    expect(revisionFile(listRevisions(root), pkg, 'v6.3', 'helpers.ts')).toBe('src/v6.4/helpers.ts');
    expect([...entryTableNames(root)].sort()).toEqual(['kvm_demo_load', 'kvm_demo_put', 'kvm_demo_run']);
    expect(camelWords('kvm-fpsimd', 'fpsimd', 'v6.5')).toBe('kvmFpsimdFpsimdV65');
  });
});

describe('kvmfp revision new, on a fake workspace', () => {
  let root = '';
  let result: NewRevisionResult;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'revision-new-'));
    await writeFakeWorkspace(root);
  });

  it('starts from what patch-impact says about a code change', async () => {
    const path = 'arch/arm64/kvm/fpsimd.c';
    const before = FAKE_KERNEL[path] ?? '';
    writeFileSync(
      join(root, 'load.diff'),
      unifiedDiff(path, before, before.replace('demo_helper(n) + 1', 'demo_helper(n) + 2')),
    );
    const r = await capture('patch-impact', patchImpactCli, [
      join(root, 'load.diff'),
      '--tree',
      join(root, 'kernel'),
      '--root',
      root,
    ]);
    expect(r.stdout).toContain(
      'npx kvmfp revision new v6.5 --from v6.4 --files packages/kvm-fpsimd/src/v6.4/fpsimd.ts',
    );
  });

  it('copies only the named file, shares the rest, and registers the revision', async () => {
    const r = await revision(
      root,
      'new',
      'v6.5',
      '--from',
      'v6.4',
      '--files',
      'packages/kvm-fpsimd/src/v6.4/fpsimd.ts',
      '--json',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    result = JSON.parse(r.stdout) as NewRevisionResult;
    expect(result.copied).toEqual([
      {
        from: 'packages/kvm-fpsimd/src/v6.4/fpsimd.ts',
        to: 'packages/kvm-fpsimd/src/v6.5/fpsimd.ts',
        packageName: '@kvmfp/kvm-fpsimd',
        sharedImports: ['./helpers.js'],
        entries: ['kvm_demo_load', 'kvm_demo_put'],
        indexExport: 'kvmFpsimdFpsimdV65',
      },
    ]);
    const copy = read(root, 'packages/kvm-fpsimd/src/v6.5/fpsimd.ts');
    expect(copy).toContain("import { demo_helper } from '../v6.4/helpers.js';");
    expect(copy).toContain('// arch/arm64/kvm/fpsimd.c: kvm_demo_load (v6.5)');
    expect(existsSync(join(root, 'packages/kvm-fpsimd/src/v6.5/helpers.ts'))).toBe(false);
    expect(existsSync(join(root, 'packages/kvm-fpsimd/src/v6.5/arm.ts'))).toBe(false);

    const manifest = JSON.parse(read(root, 'packages/kvm-fpsimd/manifest.json')) as {
      entries: Record<string, unknown>[];
    };
    expect(manifest.entries.filter((e) => e['revision'] === 'v6.5')).toEqual([
      {
        kernelPath: 'arch/arm64/kvm/fpsimd.c',
        function: 'kvm_demo_load',
        revision: 'v6.5',
        tsSymbol: 'kvm_demo_load',
        tsFile: 'src/v6.5/fpsimd.ts',
        kind: 'ported',
      },
      {
        kernelPath: 'arch/arm64/kvm/fpsimd.c',
        function: 'kvm_demo_put',
        revision: 'v6.5',
        tsSymbol: 'kvm_demo_put',
        tsFile: 'src/v6.5/fpsimd.ts',
        kind: 'ported',
      },
    ]);
    expect(read(root, 'packages/kvm-fpsimd/src/index.ts')).toContain(
      "export * as kvmFpsimdFpsimdV65 from './v6.5/fpsimd.js';",
    );
    expect(laterRevisions(root)).toEqual([{ name: 'v6.5', base: 'v6.4' }]);
    expect(read(root, 'packages/hyp-switch/src/later-revisions.ts')).toContain(
      "{ name: 'v6.5', from: 'v6.4', modules: [kvmFpsimdFpsimdV65] },",
    );
    expect(read(root, 'packages/hyp-switch/src/revisions.ts')).toMatch(/addLaterRevisions\(revisions\);/);
    expect(result.revisionsHook).toBe('added');
    // arm.ts (shared) calls kvm_demo_put directly: the base's code, which the output warns about.
    expect(result.warnings).toEqual([
      expect.stringMatching(
        /^packages\/kvm-fpsimd\/src\/v6\.4\/arm\.ts imports kvm_demo_put from packages\/kvm-fpsimd\/src\/v6\.4\/fpsimd\.ts: those calls still run v6\.4's code/,
      ) as string,
    ]);
    expect(result.next.at(-1)).toBe(
      'compare behaviour: npx kvmfp equiv v6.4 v6.5 fixtures/configs/ref.yaml (and the other configurations in fixtures/configs)',
    );
    expect(listRevisions(root).map((x) => x.name)).toEqual(['v6.4', 'v6.3', 'v6.5']);
  });

  it('the new revision type-checks, runs, and differs from v6.4 only where its copy was edited', () => {
    expect(runRevisions(root)).toEqual({ 'v6.3': [13, 2, 15], 'v6.4': [13, 2, 15], 'v6.5': [13, 2, 15] });
    // Port the made-up patch into the copy: the load adds two.
    const file = join(root, 'packages/kvm-fpsimd/src/v6.5/fpsimd.ts');
    writeFileSync(file, readFileSync(file, 'utf8').replace('demo_helper(n) + 1', 'demo_helper(n) + 2'));
    expect(typecheck(root)).toBe('');
    // kvm_demo_run (shared) calls the load through the entry table, so it sees the copy.
    expect(runRevisions(root)).toEqual({ 'v6.3': [13, 2, 15], 'v6.4': [13, 2, 15], 'v6.5': [14, 2, 16] });
  });

  it('prints the steps for people', async () => {
    const r = await revision(
      root,
      'new',
      'v6.6',
      '--from',
      'v6.5',
      '--files',
      'packages/kvm-fpsimd/src/v6.4/helpers.ts',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('revision v6.6, from v6.5:');
    expect(r.stdout).toContain(
      'copied packages/kvm-fpsimd/src/v6.4/helpers.ts -> packages/kvm-fpsimd/src/v6.6/helpers.ts',
    );
    expect(r.stdout).toContain('entries taken from the copy: none');
    expect(r.stdout).toMatch(
      /warnings:\n {2}- packages\/kvm-fpsimd\/src\/v6\.(4|5)\/fpsimd\.ts imports demo_helper/,
    );
    expect(r.stdout).toContain('4. compare behaviour: npx kvmfp equiv v6.5 v6.6 fixtures/configs/ref.yaml');
    expect(read(root, 'packages/kvm-fpsimd/src/v6.6/helpers.ts')).toContain(
      '// arch/arm64/kvm/helpers.c: demo_helper (v6.6)',
    );
    expect(laterRevisions(root).map((x) => `${x.name}<-${x.base}`)).toEqual(['v6.5<-v6.4', 'v6.6<-v6.5']);
    expect(typecheck(root)).toBe('');
    expect(runRevisions(root)['v6.6']).toEqual([14, 2, 16]);
  });

  it('refuses bad names, unknown bases, existing revisions and files the base does not use', async () => {
    const err = async (...args: string[]) => (await revision(root, ...args)).stderr.trim();
    const file = 'packages/kvm-fpsimd/src/v6.4/fpsimd.ts';
    expect(await err('new', 'fix-1', '--from', 'v6.4', '--files', file)).toBe(
      "revision: NAME: fix-1: expected a revision name like v6.5 (the manifest's revision format)",
    );
    expect(await err('new', 'v6.9', '--from', 'v5.0', '--files', file)).toBe(
      "revision: --from: expected one of v6.4, v6.3, v6.5, v6.6, not 'v5.0'",
    );
    expect(await err('new', 'v6.5', '--from', 'v6.4', '--files', file)).toBe(
      'revision: NAME: revision v6.5 exists already (packages/kvm-fpsimd/src/v6.5)',
    );
    expect(await err('new', 'v6.9', '--from', 'v6.3', '--files', file)).toBe(
      'revision: --files: packages/kvm-fpsimd/src/v6.4/fpsimd.ts: expected a file revision v6.3 uses (it uses packages/kvm-fpsimd/src/v6.3/fpsimd.ts)',
    );
    expect(await err('new', 'v6.9', '--from', 'v6.4', '--files', 'README.md')).toBe(
      'revision: --files: README.md: expected a port file packages/<pkg>/src/<revision>/<file>.ts',
    );
    expect(await err('new', 'v6.9', '--files', file)).toBe(
      'revision: new: expected --from REV (the revision to start from)',
    );
  });

  it('lists the revisions', async () => {
    const r = await revision(root, 'list');
    expect(r.stdout.trim().split('\n')).toEqual([
      'v6.4 (pinned)',
      'v6.3 (from v6.4)',
      'v6.5 (from v6.4)',
      'v6.6 (from v6.5)',
    ]);
  });
});
