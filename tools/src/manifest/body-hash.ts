// The normalised hash of a kernel function: its definition with comments and every whitespace
// character removed, so a patch that only rewords a comment or reflows code keeps the hash, while
// any change to a token changes it. sha256, first 16 hex digits.

import { createHash } from 'node:crypto';

/**
 * Removes C comments, leaving string and character literals alone (a "//" inside a string is not
 * a comment). A backslash-newline inside a // comment continues it, as in C.
 */
export function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
    } else if (c === '/' && next === '/') {
      i = endOfLineComment(text, i);
    } else if (c === '"' || c === "'") {
      const end = endOfLiteral(text, i);
      out += text.slice(i, end);
      i = end;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function endOfLineComment(text: string, start: number): number {
  let i = start;
  for (;;) {
    const nl = text.indexOf('\n', i);
    if (nl < 0) return text.length;
    if (text[nl - 1] !== '\\') return nl;
    i = nl + 1;
  }
}

function endOfLiteral(text: string, start: number): number {
  const quote = text[start];
  let i = start + 1;
  while (i < text.length && text[i] !== quote && text[i] !== '\n') i += text[i] === '\\' ? 2 : 1;
  return Math.min(i + 1, text.length);
}

export function normaliseBody(text: string): string {
  return stripComments(text).replace(/\s+/g, '');
}

export function bodyHash(text: string): string {
  return createHash('sha256').update(normaliseBody(text), 'utf8').digest('hex').slice(0, 16);
}
