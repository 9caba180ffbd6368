// Comparing two versions of one C function without keeping either: how similar their code is
// (to recognise a renamed function), how many code lines one adds and removes, and whether the
// signature changed. Comments never count: they are stripped first, as the body hash does.

import { normaliseBody, stripComments } from '../manifest/body-hash.js';

/** C tokens, roughly: identifiers and numbers, then any other single non-space character. */
export function cTokens(text: string): string[] {
  return stripComments(text).match(/[A-Za-z_]\w*|\d\w*|\S/g) ?? [];
}

function bigrams(tokens: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (let i = 0; i + 1 < tokens.length; i++) {
    const key = `${tokens[i]} ${tokens[i + 1]}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * The Dice coefficient of the two functions' token-bigram multisets, from 0 (nothing shared) to 1
 * (the same code). The function names are left out, so a pure rename scores 1.
 */
export function codeSimilarity(a: string, aName: string, b: string, bName: string): number {
  const ta = bigrams(cTokens(a).map((t) => (t === aName ? '$fn' : t)));
  const tb = bigrams(cTokens(b).map((t) => (t === bName ? '$fn' : t)));
  let shared = 0;
  let total = 0;
  for (const [k, n] of ta) {
    shared += Math.min(n, tb.get(k) ?? 0);
    total += n;
  }
  for (const n of tb.values()) total += n;
  return total === 0 ? 1 : (2 * shared) / total;
}

/** The code lines of a function: comments stripped, each line's whitespace squeezed out, blanks dropped. */
export function codeLines(text: string): string[] {
  return stripComments(text)
    .split('\n')
    .map((l) => l.replace(/\s+/g, ''))
    .filter((l) => l.length > 0);
}

/** Lines added and removed going from `before` to `after` (a longest-common-subsequence diff). */
export function lineDelta(
  before: readonly string[],
  after: readonly string[],
): { added: number; removed: number } {
  const n = before.length;
  const m = after.length;
  let prev = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    const row = new Array<number>(m + 1).fill(0);
    for (let j = 1; j <= m; j++)
      row[j] =
        before[i - 1] === after[j - 1] ? (prev[j - 1] ?? 0) + 1 : Math.max(prev[j] ?? 0, row[j - 1] ?? 0);
    prev = row;
  }
  const common = prev[m] ?? 0;
  return { added: m - common, removed: n - common };
}

/**
 * The normalised text before the body's opening brace: return type, name and parameters. With
 * `name`, the name is replaced by a placeholder, so a renamed function with the same parameters
 * keeps its signature.
 */
export function signature(text: string, name?: string): string {
  const code = stripComments(text);
  const brace = code.indexOf('{');
  const head = brace < 0 ? code : code.slice(0, brace);
  return normaliseBody(name === undefined ? head : head.replace(new RegExp(`\\b${name}\\b`), '$fn'));
}
