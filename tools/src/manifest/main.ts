// The port manifest CLI.
//   kvmfp manifest verify (--tree PATH | --git-dir DIR --commit C) [--rev v6.4] [--manifest FILE...]
//   kvmfp manifest fill --git-dir DIR --commit C --rev v6.4 --manifest FILE [--repo OWNER/NAME]
//   kvmfp manifest unlisted [--manifest FILE...]
// Exit status: 0 all good, 1 a mismatch / not found / unlisted symbol, 2 a usage or input error.

import { CliError, isEntryPoint, parseOptions, runMain, type Io } from '../shared/cli.js';
import { resolveCommit, sourceFromOptions } from '../shared/source.js';
import { formatTable } from '../shared/table.js';
import { fillManifest, repoFromGitDir } from './fill.js';
import { loadManifest, loadManifests, writeManifest } from './manifests.js';
import { KernelIndex, verifyFailed, verifyManifests, verifySummary } from './verify.js';

const USAGE = [
  'usage: kvmfp manifest verify (--tree PATH | --git-dir DIR --commit C) [--rev v6.4] [--manifest FILE...]',
  '       kvmfp manifest fill --git-dir DIR --commit C --rev REV --manifest FILE [--repo OWNER/NAME]',
  '       kvmfp manifest unlisted [--manifest FILE...]',
].join('\n');

const OPTIONS = {
  tree: { type: 'string' },
  'git-dir': { type: 'string' },
  commit: { type: 'string' },
  rev: { type: 'string' },
  repo: { type: 'string' },
  manifest: { type: 'string', multiple: true },
  help: { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parse>['values'];

function parse(args: string[]) {
  return parseOptions({ args, options: OPTIONS, allowPositionals: true });
}

async function verifyCommand(v: Values, io: Io): Promise<number> {
  const source = sourceFromOptions({ tree: v.tree, gitDir: v['git-dir'], commit: v.commit });
  const rev = v.rev ?? 'v6.4';
  const result = await verifyManifests(loadManifests(v.manifest), new KernelIndex(source), rev);
  const rows = result.rows.map((r) => [
    r.status,
    r.manifest,
    r.entry.function,
    r.entry.kernelPath,
    r.entry.bodyHash ?? '-',
    r.actual ?? '-',
    r.detail ?? '',
  ]);
  io.out(`manifest verify ${rev} against ${source.label}`);
  if (rows.length)
    io.out(
      formatTable(['status', 'manifest', 'function', 'kernel file', 'recorded', 'computed', 'note'], rows),
    );
  io.out(verifySummary(result));
  return verifyFailed(result) ? 1 : 0;
}

function need(v: Values, name: 'git-dir' | 'commit' | 'rev'): string {
  const value = v[name];
  if (value === undefined) throw new CliError(`fill: expected --${name}`);
  return value;
}

async function fillCommand(v: Values, io: Io): Promise<number> {
  const gitDir = need(v, 'git-dir');
  const commit = resolveCommit(gitDir, need(v, 'commit'));
  const rev = need(v, 'rev');
  if (v.tree !== undefined)
    throw new CliError('fill: expected --git-dir, not --tree (readFrom names a commit)');
  if (!v.manifest || v.manifest.length !== 1)
    throw new CliError('fill: expected exactly one --manifest FILE');
  const repo = v.repo ?? repoFromGitDir(gitDir);
  if (repo === undefined)
    throw new CliError(`fill: expected --repo OWNER/NAME (cannot tell it from ${gitDir})`);
  const loaded = loadManifest(v.manifest[0] ?? '');
  const index = new KernelIndex(sourceFromOptions({ gitDir, commit }));
  const rows = await fillManifest(loaded, index, rev, { repo, commit });
  await writeManifest(loaded);
  io.out(
    formatTable(
      ['status', 'function', 'kernel file', 'hash'],
      rows.map((r) => [r.status, r.entry.function, r.entry.kernelPath, r.hash ?? '-']),
    ),
  );
  const failed = rows.filter((r) => r.status === 'not found' || r.status === 'not a function').length;
  io.out(
    `${loaded.label}: ${rows.length} ${rev} entries, ${rows.filter((r) => r.status === 'updated').length} updated, ${failed} not found`,
  );
  return failed > 0 ? 1 : 0;
}

async function unlistedCommand(v: Values, io: Io): Promise<number> {
  // Loaded on demand: the TypeScript compiler is large and only this command needs it.
  const { findUnlisted } = await import('./unlisted.js');
  const manifests = loadManifests(v.manifest);
  const problems = findUnlisted(manifests);
  if (problems.length) {
    io.out(
      formatTable(
        ['problem', 'manifest', 'tsFile', 'tsSymbol'],
        problems.map((p) => [p.problem, p.manifest, p.tsFile, p.tsSymbol]),
      ),
    );
  }
  io.out(`${manifests.length} manifests: ${problems.length} problems`);
  return problems.length > 0 ? 1 : 0;
}

export async function manifestCli(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args);
  const [command, ...extra] = positionals;
  if (values.help || command === undefined) {
    io.out(USAGE);
    return values.help ? 0 : 2;
  }
  if (extra.length) throw new CliError(`${command}: unexpected argument '${extra[0]}'`);
  if (command === 'verify') return verifyCommand(values, io);
  if (command === 'fill') return fillCommand(values, io);
  if (command === 'unlisted') return unlistedCommand(values, io);
  throw new CliError(`command: expected verify, fill or unlisted, not '${command}'`);
}

if (isEntryPoint(import.meta.url)) void runMain('manifest', manifestCli);
