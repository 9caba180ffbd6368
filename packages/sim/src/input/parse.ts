// Parsing YAML or JSON (JSON is read as YAML 1.2) strictly: one document, YAML 1.2 only, no
// directives but `%YAML 1.2`, no tags at all (`!!js/function`, `!!python/...`, even `!!str`: an
// input here never needs one), keys that are plain scalars, duplicate keys refused, aliases
// bounded, and nesting bounded so that no later step (schema, JSON, messages) can run out of stack.

import { Document, isCollection, isScalar, parseDocument, visit, YAMLError } from 'yaml';
import { fieldError, InputError, WHOLE_FILE } from './errors.js';

/** Deeper than any real input (scenarios nest 4 levels) and far from the stack's limit. */
export const MAX_NESTING = 32;
/**
 * Bounds checked on the text before the YAML parser sees it: the parser's work grows with the
 * square of a compact nesting (`- - - - 1`), and it recurses on flow nesting (`[[[[`). Looser than
 * MAX_NESTING, which the parsed value must also meet, since indentation is only a proxy.
 */
const MAX_FLOW_DEPTH = 2 * MAX_NESTING;
const MAX_COMPACT_INDICATORS = MAX_NESTING;
const MAX_INDENT = 8 * MAX_NESTING;
const MAX_ALIASES = 100;

function where(e: YAMLError): string {
  const p = e.linePos?.[0];
  return p ? `line ${p.line} column ${p.col}` : WHOLE_FILE;
}

function syntaxError(file: string, e: YAMLError): Error {
  if (/call stack/i.test(e.message)) return tooDeep(file);
  return fieldError(file, where(e), 'valid YAML or JSON', e.message.split('\n')[0].replace(/[:.]\s*$/, ''));
}

function tooDeep(file: string): Error {
  return fieldError(file, WHOLE_FILE, `at most ${MAX_NESTING} levels of nesting`, 'more');
}

function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && /call stack/i.test(e.message);
}

/** Tags, non-scalar keys and directives other than `%YAML 1.2`: none has a use in our inputs. */
function checkStrict(file: string, doc: Document): void {
  if (doc.directives?.yaml.explicit && doc.directives.yaml.version !== '1.2')
    throw fieldError(
      file,
      WHOLE_FILE,
      "no directive but '%YAML 1.2'",
      `'%YAML ${doc.directives.yaml.version}'`,
    );
  if (doc.directives && Object.keys(doc.directives.tags).some((h) => h !== '!' && h !== '!!'))
    throw fieldError(file, WHOLE_FILE, 'no %TAG directive', 'one');
  visit(doc, {
    Node(_, node) {
      if (node.tag)
        throw fieldError(
          file,
          at(node),
          'no YAML tag',
          `'${node.tag.replace(/^tag:yaml\.org,2002:/, '!!')}'`,
        );
    },
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key))
        throw fieldError(
          file,
          at(pair.key),
          'a plain key',
          isCollection(pair.key) ? 'a collection' : 'an alias',
        );
    },
  });
}

function at(node: unknown): string {
  const range = (node as { range?: [number, number, number] }).range;
  return range ? `offset ${range[0]}` : WHOLE_FILE;
}

/** How deep a parsed value nests, without recursion. */
function nestingOf(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (d > deepest) deepest = d;
    if (deepest > limit) return deepest;
    if (v !== null && typeof v === 'object') for (const c of Object.values(v)) stack.push([c, d + 1]);
  }
  return deepest;
}

/** A character that may precede the start of a quoted scalar or a comment. */
function isTokenStart(prev: string | undefined): boolean {
  return (
    prev === undefined ||
    prev === ' ' ||
    prev === '\t' ||
    prev === '\n' ||
    prev === '\r' ||
    '[{,:-?'.includes(prev)
  );
}

/**
 * The nesting a text can reach, measured without parsing: flow brackets outside quotes and
 * comments, compact block indicators at the start of a line, and indentation.
 */
function prescanNesting(file: string, text: string): void {
  let flow = 0;
  let quote: string | null = null;
  let lineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = null;
      continue;
    }
    if (lineStart) {
      const lead = /^([ \t]*)((?:[-?:][ \t]+)*)/.exec(
        text.slice(i, i + MAX_INDENT + 4 * MAX_COMPACT_INDICATORS + 8),
      )!;
      const indicators = lead[2].replace(/[ \t]/g, '').length;
      if (lead[1].length > MAX_INDENT || indicators > MAX_COMPACT_INDICATORS) throw tooDeep(file);
      lineStart = false;
    }
    if (c === '\n') lineStart = true;
    else if ((c === '"' || c === "'") && isTokenStart(text[i - 1])) quote = c;
    else if (c === '#' && isTokenStart(text[i - 1])) {
      const end = text.indexOf('\n', i);
      if (end < 0) break;
      i = end - 1;
    } else if (c === '[' || c === '{') {
      if (++flow > MAX_FLOW_DEPTH) throw tooDeep(file);
    } else if ((c === ']' || c === '}') && flow > 0) flow--;
  }
}

/** The plain data of a YAML or JSON text, or an InputError naming the file and where. */
export function parseData(file: string, text: string): unknown {
  prescanNesting(file, text);
  let data: unknown;
  try {
    const doc = parseDocument(text, {
      prettyErrors: false,
      strict: true,
      uniqueKeys: true,
      version: '1.2',
      schema: 'core',
      merge: false,
    });
    if (doc.errors.length) throw syntaxError(file, doc.errors[0]);
    if (doc.warnings.length) throw syntaxError(file, doc.warnings[0]);
    checkStrict(file, doc);
    data = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (e) {
    if (e instanceof InputError) throw e;
    if (isStackOverflow(e)) throw tooDeep(file);
    if (e instanceof YAMLError) throw syntaxError(file, e);
    // yaml's guard against alias bombs ("Excessive alias count ...").
    if (e instanceof ReferenceError && /alias/i.test(e.message))
      throw fieldError(file, WHOLE_FILE, `at most ${MAX_ALIASES} alias expansions`, 'more');
    throw e;
  }
  if (nestingOf(data, MAX_NESTING) > MAX_NESTING) throw tooDeep(file);
  return data;
}
