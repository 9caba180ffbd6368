// Reading a patch: a plain unified diff, or one as mailed (an mbox message or a list archive's text
// of it: headers, the description, a diffstat after "---", the diff, a signature after "-- ").
// The hunks' line counts say where each hunk ends, so whatever trails the diff is ignored.

import { CliError } from '../shared/cli.js';

export type LineKind = ' ' | '-' | '+';

export interface HunkLine {
  kind: LineKind;
  text: string;
}

export interface Hunk {
  /** 1-based start and length on each side, as the @@ line gives them. */
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** The text after the second @@ (diff's guess at the enclosing function), trimmed. */
  section: string;
  lines: HunkLine[];
}

export interface FilePatch {
  /** The path before and after, without the a/ and b/ prefixes; undefined for /dev/null. */
  oldPath?: string;
  newPath?: string;
  hunks: Hunk[];
}

export interface Patch {
  subject?: string;
  from?: string;
  date?: string;
  files: FilePatch[];
}

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$/;

function stripPrefix(path: string): string | undefined {
  const p = path.replace(/\t.*$/, '').trim();
  if (p === '/dev/null') return undefined;
  return p.replace(/^[ab]\//, '');
}

/** The message's subject, author and date, from mail headers or a list archive's first lines. */
function describe(head: string[]): Pick<Patch, 'subject' | 'from' | 'date'> {
  const header = (name: string): string | undefined => {
    const i = head.findIndex((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    if (i < 0) return undefined;
    let value = (head[i] ?? '').slice(name.length + 1).trim();
    // Folded header lines continue with white space.
    for (let j = i + 1; j < head.length && /^[ \t]\S/.test(head[j] ?? ''); j++)
      value += ' ' + (head[j] ?? '').trim();
    return value;
  };
  const out: Pick<Patch, 'subject' | 'from' | 'date'> = {};
  const subject = header('Subject');
  if (subject !== undefined) {
    out.subject = subject;
    const from = header('From');
    if (from) out.from = from;
    const date = header('Date');
    if (date) out.date = date;
  } else if (/^commit [0-9a-f]{7,}/.test(head[0] ?? '')) {
    // git show / git log -p: Author and Date headers, the message indented.
    const subjectLine = head.find((l) => /^ {4}\S/.test(l));
    if (subjectLine) out.subject = subjectLine.trim();
    const from = header('Author');
    if (from) out.from = from;
    const date = header('Date');
    if (date) out.date = date;
  } else {
    // A list archive's text: the subject line first, then the author and the date.
    const lines = head.map((l) => l.trim()).filter(Boolean);
    if (lines[0]) out.subject = lines[0];
    if (lines[1] && lines[0]?.startsWith('[')) out.from = lines[1];
    if (lines[2] && lines[0]?.startsWith('[') && /\d{4}/.test(lines[2])) out.date = lines[2];
  }
  return out;
}

export function parsePatch(text: string, label: string): Patch {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  // The newline ending the last line does not start another (empty) one.
  if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
  const files: FilePatch[] = [];
  let firstDiff = -1;
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    const next = lines[i + 1] ?? '';
    if (line.startsWith('--- ') && next.startsWith('+++ ')) {
      if (firstDiff < 0) firstDiff = i;
      // "diff --git" and "index" lines just above belong to this file.
      for (
        let k = i - 1;
        k >= 0 &&
        /^(diff |index |similarity |rename |new file|deleted file|old mode|new mode)/.test(lines[k] ?? '');
        k--
      )
        if (k < firstDiff) firstDiff = k;
      const file: FilePatch = { hunks: [] };
      const oldPath = stripPrefix(line.slice(4));
      const newPath = stripPrefix(next.slice(4));
      if (oldPath !== undefined) file.oldPath = oldPath;
      if (newPath !== undefined) file.newPath = newPath;
      i += 2;
      for (;;) {
        const m = HUNK_HEADER.exec(lines[i] ?? '');
        if (!m) break;
        const hunk: Hunk = {
          oldStart: Number(m[1]),
          oldLines: m[2] === undefined ? 1 : Number(m[2]),
          newStart: Number(m[3]),
          newLines: m[4] === undefined ? 1 : Number(m[4]),
          section: (m[5] ?? '').trim(),
          lines: [],
        };
        i++;
        let oldLeft = hunk.oldLines;
        let newLeft = hunk.newLines;
        while (oldLeft > 0 || newLeft > 0) {
          if (i >= lines.length)
            throw new CliError(
              `${label}: hunk at line ${hunk.oldStart} of ${file.oldPath ?? file.newPath}: expected ${oldLeft} more old and ${newLeft} more new lines`,
            );
          const l = lines[i] ?? '';
          i++;
          if (l.startsWith('\\')) continue; // "\ No newline at end of file"
          // A blank line in a mangled mail stands for an empty context line.
          const kind = (l === '' ? ' ' : l[0]) as LineKind;
          if (kind !== ' ' && kind !== '-' && kind !== '+')
            throw new CliError(
              `${label}: line ${i}: expected a hunk line (' ', '-' or '+'), found '${l.slice(0, 40)}'`,
            );
          hunk.lines.push({ kind, text: l.slice(1) });
          if (kind !== '+') oldLeft--;
          if (kind !== '-') newLeft--;
          if (oldLeft < 0 || newLeft < 0)
            throw new CliError(`${label}: line ${i}: the hunk has more lines than its @@ header says`);
        }
        while ((lines[i] ?? '').startsWith('\\')) i++;
        file.hunks.push(hunk);
      }
      if (file.hunks.length === 0)
        throw new CliError(`${label}: line ${i + 1}: expected a hunk (@@ -a,b +c,d @@) after the file names`);
      files.push(file);
      continue;
    }
    i++;
  }
  if (files.length === 0)
    throw new CliError(`${label}: expected a unified diff (--- a/... and +++ b/... lines)`);
  return { ...describe(lines.slice(0, Math.max(firstDiff, 0))), files };
}
