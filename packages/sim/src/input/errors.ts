// Bad input: every message is one line, `SOURCE: FIELD: expected WHAT, found WHAT`, where SOURCE is
// the file (or the flag) and FIELD the path inside it; the CLI prints it and exits 2.

/** A bad input: the CLI prints the message (one line) and exits 2. */
export class InputError extends Error {}

/** The field path of a file-level problem (reading, encoding, syntax) rather than of one value. */
export const WHOLE_FILE = '(file)';
/** The field path of the document's root value. */
export const TOP_LEVEL = '(top level)';

/** A short, single-line rendering of what was found, so a message never spans lines. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

/** Keeps a free text (an error message from a library, a file name) on one short line. */
export function oneLine(text: string, max = 80): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

export function fieldError(source: string, field: string, expected: string, found: string): InputError {
  return new InputError(
    `${oneLine(source, 200)}: ${field || TOP_LEVEL}: expected ${expected}, found ${found}`,
  );
}

/** Field paths as people write them: `events.3.task`. */
export function fieldPath(parts: (string | number)[]): string {
  return parts.length ? parts.join('.') : TOP_LEVEL;
}
