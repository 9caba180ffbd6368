// A kernel source that can also list its files and find the ones that mention a name: what drift
// needs to look for a function that left the file the manifest names. Read from a checked-out tree
// or a git directory at one commit, like every other tool here; nothing is stored.

import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from '../shared/cli.js';
import { cachedSource, gitSource, resolveCommit, treeSource, type KernelSource } from '../shared/source.js';

export interface KernelFiles extends KernelSource {
  /** Every .c and .h file under `dir` (a path inside the tree), sorted. */
  listSources(dir: string): string[];
}

const isCSource = (path: string): boolean => /\.[ch]$/.test(path);

function walk(root: string, dir: string, out: string[]): void {
  let entries;
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory()) walk(root, path, out);
    else if (e.isFile() && isCSource(path)) out.push(path);
  }
}

export function treeFiles(root: string): KernelFiles {
  const source = cachedSource(treeSource(root));
  const lists = new Map<string, string[]>();
  return {
    label: source.label,
    read: (path) => source.read(path),
    listSources: (dir) => {
      let list = lists.get(dir);
      if (!list) {
        list = [];
        walk(root, dir, list);
        list.sort();
        lists.set(dir, list);
      }
      return list;
    },
  };
}

export function gitFiles(gitDir: string, commit: string): KernelFiles {
  const full = resolveCommit(gitDir, commit);
  const source = cachedSource(gitSource(gitDir, full));
  const lists = new Map<string, string[]>();
  return {
    label: source.label,
    read: (path) => source.read(path),
    listSources: (dir) => {
      let list = lists.get(dir);
      if (!list) {
        const out = execFileSync(
          'git',
          ['--git-dir', gitDir, 'ls-tree', '-r', '--name-only', full, '--', dir],
          {
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
          },
        );
        list = out.split('\n').filter(isCSource).sort();
        lists.set(dir, list);
      }
      return list;
    },
  };
}

export interface FilesOptions {
  tree?: string;
  gitDir?: string;
  commit?: string;
}

/** Exactly one of --tree or --git-dir with --commit (the option names in messages use `prefix`). */
export function filesFromOptions(opts: FilesOptions, prefix = ''): KernelFiles {
  if (opts.tree !== undefined && opts.gitDir !== undefined)
    throw new CliError(`options: expected either --${prefix}tree or --${prefix}git-dir, not both`);
  if (opts.tree !== undefined) return treeFiles(opts.tree);
  if (opts.gitDir === undefined)
    throw new CliError(
      `options: expected --${prefix}tree PATH or --${prefix}git-dir DIR --${prefix}commit C`,
    );
  if (opts.commit === undefined)
    throw new CliError(`--${prefix}git-dir: expected --${prefix}commit C with it`);
  return gitFiles(opts.gitDir, opts.commit);
}

/** The files among `paths` whose text mentions `name` as a whole word followed by "(" (a definition or call). */
export function filesMentioning(source: KernelSource, paths: readonly string[], name: string): string[] {
  const pattern = new RegExp(`\\b${name}\\s*\\(`);
  return paths.filter((p) => {
    const text = source.read(p);
    return text !== undefined && pattern.test(text);
  });
}
