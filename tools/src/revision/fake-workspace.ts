// A tiny self-made workspace with the real one's layout, for the tests of `revision new` and
// patch-impact: three packages (@kvmfp/fpsimd with the entry table, @kvmfp/kvm-fpsimd with
// revisions v6.3 and v6.4 of one port file and two shared ones, @kvmfp/hyp-switch with the
// revisions record), a manifest whose hashes come from a self-made kernel tree (kernel/), and
// node_modules links so the code runs and type-checks where it is written. Nothing here is kernel
// code: the C and the ports are made up for the tests.

import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { indexCFile, lookupInIndex } from '../manifest/c-functions.js';

export const FAKE_KERNEL: Record<string, string> = {
  'arch/arm64/kvm/helpers.c': `// Self-made test input (not kernel code).
#define DEMO_SHIFT 2

int demo_helper(int n)
{
	return n << DEMO_SHIFT;
}
`,
  'arch/arm64/kvm/fpsimd.c': `// Self-made test input (not kernel code).

int kvm_demo_load(int n)
{
	/* Scale first, then count the load. */
	return demo_helper(n) + 1;
}

int kvm_demo_put(int n)
{
	return n - 1;
}
`,
  'arch/arm64/kvm/arm.c': `// Self-made test input (not kernel code).

int kvm_demo_run(int n)
{
	return kvm_demo_load(n) + kvm_demo_put(n);
}
`,
};

const packageJson = (name: string, deps: string[] = []) =>
  JSON.stringify(
    {
      name,
      private: true,
      type: 'module',
      exports: { '.': { '@kvmfp/source': './src/index.ts', default: './src/index.ts' } },
      dependencies: Object.fromEntries(deps.map((d) => [d, '*'])),
    },
    null,
    2,
  );

const fpsimdPort = (
  rev: string,
  helpers: string,
) => `// Port of arch/arm64/kvm/fpsimd.c (made up for the tests), revision ${rev}.
import { demo_helper } from '${helpers}';

// arch/arm64/kvm/fpsimd.c: kvm_demo_load (${rev})
export function kvm_demo_load(n: number): number {
  return demo_helper(n) + 1;
}

// arch/arm64/kvm/fpsimd.c: kvm_demo_put (${rev})
export function kvm_demo_put(n: number): number {
  return n - 1;
}
`;

