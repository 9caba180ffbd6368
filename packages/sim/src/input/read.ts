// Reading an input file: only regular files (a FIFO, a device such as /dev/zero or a directory
// would block, never end or make no sense), at most a stated size, and for text files valid UTF-8
// without NUL bytes. The file is opened non-blocking and checked on the open descriptor, so a FIFO
// is refused without waiting for a writer and nothing can change between the check and the read.

import { closeSync, constants, fstatSync, openSync, readSync, Stats } from 'node:fs';
import { fieldError, WHOLE_FILE } from './errors.js';

const MiB = 2 ** 20;

/** Size limits per kind of file: far above any real one, far below what would hurt the machine. */
export const MAX_BYTES = {
  scenario: 1 * MiB,
  config: 1 * MiB,
  report: 16 * MiB,
  readerData: 16 * MiB,
  /** A visited set: 9 bytes a state, so about 230 million states. */
  visited: 2048 * MiB,
} as const;

export type InputKind = keyof typeof MAX_BYTES;

function kindOfNonFile(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function openRegular(file: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'an error';
    throw fieldError(file, WHOLE_FILE, 'a readable regular file', code === 'ENOENT' ? 'no such file' : code);
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    throw fieldError(file, WHOLE_FILE, 'a regular file', kindOfNonFile(st));
  }
  return { fd, size: st.size };
}

/** The bytes of a regular file of at most `MAX_BYTES[kind]` bytes. */
export function readInputBytes(file: string, kind: InputKind): Buffer {
  const limit = MAX_BYTES[kind];
  const { fd, size } = openRegular(file);
  try {
    if (size > limit) throw fieldError(file, WHOLE_FILE, `at most ${limit} bytes`, `${size} bytes`);
    // Read one byte more than the limit, so a file that grows while we read is still refused.
    const buf = Buffer.alloc(Math.min(size, limit) + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got === buf.length) break;
    }
    if (got > limit) throw fieldError(file, WHOLE_FILE, `at most ${limit} bytes`, 'more');
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The text of a regular file: valid UTF-8, no NUL bytes, at most `MAX_BYTES[kind]` bytes. */
export function readInputText(file: string, kind: InputKind): string {
  const bytes = readInputBytes(file, kind);
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw fieldError(file, WHOLE_FILE, 'UTF-8 text', 'bytes that are not UTF-8');
  }
  const nul = text.indexOf('\u0000');
  if (nul >= 0) throw fieldError(file, WHOLE_FILE, 'text without NUL bytes', `a NUL at character ${nul}`);
  return text;
}
