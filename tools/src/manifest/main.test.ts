import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capture } from '../shared/cli.js';
import { runTool } from '../shared/test-support.js';
import { repoFromGitDir } from './fill.js';
import { loadManifest } from './manifests.js';
import { manifestCli } from './main.js';
import { findUnlisted } from './unlisted.js';

const testdata = join(import.meta.dirname, 'testdata');
const tree = (name: string) => join(testdata, name);
const MANIFEST = join(testdata, 'pkg/manifest.json');

/** A scratch copy of the fixture package whose manifest a test may edit. */
function scratchPackage(edit?: (m: { entries: Record<string, unknown>[] }) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'manifest-'));
  cpSync(join(testdata, 'pkg'), dir, { recursive: true });
  if (edit) {
    const file = join(dir, 'manifest.json');
    const m = JSON.parse(readFileSync(file, 'utf8')) as { entries: Record<string, unknown>[] };
    edit(m);
    writeFileSync(file, JSON.stringify(m, null, 2));
  }
  return join(dir, 'manifest.json');
}

const cli = (...args: string[]) => capture('manifest', manifestCli, args);
const verify = (treeName: string, manifest: string, ...extra: string[]) =>
  cli('verify', '--tree', tree(treeName), '--manifest', manifest, ...extra);

describe('manifest verify', () => {
  it('passes when every hash matches, also after comment-only and reflow changes', async () => {
    for (const t of ['tree', 'tree-reworded']) {
      const r = await verify(t, MANIFEST);
      expect(r.stdout).toMatch(
        /4 entries: 4 matches, 0 mismatches, 0 not found \(1 of other revisions skipped\)/,
      );
      expect(r.status).toBe(0);
    }
  });

  it('exits 1 on a code change in the tree', async () => {
    const r = await verify('tree-changed', MANIFEST);
    expect(r.stdout).toMatch(/mismatch\s+\S+\s+demo_feature_level/);
    expect(r.stdout).toMatch(/1 mismatches/);
    expect(r.status).toBe(1);
  });

  it('exits 1 on a wrong recorded hash, and on an entry that names no function', async () => {
    const wrong = scratchPackage((m) => {
      (m.entries[0] ?? {})['bodyHash'] = '0000000000000000';
      (m.entries[1] ?? {})['function'] = 'demo_twice';
      (m.entries[2] ?? {})['function'] = 'demo_gone';
    });
    const r = await verify('tree', wrong);
    expect(r.stdout).toMatch(
      /mismatch\s+\S+\s+demo_bump\s+arch\/demo\/demo\.c\s+0000000000000000\s+97720f302f67a9a9/,
    );
    expect(r.stdout).toMatch(/not a function\s+\S+\s+demo_twice/);
    expect(r.stdout).toMatch(/not found\s+\S+\s+demo_gone/);
    expect(r.stdout).toMatch(/4 entries: 1 matches, 1 mismatches, 2 not found/);
    expect(r.status).toBe(1);
  });

  it('checks the revision asked for', async () => {
    const r = await verify('tree', MANIFEST, '--rev', 'v6.3');
    expect(r.stdout).toMatch(/1 entries: 0 matches, 1 mismatches/);
    expect(r.status).toBe(1);
  });

  it('exits 2 with one line on a bad manifest or bad options', async () => {
    const bad = scratchPackage((m) => ((m.entries[0] ?? {})['kind'] = 'copied'));
    const r = await verify('tree', bad);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/manifest\.json: entries\[0\]\.kind: expected "ported" or "configuration"/);
    const noSource = await cli('verify', '--manifest', MANIFEST);
    expect(noSource.status).toBe(2);
    expect(noSource.stderr).toBe('manifest: options: expected --tree PATH or --git-dir DIR --commit C\n');
  });
});

