// drift: where every ported kernel function of one revision stands in another kernel tree.
//   kvmfp drift (--tree PATH | --git-dir DIR --commit C)
//       [--rev v6.4] [--base-tree PATH | --base-git-dir DIR --base-commit C] [--manifest FILE...]
//       [--hints FILE] [--json | --markdown] [--classes LIST]
// Exit status: 0 report written (drift is a finding, not a failure), 2 a usage or input error.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, isEntryPoint, parseOptions, runMain, type Io } from '../shared/cli.js';
import type { KernelSource } from '../shared/source.js';
import { loadManifests } from '../manifest/manifests.js';
import type { ManifestEntry } from '../manifest/schema.js';
import { computeDrift, DRIFT_CLASSES, type DriftClass, type RenameHint } from './drift.js';
import { driftJson, driftMarkdown, driftTable } from './format.js';
import { filesFromOptions, gitFiles } from './kernel-files.js';

const USAGE = [
  'usage: kvmfp drift (--tree PATH | --git-dir DIR --commit C) [--rev v6.4]',
  '                   [--base-tree PATH | --base-git-dir DIR --base-commit C] [--manifest FILE...]',
  '                   [--hints FILE] [--json | --markdown] [--classes unchanged,comment-only,...]',
  '',
  'Classifies every manifest entry of the revision against the tree: unchanged, comment-only,',
  'code change, renamed/moved, gone; and lists the functions new to the tree in the ported files.',
  "The base (the text each entry was ported from) is read where the entry's readFrom says, from",
  'the mirror at $KVMFP_MIRRORS/<owner>+<name>/repo (default /work/.mirror), unless given.',
].join('\n');

const OPTIONS = {
  tree: { type: 'string' },
  'git-dir': { type: 'string' },
  commit: { type: 'string' },
  rev: { type: 'string' },
  'base-tree': { type: 'string' },
  'base-git-dir': { type: 'string' },
  'base-commit': { type: 'string' },
  manifest: { type: 'string', multiple: true },
  hints: { type: 'string' },
  json: { type: 'boolean' },
  markdown: { type: 'boolean' },
  classes: { type: 'string' },
  help: { type: 'boolean' },
} as const;

export const DEFAULT_HINTS = join(import.meta.dirname, 'hints.json');

export const mirrorRoot = (): string => process.env['KVMFP_MIRRORS'] ?? '/work/.mirror';

/** The git directory of the mirror holding a repository, by this project's convention. */
export const mirrorOf = (repo: string): string => join(mirrorRoot(), repo.replace('/', '+'), 'repo');

/** Each entry's base: the tree and commit its readFrom names, read through the local mirror. */
export function readFromBases(): (entry: ManifestEntry) => KernelSource | undefined {
  const sources = new Map<string, KernelSource | undefined>();
  return (entry) => {
    const from = entry.readFrom;
    if (!from) return undefined;
    const key = `${from.repo}@${from.commit}`;
    if (!sources.has(key)) {
      const dir = mirrorOf(from.repo);
      sources.set(key, existsSync(dir) ? gitFiles(dir, from.commit) : undefined);
    }
    return sources.get(key);
  };
}

export function loadHints(file: string): RenameHint[] {
  if (!existsSync(file)) throw new CliError(`--hints: ${file}: expected a hints file`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(`${file}: expected JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const list = (json as { renames?: unknown }).renames;
  if (!Array.isArray(list)) throw new CliError(`${file}: renames: expected a list`);
  return list.map((h: unknown, i) => {
    const r = h as Partial<RenameHint>;
    if (typeof r.function !== 'string' || typeof r.renamedTo !== 'string')
      throw new CliError(`${file}: renames[${i}]: expected "function" and "renamedTo" names`);
    return r as RenameHint;
  });
}

function parseClasses(list: string | undefined): Set<DriftClass> | undefined {
  if (list === undefined) return undefined;
  const chosen = list.split(',').map((c) => c.trim());
  for (const c of chosen)
    if (!(DRIFT_CLASSES as readonly string[]).includes(c))
      throw new CliError(`--classes: expected some of ${DRIFT_CLASSES.join(', ')}, not '${c}'`);
  return new Set(chosen as DriftClass[]);
}

export async function driftCli(args: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseOptions({ args, options: OPTIONS, allowPositionals: true });
  if (v.help) {
    io.out(USAGE);
    return 0;
  }
  if (positionals.length) throw new CliError(`options: unexpected argument '${positionals[0]}'`);
  if (v.json && v.markdown) throw new CliError('options: expected --json or --markdown, not both');
  const tree = filesFromOptions({ tree: v.tree, gitDir: v['git-dir'], commit: v.commit });
  const override =
    v['base-tree'] !== undefined || v['base-git-dir'] !== undefined
      ? filesFromOptions(
          { tree: v['base-tree'], gitDir: v['base-git-dir'], commit: v['base-commit'] },
          'base-',
        )
      : undefined;
  const classes = parseClasses(v.classes);
  const report = await computeDrift({
    manifests: loadManifests(v.manifest),
    revision: v.rev ?? 'v6.4',
    tree,
    baseFor: override ? () => override : readFromBases(),
    hints: loadHints(v.hints ?? DEFAULT_HINTS),
  });
  if (report.rows.length === 0)
    throw new CliError(`--rev: no manifest entries of revision ${report.revision}`);
  if (report.bases.length === 0)
    throw new CliError(
      `base: no text to compare with (no mirror of the entries' readFrom under ${mirrorRoot()}); give --base-git-dir DIR --base-commit C or --base-tree PATH`,
    );
  if (v.json) io.out(driftJson(report));
  else if (v.markdown) io.out(driftMarkdown(report, classes));
  else io.out(driftTable(report, classes));
  return 0;
}

if (isEntryPoint(import.meta.url)) void runMain('drift', driftCli);