const FILES: Record<string, string> = {
  'package.json': JSON.stringify({ name: 'fake-workspace', private: true, type: 'module' }, null, 2),
  '.prettierrc': JSON.stringify({ singleQuote: true, printWidth: 110 }),
  'tsconfig.json': JSON.stringify(
    {
      compilerOptions: {
        target: 'es2022',
        module: 'nodenext',
        moduleResolution: 'nodenext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
        customConditions: ['@kvmfp/source'],
      },
      include: ['packages/*/src/**/*.ts', 'check.ts'],
    },
    null,
    2,
  ),
  'packages/fpsimd/package.json': packageJson('@kvmfp/fpsimd'),
  'packages/fpsimd/src/index.ts': `export * from './entry-table.js';\n`,
  'packages/fpsimd/src/entry-table.ts': `// The entry table: each port package adds its entries by augmenting EntryTable.
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface EntryTable {}

export const E = {} as EntryTable;

export function installEntries(table: EntryTable): void {
  for (const k of Object.keys(E)) delete (E as unknown as Record<string, unknown>)[k];
  Object.assign(E, table);
}
`,
  'packages/kvm-fpsimd/package.json': packageJson('@kvmfp/kvm-fpsimd', ['@kvmfp/fpsimd']),
  'packages/kvm-fpsimd/src/index.ts': `export * from './entries.js';
export * from './v6.4/arm.js';
export * from './v6.4/helpers.js';
export * as kvmFpsimdV63 from './v6.3/fpsimd.js';
export * as kvmFpsimdV64 from './v6.4/fpsimd.js';
`,
  'packages/kvm-fpsimd/src/entries.ts': `import * as arm from './v6.4/arm.js';
import * as fpsimd63 from './v6.3/fpsimd.js';
import * as fpsimd64 from './v6.4/fpsimd.js';

declare module '@kvmfp/fpsimd' {
  interface EntryTable {
    kvm_demo_load: (n: number) => number;
    kvm_demo_put: (n: number) => number;
    kvm_demo_run: (n: number) => number;
  }
}

export type KvmRevision = 'v6.3' | 'v6.4';

const fp = (m: typeof fpsimd64) => ({ kvm_demo_load: m.kvm_demo_load, kvm_demo_put: m.kvm_demo_put });

export const kvmEntries = {
  'v6.3': { ...fp(fpsimd63), kvm_demo_run: arm.kvm_demo_run },
  'v6.4': { ...fp(fpsimd64), kvm_demo_run: arm.kvm_demo_run },
};
`,
  'packages/kvm-fpsimd/src/v6.4/helpers.ts': `// Port of arch/arm64/kvm/helpers.c (made up for the tests).

// arch/arm64/kvm/helpers.c: demo_helper (v6.4)
export function demo_helper(n: number): number {
  return n << 2;
}
`,
  'packages/kvm-fpsimd/src/v6.4/fpsimd.ts': fpsimdPort('v6.4', './helpers.js'),
  'packages/kvm-fpsimd/src/v6.3/fpsimd.ts': fpsimdPort('v6.3', '../v6.4/helpers.js'),
  'packages/kvm-fpsimd/src/v6.4/arm.ts': `// Port of arch/arm64/kvm/arm.c (made up for the tests).
import { E } from '@kvmfp/fpsimd';
import { kvm_demo_put } from './fpsimd.js';

// arch/arm64/kvm/arm.c: kvm_demo_run (v6.4)
export function kvm_demo_run(n: number): number {
  // The load goes through the entry table; the put is a direct call (revision new warns about it).
  return E.kvm_demo_load(n) + kvm_demo_put(n);
}
`,
  'packages/hyp-switch/package.json': packageJson('@kvmfp/hyp-switch', [
    '@kvmfp/fpsimd',
    '@kvmfp/kvm-fpsimd',
  ]),
  'packages/hyp-switch/src/index.ts': `export * from './revisions.js';\n`,
  'packages/hyp-switch/src/revisions.ts': `// The complete entry table of each revision.

import type { EntryTable } from '@kvmfp/fpsimd';
import { kvmEntries, type KvmRevision } from '@kvmfp/kvm-fpsimd';

export const revisions: Record<KvmRevision, EntryTable> = {
  'v6.3': { ...kvmEntries['v6.3'] },
  'v6.4': { ...kvmEntries['v6.4'] },
};
`,
};

/** The ported kernel functions: [kernel file, function, port file (v6.4), also a v6.3 entry]. */
const PORTED: [string, string, string, boolean][] = [
  ['arch/arm64/kvm/helpers.c', 'demo_helper', 'src/v6.4/helpers.ts', false],
  ['arch/arm64/kvm/fpsimd.c', 'kvm_demo_load', 'src/v6.4/fpsimd.ts', true],
  ['arch/arm64/kvm/fpsimd.c', 'kvm_demo_put', 'src/v6.4/fpsimd.ts', true],
  ['arch/arm64/kvm/arm.c', 'kvm_demo_run', 'src/v6.4/arm.ts', false],
];

function write(root: string, rel: string, text: string): void {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text.endsWith('\n') ? text : `${text}\n`);
}

/** Writes the fake workspace into `root` (an empty directory); its kernel tree is `root`/kernel. */
export async function writeFakeWorkspace(root: string): Promise<void> {
  for (const [rel, text] of Object.entries(FILES)) write(root, rel, text);
  for (const [rel, text] of Object.entries(FAKE_KERNEL)) write(root, join('kernel', rel), text);
  const entries = [];
  for (const [kernelPath, fn, tsFile, v63] of PORTED) {
    const found = lookupInIndex(await indexCFile(FAKE_KERNEL[kernelPath] ?? ''), fn);
    if (found.status !== 'found') throw new Error(`fake kernel lacks ${fn}`);
    for (const revision of v63 ? ['v6.3', 'v6.4'] : ['v6.4'])
      entries.push({
        kernelPath,
        function: fn,
        revision,
        tsSymbol: fn,
        tsFile: tsFile.replace('v6.4', revision),
        bodyHash: found.hash,
        kind: 'ported',
      });
  }
  write(
    root,
    'packages/kvm-fpsimd/manifest.json',
    JSON.stringify({ package: '@kvmfp/kvm-fpsimd', entries }, null, 2),
  );
  mkdirSync(join(root, 'node_modules/@kvmfp'), { recursive: true });
  for (const pkg of ['fpsimd', 'kvm-fpsimd', 'hyp-switch'])
    symlinkSync(join(root, 'packages', pkg), join(root, 'node_modules/@kvmfp', pkg), 'dir');
}