describe('manifest fill', () => {
  it('fills hashes and readFrom from a commit of a git directory', async () => {
    const work = mkdtempSync(join(tmpdir(), 'fill-'));
    const gitDir = join(work, 'example+demo-tree', 'repo');
    const wt = join(work, 'wt');
    cpSync(tree('tree'), wt, { recursive: true });
    const git = (...args: string[]) =>
      execFileSync('git', ['--git-dir', gitDir, '--work-tree', wt, ...args], { encoding: 'utf8' });
    execFileSync('git', ['init', '-q', '--bare', gitDir]);
    git('add', '-A');
    git('-c', 'user.name=t', '-c', 'user.email=t@example.invalid', 'commit', '-q', '-m', 'demo');
    const commit = git('rev-parse', 'HEAD').trim();
    const manifest = scratchPackage((m) => {
      for (const e of m.entries) if (e['revision'] === 'v6.4') delete e['bodyHash'];
    });
    const r = await cli(
      'fill',
      '--git-dir',
      gitDir,
      '--commit',
      'HEAD',
      '--rev',
      'v6.4',
      '--manifest',
      manifest,
    );
    expect(r.stdout).toMatch(/4 v6\.4 entries, 4 updated, 0 not found/);
    expect(r.status).toBe(0);
    const filled = loadManifest(manifest).manifest.entries;
    const original = loadManifest(MANIFEST).manifest.entries;
    expect(filled.map((e) => e.bodyHash)).toEqual(original.map((e) => e.bodyHash));
    expect(filled[0]?.readFrom).toEqual({ repo: 'example/demo-tree', commit });
    expect(readFileSync(manifest, 'utf8')).toMatch(/^\{\n {2}"package": "@kvmfp\/demo",\n/);
  });

  it('derives owner/name from a mirror path', () => {
    expect(repoFromGitDir('/work/.mirror/julianw1010+WASP-linux-6.4.0/repo')).toBe(
      'julianw1010/WASP-linux-6.4.0',
    );
    expect(repoFromGitDir('/somewhere/else.git')).toBeUndefined();
  });
});

describe('manifest unlisted', () => {
  it('is clean for the fixture package', async () => {
    expect(findUnlisted([loadManifest(MANIFEST)])).toEqual([]);
    const r = await cli('unlisted', '--manifest', MANIFEST);
    expect(r.stdout).toMatch(/1 manifests: 0 problems/);
    expect(r.status).toBe(0);
  });

  it('catches an exported kernel function with no entry, and an entry naming no export', async () => {
    const manifest = scratchPackage((m) => {
      m.entries = m.entries.filter((e) => e['function'] !== 'demo_flush');
      (m.entries[0] ?? {})['tsSymbol'] = 'demo_bumps';
    });
    const problems = findUnlisted([loadManifest(manifest)]).map(
      (p) => `${p.problem}: ${p.tsFile}#${p.tsSymbol}`,
    );
    // demo_bump is still listed, by its v6.3 entry.
    expect(problems.sort()).toEqual([
      'no manifest entry: src/v6.4/demo.ts#demo_flush',
      'not exported: src/v6.4/demo.ts#demo_bumps',
    ]);
    const r = await cli('unlisted', '--manifest', manifest);
    expect(r.stdout).toMatch(/no manifest entry\s+\S+\s+src\/v6\.4\/demo\.ts\s+demo_flush/);
    expect(r.status).toBe(1);
  });

  it('accepts a whole-file exemption, and flags one naming a file that does not exist', () => {
    const manifest = scratchPackage((m) => {
      m.entries = [];
      (m as { exempt?: unknown[] }).exempt = [
        { tsFile: 'src/v6.4/demo.ts', reason: 'macros' },
        { tsFile: 'src/v6.4/gone.ts', reason: 'x' },
      ];
    });
    expect(findUnlisted([loadManifest(manifest)])).toEqual([
      {
        manifest: expect.stringMatching(/manifest\.json$/) as unknown,
        problem: 'no such file',
        tsFile: 'src/v6.4/gone.ts',
        tsSymbol: '*',
      },
    ]);
  });
});

describe('manifest CLI as a process', () => {
  it('exits 1 on a mismatch and 2 with one line (no stack trace) on a bad manifest', () => {
    const mismatch = runTool('manifest/main.ts', [
      'verify',
      '--tree',
      tree('tree-changed'),
      '--manifest',
      MANIFEST,
    ]);
    expect(mismatch.status).toBe(1);
    expect(mismatch.stdout).toMatch(/1 mismatches/);
    const bad = runTool('manifest/main.ts', [
      'verify',
      '--tree',
      tree('tree'),
      '--manifest',
      join(testdata, 'absent.json'),
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/^manifest: \S*absent\.json: expected a manifest file\n$/);
  });
});
