// patch-impact on real inputs: the seed (patch 3/3 of Mark Brown's series, read from the shared
// seeds directory, never copied here) against v6.3.8 and v6.4, and patches made at run time from
// one function's difference between a Debian tree and v6.4. Each test skips, saying why, when its
// input is absent; CI provides the trees.

import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { capture } from '../shared/cli.js';
import { gitSource } from '../shared/source.js';
import { haveV64, skipNote, V64_COMMIT, V64_GIT_DIR, V64_MISSING } from '../shared/test-support.js';
import { indexCFile, lookupInIndex } from '../manifest/c-functions.js';
import { DEBIAN_TREES, type DebianTree } from '../drift/kernel-trees.js';
import { treeFiles } from '../drift/kernel-files.js';
import type { PatchImpact } from './impact.js';
import { patchImpactCli } from './main.js';
import { asMail, replaceFunction, unifiedDiff } from './test-support.js';

const SEEDS = '/work/shared/seeds';
const seed = existsSync(SEEDS) ? readdirSync(SEEDS).find((f) => f.startsWith('000_')) : undefined;
const SEED_MISSING = `no seed patch in ${SEEDS}`;
const V63_GIT_DIR = '/work/.mirror/SToPire+linux-6.3.8/repo';
const V63_ROOT = '15edfdde6504';
const haveV63 = existsSync(V63_GIT_DIR);
const V63_MISSING = `no v6.3.8 mirror at ${V63_GIT_DIR}`;

const impactOf = async (patch: string, ...source: string[]) => {
  const r = await capture('patch-impact', patchImpactCli, [patch, ...source]);
  return { ...r, text: r.stdout };
};
const v64 = ['--git-dir', V64_GIT_DIR, '--commit', V64_COMMIT];

describe('patch-impact on the seed (patch 3/3: KVM: arm64: Clarify host SME state management)', () => {
  const seedFile = seed ? join(SEEDS, seed) : '';
  const expectSeedAnswer = (stdout: string): void => {
    expect(stdout).toMatch(
      /kvm_arch_vcpu_load_fp +comment-only +kvm-fpsimd src\/v6\.4\/fpsimd\.ts +v6\.4 += before and after +kvm_arch_vcpu_load_fp/,
    );
    expect(stdout).toContain('verdict: comment-only: no behaviour change (kvm_arch_vcpu_load_fp)');
    expect(stdout).toContain(
      'kvm_arch_vcpu_load_fp: comment-only, no behaviour change; compare the comments of packages/kvm-fpsimd/src/v6.4/fpsimd.ts (kvm_arch_vcpu_load_fp, revision v6.4)',
    );
  };

  const missing63 = !seed ? SEED_MISSING : !haveV63 ? V63_MISSING : undefined;
  it.skipIf(missing63 !== undefined)(
    `applies forward to v6.3.8 (5 lines up: patches 1/3 and 2/3 are not there)${skipNote(!missing63, missing63 ?? '')}`,
    async () => {
      const r = await impactOf(seedFile, '--git-dir', V63_GIT_DIR, '--commit', V63_ROOT);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('patch: [PATCH v2 3/3] KVM: arm64: Clarify host SME state management');
      expect(r.stdout).toContain('arch/arm64/kvm/fpsimd.c: applies\n');
      expect(r.stdout).toContain('(line 87, offset -5)');
      expectSeedAnswer(r.stdout);
    },
  );

  const missing64 = !seed ? SEED_MISSING : !haveV64 ? V64_MISSING : undefined;
  it.skipIf(missing64 !== undefined)(
    `applies in reverse to v6.4, which contains it${skipNote(!missing64, missing64 ?? '')}`,
    async () => {
      const r = await impactOf(seedFile, ...v64, '--json');
      const impact = JSON.parse(r.stdout) as PatchImpact;
      expect(impact.files.map((f) => [f.path, f.mode])).toEqual([['arch/arm64/kvm/fpsimd.c', 'reverse']]);
      expect(impact.commentOnly).toEqual(['kvm_arch_vcpu_load_fp']);
      expect(impact.codeChanged).toEqual([]);
      expect(impact.behaviourChange).toBe(false);
      const fn = impact.files[0]?.hunks[0]?.functions;
      expect(
        fn?.map((f) => [
          f.function,
          f.change,
          f.ported.map((p) => `${p.revision} ${p.tsFile} ${p.entries.join()}`),
        ]),
      ).toEqual([
        [
          'kvm_arch_vcpu_load_fp',
          'comment-only',
          ['v6.4 src/v6.4/fpsimd.ts kvm_arch_vcpu_load_fp', 'v6.3 src/v6.3/fpsimd.ts kvm_arch_vcpu_load_fp'],
        ],
      ]);
      expectSeedAnswer((await impactOf(seedFile, ...v64)).stdout);
    },
  );
});

