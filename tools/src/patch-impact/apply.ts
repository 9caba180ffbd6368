// Applying hunks to a file's text in memory, forward or in reverse, the way patch(1) does without
// fuzz: a hunk's old side must appear exactly (trailing white space aside), at the line its header
// names or, failing that, at the nearest line where it does.

import type { Hunk } from './patch.js';

export interface Placed {
  hunk: Hunk;
  /** 0-based line in the text the hunk was applied to where its old side starts. */
  at: number;
  /** How far that is from where the header said (patch's "offset"). */
  offset: number;
}

const same = (a: string, b: string): boolean => a === b || a.trimEnd() === b.trimEnd();

/** The hunk's two sides; in reverse, the new side is what must be found and the old side replaces it. */
export function sides(hunk: Hunk, reverse = false): { find: string[]; put: string[]; start: number } {
  const oldSide = hunk.lines.filter((l) => l.kind !== '+').map((l) => l.text);
  const newSide = hunk.lines.filter((l) => l.kind !== '-').map((l) => l.text);
  return reverse
    ? { find: newSide, put: oldSide, start: hunk.newStart }
    : { find: oldSide, put: newSide, start: hunk.oldStart };
}

function matchesAt(lines: readonly string[], find: readonly string[], at: number): boolean {
  if (at < 0 || at + find.length > lines.length) return false;
  for (let k = 0; k < find.length; k++) if (!same(lines[at + k] ?? '', find[k] ?? '')) return false;
  return true;
}

/** Where the hunk's side to find starts in `lines`, nearest `expected` first, searching from `from`. */
export function locate(
  lines: readonly string[],
  find: readonly string[],
  expected: number,
  from = 0,
): number | undefined {
  // An empty old side (a hunk that only adds to an empty file) goes where the header says.
  if (find.length === 0) return Math.max(Math.min(expected, lines.length), from);
  for (let d = 0; d <= lines.length; d++) {
    for (const at of d === 0 ? [expected] : [expected - d, expected + d])
      if (at >= from && matchesAt(lines, find, at)) return at;
    if (expected - d < from && expected + d > lines.length) break;
  }
  return undefined;
}

export interface Applied {
  lines: string[];
  placed: Placed[];
}

/**
 * Applies hunks in order to `text`; undefined when one of them does not apply. Line numbers in
 * later headers are taken relative to the shift the earlier hunks caused, as patch(1) does.
 */
export function applyHunks(text: string, hunks: readonly Hunk[], reverse = false): Applied | undefined {
  let lines = text.split('\n');
  const placed: Placed[] = [];
  let shift = 0;
  let from = 0;
  for (const hunk of hunks) {
    const { find, put, start } = sides(hunk, reverse);
    // A header's start is the line before the hunk when its side is empty, else its first line.
    const expected = (find.length === 0 ? start : start - 1) + shift;
    const at = locate(lines, find, expected, from);
    if (at === undefined) return undefined;
    lines = [...lines.slice(0, at), ...put, ...lines.slice(at + find.length)];
    placed.push({ hunk, at, offset: at - expected });
    shift += put.length - find.length + (at - expected);
    from = at + put.length;
  }
  return { lines, placed };
}
