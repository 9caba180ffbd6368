// patch-impact: what a kernel patch does to the port.
//   kvmfp patch-impact PATCH (--tree PATH | --git-dir DIR --commit C)
//       [--manifest FILE...] [--json]
// Exit status: 0 every hunk was placed in the tree, 1 some hunk or file could not be, 2 a usage or
// input error.

import { existsSync, readFileSync } from 'node:fs';
import { CliError, isEntryPoint, parseOptions, runMain, type Io } from '../shared/cli.js';
import { sourceFromOptions } from '../shared/source.js';
import { formatTable } from '../shared/table.js';
import { loadManifests, WORKSPACE_ROOT } from '../manifest/manifests.js';
import { analysePatch, type PatchImpact, type PortedIn } from './impact.js';
import { parsePatch } from './patch.js';

const USAGE = [
  'usage: kvmfp patch-impact PATCH (--tree PATH | --git-dir DIR --commit C) [--manifest FILE...] [--json]',
  '',
  "PATCH is a plain unified diff or a patch as mailed (mbox, or a list archive's text). Each hunk",
  'is applied in memory to the file read from the tree (in reverse when the tree already has the',
  'patch); the touched functions are compared by their normalised hash (comment-only or code), and',
  'matched with the manifests: where each is ported per revision, the entry-table entries affected,',
  'and the next steps.',
].join('\n');

const OPTIONS = {
  tree: { type: 'string' },
  'git-dir': { type: 'string' },
  commit: { type: 'string' },
  manifest: { type: 'string', multiple: true },
  root: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

function hashCell(p: PortedIn): string {
  return p.matches === 'no hash' ? 'no hash' : p.matches === 'neither' ? 'neither side' : `= ${p.matches}`;
}

function entryCell(p: PortedIn): string {
  if (p.entries.length) return p.entries.join(', ');
  if (p.reachedThrough.length) return `via ${p.reachedThrough.join(', ')}`;
  return '-';
}

export function formatImpact(impact: PatchImpact): string {
  const lines: string[] = [];
  lines.push(`patch: ${impact.subject ?? '(no subject)'}`);
  if (impact.from || impact.date) lines.push(`  ${[impact.from, impact.date].filter(Boolean).join(', ')}`);
  lines.push(`tree: ${impact.tree}`, '');
  for (const f of impact.files) {
    const how = {
      forward: 'applies',
      reverse: 'applies in reverse (the tree already contains this patch)',
      'per hunk': 'applies hunk by hunk only',
      'no file': 'not in the tree',
      'does not apply': 'does not apply, forward or in reverse',
    }[f.mode];
    lines.push(`${f.path}: ${how}${f.ported ? '' : '; no ported function in this file'}`);
    for (const h of f.hunks) {
      const where =
        h.line !== undefined
          ? ` (line ${h.line}${h.offset ? `, offset ${h.offset > 0 ? '+' : ''}${h.offset}` : ''})`
          : '';
      lines.push(`  hunk ${h.index} ${h.header}${where}${h.applies === 'no' ? ': does not apply' : ''}`);
      const rows: string[][] = [];
      for (const fn of h.functions) {
        const first = [fn.function, fn.change];
        if (fn.ported.length === 0) rows.push([...first, 'not ported', '', '', '']);
        fn.ported.forEach((p, i) =>
          rows.push([
            ...(i === 0 ? first : ['', '']),
            `${p.package.replace('@kvmfp/', '')} ${p.tsFile}${p.shared ? ' (shared)' : ''}`,
            p.revision,
            hashCell(p),
            entryCell(p),
          ]),
        );
      }
      if (rows.length)
        lines.push(
          ...formatTable(['function', 'change', 'port', 'revision', 'recorded hash', 'entry table'], rows)
            .split('\n')
            .map((l) => `    ${l}`),
        );
      if (h.outside) lines.push(`    outside functions: ${h.outside}`);
      if (!rows.length && !h.outside && h.applies !== 'no') lines.push('    no function touched');
    }
    lines.push('');
  }
  const verdict = impact.behaviourChange
    ? `code change: behaviour may change (${[...impact.codeChanged, ...impact.outsideCode].join(', ')})`
    : impact.commentOnly.length
      ? `comment-only: no behaviour change (${impact.commentOnly.join(', ')})`
      : 'no ported function touched';
  lines.push(`verdict: ${verdict}${impact.incomplete ? '; incomplete: some hunks could not be placed' : ''}`);
  if (impact.next.length) lines.push('next:', ...impact.next.map((n) => `  - ${n}`));
  return lines.join('\n');
}

export async function patchImpactCli(args: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parseOptions({ args, options: OPTIONS, allowPositionals: true });
  if (v.help) {
    io.out(USAGE);
    return 0;
  }
  const [file, ...extra] = positionals;
  if (file === undefined) throw new CliError('options: expected a PATCH file');
  if (extra.length) throw new CliError(`options: unexpected argument '${extra[0]}'`);
  if (!existsSync(file)) throw new CliError(`${file}: expected a patch file`);
  const patch = parsePatch(readFileSync(file, 'utf8'), file);
  const source = sourceFromOptions({ tree: v.tree, gitDir: v['git-dir'], commit: v.commit });
  const impact = await analysePatch({
    patch,
    source,
    manifests: loadManifests(v.manifest, v.root ?? WORKSPACE_ROOT),
    root: v.root ?? WORKSPACE_ROOT,
  });
  io.out(v.json ? JSON.stringify(impact, null, 2) : formatImpact(impact));
  return impact.incomplete ? 1 : 0;
}

if (isEntryPoint(import.meta.url)) void runMain('patch-impact', patchImpactCli);
