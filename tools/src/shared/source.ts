// Reading kernel text from either a checked-out tree or a bare git directory at one commit. The
// tools never store kernel text: they read it from the user's tree each time they run.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CliError } from './cli.js';

export interface KernelSource {
  /** One line saying where the text comes from, for report headers. */
  readonly label: string;
  /** The file's text, or undefined when the path does not exist there. */
  read(path: string): string | undefined;
}

export function treeSource(root: string): KernelSource {
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new CliError(`--tree: ${root}: expected a kernel source directory`);
  }
  return {
    label: `tree ${root}`,
    read: (path) => {
      const file = join(root, path);
      return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
    },
  };
}

function git(gitDir: string, args: string[]): string {
  return execFileSync('git', ['--git-dir', gitDir, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The full 40-hex commit id a name resolves to, or a CliError naming what was expected. */
export function resolveCommit(gitDir: string, commit: string): string {
  if (!existsSync(gitDir)) throw new CliError(`--git-dir: ${gitDir}: expected a git directory`);
  try {
    return git(gitDir, ['rev-parse', '--verify', '--quiet', `${commit}^{commit}`]).trim();
  } catch {
    throw new CliError(`--commit: ${commit}: expected a commit of ${gitDir}`);
  }
}

export function gitSource(gitDir: string, commit: string): KernelSource {
  const full = resolveCommit(gitDir, commit);
  return {
    label: `git ${gitDir} @ ${full.slice(0, 12)}`,
    read: (path) => {
      try {
        return git(gitDir, ['show', `${full}:${path}`]);
      } catch {
        return undefined;
      }
    },
  };
}

/** Memoises reads: verify reads the same kernel file once per manifest run, not once per entry. */
export function cachedSource(source: KernelSource): KernelSource {
  const cache = new Map<string, string | undefined>();
  return {
    label: source.label,
    read: (path) => {
      if (!cache.has(path)) cache.set(path, source.read(path));
      return cache.get(path);
    },
  };
}

export interface SourceOptions {
  tree?: string;
  gitDir?: string;
  commit?: string;
}

/** Exactly one of --tree or --git-dir with --commit. */
export function sourceFromOptions(opts: SourceOptions): KernelSource {
  if (opts.tree !== undefined && opts.gitDir !== undefined) {
    throw new CliError('options: expected either --tree or --git-dir, not both');
  }
  if (opts.tree !== undefined) return cachedSource(treeSource(opts.tree));
  if (opts.gitDir === undefined)
    throw new CliError('options: expected --tree PATH or --git-dir DIR --commit C');
  if (opts.commit === undefined) throw new CliError('--git-dir: expected --commit C with it');
  return cachedSource(gitSource(opts.gitDir, opts.commit));
}
