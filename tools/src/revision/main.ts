// kvmfp revision: revisions of the port for later kernel patches.
//   kvmfp revision new NAME --from v6.4 --files FILE... [--root DIR] [--json]
//   kvmfp revision list [--root DIR]
// Exit status: 0 done, 2 a usage or input error.

import { CliError, isEntryPoint, parseOptions, runMain, type Io } from '../shared/cli.js';
import { WORKSPACE_ROOT } from '../manifest/manifests.js';
import { listRevisions } from './layout.js';
import { formatNewRevision, newRevision } from './new.js';

const USAGE = [
  'usage: kvmfp revision new NAME --from REV --files FILE... [--root DIR] [--json]',
  '       kvmfp revision list [--root DIR]',
  '',
  'new: makes revision NAME for a later kernel patch. Only the given port files',
  '(packages/<pkg>/src/<rev>/<file>.ts, as REV uses them) are copied to packages/<pkg>/src/NAME/;',
  "every other file stays shared with REV. The copies' entry-table functions replace REV's in",
  "NAME's table (packages/hyp-switch/src/later-revisions.ts), their manifest entries are added",
  'without hashes, and the next steps are printed (edit the copies, fill the hashes, kvmfp equiv).',
].join('\n');

const OPTIONS = {
  from: { type: 'string' },
  files: { type: 'string', multiple: true },
  root: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

export async function revisionCli(args: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseOptions({ args, options: OPTIONS, allowPositionals: true });
  const [command, ...rest] = positionals;
  if (v.help || command === undefined) {
    io.out(USAGE);
    return v.help ? 0 : 2;
  }
  const root = v.root ?? WORKSPACE_ROOT;
  if (command === 'list') {
    if (rest.length) throw new CliError(`list: unexpected argument '${rest[0]}'`);
    for (const r of listRevisions(root)) io.out(r.base ? `${r.name} (from ${r.base})` : `${r.name} (pinned)`);
    return 0;
  }
  if (command !== 'new') throw new CliError(`command: expected new or list, not '${command}'`);
  const [name, ...moreFiles] = rest;
  if (name === undefined) throw new CliError('new: expected the NAME of the revision');
  if (v.from === undefined) throw new CliError('new: expected --from REV (the revision to start from)');
  // `--files a b c`: the first value is the option's, the others arrive as positionals.
  const files = [...(v.files ?? []), ...moreFiles];
  const result = await newRevision({ root, name, from: v.from, files });
  io.out(v.json ? JSON.stringify(result, null, 2) : formatNewRevision(result));
  return 0;
}

if (isEntryPoint(import.meta.url)) void runMain('revision', revisionCli);