/** A patch to v6.4 that makes one function what a Debian tree has, made now, written to a scratch file. */
async function debianPatch(tree: DebianTree, path: string, fn: string, mail?: string): Promise<string> {
  const base = gitSource(V64_GIT_DIR, V64_COMMIT).read(path) ?? '';
  const later = treeFiles(tree.dir).read(path) ?? '';
  const a = lookupInIndex(await indexCFile(base), fn);
  const b = lookupInIndex(await indexCFile(later), fn);
  if (a.status !== 'found' || b.status !== 'found') throw new Error(`${fn} not in both trees`);
  const diff = unifiedDiff(path, base, replaceFunction(base, a.fn.text, b.fn.text));
  const file = join(mkdtempSync(join(tmpdir(), 'patch-impact-')), `${fn}.patch`);
  writeFileSync(file, mail ? asMail(diff, mail) : diff);
  return file;
}

describe('patch-impact on patches made from the Debian trees', () => {
  const { linux61, linux612 } = DEBIAN_TREES;
  const missing612 = linux612.missing ?? (haveV64 ? undefined : V64_MISSING);
  const missing61 = linux61.missing ?? (haveV64 ? undefined : V64_MISSING);

  it.skipIf(missing612 !== undefined)(
    `6.12's fpsimd_restore_current_state: comment-only, an entry of the host table${skipNote(!missing612, missing612 ?? '')}`,
    async () => {
      const r = await impactOf(
        await debianPatch(linux612, 'arch/arm64/kernel/fpsimd.c', 'fpsimd_restore_current_state'),
        ...v64,
      );
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(
        /fpsimd_restore_current_state +comment-only +fpsimd src\/v6\.4\/fpsimd\.ts +v6\.4 += before and after +fpsimd_restore_current_state/,
      );
      expect(r.stdout).toMatch(/fpsimd src\/v6\.4\/fpsimd\.ts \(shared\) +v6\.3 /);
      expect(r.stdout).toContain('verdict: comment-only: no behaviour change (fpsimd_restore_current_state)');
    },
  );

  it.skipIf(missing612 !== undefined)(
    `6.12's kvm_arch_vcpu_put_fp, mailed: code, a new revision from v6.4 with kvm-fpsimd's fpsimd.ts${skipNote(!missing612, missing612 ?? '')}`,
    async () => {
      const patch = await debianPatch(
        linux612,
        'arch/arm64/kvm/fpsimd.c',
        'kvm_arch_vcpu_put_fp',
        'KVM: arm64: kvm_arch_vcpu_put_fp as Debian 6.12 has it',
      );
      const r = await impactOf(patch, ...v64, '--json');
      const impact = JSON.parse(r.stdout) as PatchImpact;
      expect(impact.subject).toBe('[PATCH] KVM: arm64: kvm_arch_vcpu_put_fp as Debian 6.12 has it');
      expect(impact.codeChanged).toEqual(['kvm_arch_vcpu_put_fp']);
      const ported = impact.files[0]?.hunks
        .flatMap((h) => h.functions)
        .find((f) => f.function === 'kvm_arch_vcpu_put_fp')?.ported;
      expect(ported?.map((p) => [p.revision, p.tsFile, p.matches, p.entries])).toEqual([
        ['v6.4', 'src/v6.4/fpsimd.ts', 'before', ['kvm_arch_vcpu_put_fp']],
        ['v6.3', 'src/v6.3/fpsimd.ts', 'before', ['kvm_arch_vcpu_put_fp']],
      ]);
      expect(impact.next).toContain(
        'code changes in kvm_arch_vcpu_put_fp: make a revision for the patch, based on v6.4: npx kvmfp revision new v6.5 --from v6.4 --files packages/kvm-fpsimd/src/v6.4/fpsimd.ts',
      );
    },
  );

  it.skipIf(missing61 !== undefined)(
    `6.1's sve_to_fpsimd: code in a helper, reached through entries${skipNote(!missing61, missing61 ?? '')}`,
    async () => {
      const r = await impactOf(
        await debianPatch(linux61, 'arch/arm64/kernel/fpsimd.c', 'sve_to_fpsimd'),
        ...v64,
        '--json',
      );
      const impact = JSON.parse(r.stdout) as PatchImpact;
      expect(impact.codeChanged).toEqual(['sve_to_fpsimd']);
      const v64port = impact.files[0]?.hunks[0]?.functions[0]?.ported.find((p) => p.revision === 'v6.4');
      expect(v64port).toMatchObject({ tsFile: 'src/v6.4/fpsimd.ts', matches: 'before', entries: [] });
      // Which entries reach it depends on the port's call graph; at least one must.
      expect(v64port?.reachedThrough.length).toBeGreaterThan(0);
      expect(
        impact.next.some(
          (n) =>
            n.startsWith('code changes in sve_to_fpsimd') &&
            n.includes('--files packages/fpsimd/src/v6.4/fpsimd.ts'),
        ),
      ).toBe(true);
    },
  );
});
