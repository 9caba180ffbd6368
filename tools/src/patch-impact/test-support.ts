// Making patches for the tests: a unified diff of two texts of one file, by diff(1), optionally
// wrapped as a mailed patch. The texts are the test's own (or read from a kernel tree at run time);
// nothing is stored.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function unifiedDiff(path: string, before: string, after: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'patch-impact-'));
  try {
    writeFileSync(join(dir, 'a'), before);
    writeFileSync(join(dir, 'b'), after);
    const r = spawnSync(
      'diff',
      ['-u', '--label', `a/${path}`, '--label', `b/${path}`, join(dir, 'a'), join(dir, 'b')],
      {
        encoding: 'utf8',
      },
    );
    if (r.status !== 1) throw new Error(`diff: expected differences (status ${r.status}): ${r.stderr}`);
    return `diff --git a/${path} b/${path}\n${r.stdout}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function foldSubject(header: string): string[] {
  const at = header.indexOf(' ', 40);
  return at < 0 ? [header] : [header.slice(0, at), ` ${header.slice(at + 1)}`];
}

/** The diff as git send-email would mail it: headers, a description, a diffstat line, a signature. */
export function asMail(diff: string, subject: string): string {
  return [
    'From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001',
    'From: A Tester <tester@example.org>',
    'Date: Mon, 1 Jan 2024 00:00:00 +0000',
    // Folded at a space, as long headers are.
    ...foldSubject(`Subject: [PATCH] ${subject}`),
    '',
    'A test patch made from the difference of one function.',
    '',
    'Signed-off-by: A Tester <tester@example.org>',
    '---',
    ' 1 file changed',
    '',
    diff,
    '-- ',
    '2.39.2',
    '',
  ].join('\n');
}

/** `text` with one function's text replaced. */
export function replaceFunction(text: string, oldText: string, newText: string): string {
  const i = text.indexOf(oldText);
  if (i < 0) throw new Error('the function text is not in the file');
  return text.slice(0, i) + newText + text.slice(i + oldText.length);
}
