// Command-line flags, each with its bounds, and output paths checked before a run starts (so a run
// of minutes never ends in EISDIR or ENOENT). Errors are one line: `--flag: expected ..., found ...`.

import { accessSync, constants, statSync } from 'node:fs';
import { availableParallelism, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fieldError, InputError, oneLine } from './errors.js';

/** The explorer's bound: the same cap the configuration file's `depth` has. */
export const MAX_DEPTH = 64;
/** More shards than this is no longer a split of one run but a misuse of one. */
export const MAX_SHARDS = 4096;
/** More workers than cores gains nothing; a few are allowed on any machine so commands stay portable. */
export const MAX_WORKERS = Math.max(4, availableParallelism());
/** The visited set may not be bounded above the machine's memory. */
export const MAX_MEM_MIB = Math.floor(totalmem() / 2 ** 20);
/** A bound on distinct states far above what fits in any memory bound we allow. */
export const MAX_STATES = 2 ** 40;

/** Problems with the command line have the form of file errors, with `kvmfp` as the source. */
export const COMMAND_LINE = 'kvmfp';

/** `found` is the value as given (quoted), or with `described`, words about it. */
function flagError(flag: string, expected: string, found: string, described = false): InputError {
  return fieldError(
    COMMAND_LINE,
    flag,
    expected,
    described ? oneLine(found, 200) : oneLine(JSON.stringify(found), 200),
  );
}

/** What is at an output path, for a message: the path, then why it cannot be used. */
function pathIs(path: string, why: string): string {
  return `'${path}' (${why})`;
}

/** A decimal integer in [min, max]: no exponents, signs, hex or fractions (`1e9`, `0x10`, `2.0`). */
export function parseBoundedInt(flag: string, text: string, min: number, max: number): number {
  const n = /^\d{1,16}$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw flagError(flag, `an integer from ${min} to ${max}`, text);
  return n;
}

export const parseDepth = (text: string) => parseBoundedInt('--depth', text, 1, MAX_DEPTH);
export const parseWorkers = (text: string) => parseBoundedInt('--workers', text, 1, MAX_WORKERS);
export const parseMaxMem = (text: string) => parseBoundedInt('--max-mem', text, 1, MAX_MEM_MIB);
export const parseMaxStates = (text: string) => parseBoundedInt('--max-states', text, 1, MAX_STATES);

/** `i/n` with i < n <= MAX_SHARDS; returned as written, for the explorer to split on. */
export function parseShardFlag(text: string): string {
  const m = /^(\d{1,6})\/(\d{1,6})$/.exec(text);
  const [i, n] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!m || !(n >= 1 && n <= MAX_SHARDS && i < n))
    throw flagError('--shard', `i/n with 0 <= i < n <= ${MAX_SHARDS}`, text);
  return `${i}/${n}`;
}

/** A name from a fixed list (revisions, mutants): an empty or unknown one is an error, not "none". */
export function oneOfFlag(flag: string, names: readonly string[]): (text: string) => string {
  return (text: string) => {
    if (!names.includes(text)) throw flagError(flag, `one of ${names.join(', ')}`, text);
    return text;
  };
}

function kindOf(path: string): 'missing' | 'file' | 'directory' | 'other' {
  try {
    const st = statSync(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}

/** The nearest ancestor that exists must be a directory we may write into (missing ones are created). */
function checkWritableAncestor(flag: string, path: string): void {
  let dir = dirname(resolve(path));
  while (kindOf(dir) === 'missing' && dirname(dir) !== dir) dir = dirname(dir);
  if (kindOf(dir) !== 'directory')
    throw flagError(flag, 'a path under a directory', pathIs(path, `'${dir}' is not a directory`), true);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw flagError(flag, 'a path in a writable directory', pathIs(path, `'${dir}' is not writable`), true);
  }
}

/** An output file: absent or a regular file (replaced), in a directory that exists or can be made. */
export function checkOutputFile(flag: string, path: string): void {
  if (path === '') throw flagError(flag, 'a file name', path);
  const kind = kindOf(path);
  if (kind === 'directory' || kind === 'other')
    throw flagError(
      flag,
      'a file to write',
      pathIs(path, kind === 'directory' ? 'a directory' : 'not a regular file'),
      true,
    );
  checkWritableAncestor(flag, path);
}

/** An output directory: absent (created) or a directory we may write into. */
export function checkOutputDir(flag: string, path: string): void {
  if (path === '') throw flagError(flag, 'a directory name', path);
  const kind = kindOf(path);
  if (kind === 'file' || kind === 'other')
    throw flagError(flag, 'a directory', pathIs(path, 'not a directory'), true);
  if (kind === 'directory') {
    try {
      accessSync(path, constants.W_OK);
    } catch {
      throw flagError(flag, 'a writable directory', pathIs(path, 'not writable'), true);
    }
  } else checkWritableAncestor(flag, path);
}
