// The side-by-side reader: a static site with every manifest entry's port beside the kernel
// function read from the user's tree.
//   kvmfp read (--tree PATH | --git-dir DIR --commit C) --out DIR
//       [--manifest FILE...] [--traces FILE|DIR...] [--no-run-fixtures]
// Exit status: 0 site written, 2 a usage or input error.

import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError, isEntryPoint, parseOptions, runMain, type Io } from '../shared/cli.js';
import { sourceFromOptions } from '../shared/source.js';
import { loadManifests, WORKSPACE_ROOT } from '../manifest/manifests.js';

const USAGE = [
  'usage: kvmfp read (--tree PATH | --git-dir DIR --commit C) --out DIR',
  '                  [--manifest FILE...] [--traces FILE|DIR...] [--no-run-fixtures]',
  '',
  "Writes a static site: each manifest entry's TypeScript beside the kernel function read from",
  'the given tree now (never stored in the repository), its hash status, the calls between ported',
  'functions both ways, and the fixtures that name or run it. --traces takes `kvmfp run --json`',
  'output; without --no-run-fixtures the fixture scenarios are also run with the sim.',
  '--kernel-tree PATH is the older name of --tree PATH.',
].join('\n');

const OPTIONS = {
  'kernel-tree': { type: 'string' },
  tree: { type: 'string' },
  'git-dir': { type: 'string' },
  commit: { type: 'string' },
  out: { type: 'string' },
  manifest: { type: 'string', multiple: true },
  traces: { type: 'string', multiple: true },
  'run-fixtures': { type: 'boolean', default: true },
  help: { type: 'boolean' },
} as const;

export async function readerCli(args: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseOptions({
    args,
    options: OPTIONS,
    allowPositionals: true,
    allowNegative: true,
  });
  if (v.help) {
    io.out(USAGE);
    return 0;
  }
  if (positionals.length) throw new CliError(`options: unexpected argument '${positionals[0]}'`);
  if (v.out === undefined) throw new CliError('options: expected --out DIR');
  if (v['kernel-tree'] !== undefined && v.tree !== undefined)
    throw new CliError('options: expected --kernel-tree or --tree, not both');
  const tree = v['kernel-tree'];
  if (tree !== undefined && !(existsSync(tree) && statSync(tree).isDirectory()))
    throw new CliError(`--kernel-tree: ${tree}: expected a kernel source directory`);
  const source = sourceFromOptions({
    tree: v['kernel-tree'] ?? v.tree,
    gitDir: v['git-dir'],
    commit: v.commit,
  });
  const outDir = resolve(v.out);
  const manifests = loadManifests(v.manifest);
  // Loaded on demand: shiki, tree-sitter and the TypeScript compiler are slow to load.
  const { buildSite } = await import('./site.js');
  const { model, files } = await buildSite({
    manifests,
    source,
    outDir,
    root: WORKSPACE_ROOT,
    fixturesDir: resolve(WORKSPACE_ROOT, 'fixtures'),
    traces: v.traces,
    runFixtures: v['run-fixtures'],
    note: (line) => io.err(`read: ${line}`),
  });
  const n = (s: string): number => model.entries.filter((e) => e.status === s).length;
  io.out(
    `read: ${model.entries.length} entries from ${manifests.length} manifests against ${source.label}: ` +
      `${n('matches')} match, ${n('drifted')} drifted, ${n('not found')} not found` +
      (n('no hash') ? `, ${n('no hash')} without a hash` : ''),
  );
  io.out(`read: ${files.length} files in ${outDir}; open ${resolve(outDir, 'index.html')}`);
  return 0;
}

if (isEntryPoint(import.meta.url)) void runMain('read', readerCli);
