// Finding C function definitions in kernel files with tree-sitter, and choosing among several.
//
// Selection rule (when a file defines a name more than once, under different #ifdef branches):
// an entry's "variant": N picks the N-th definition in file order (0-based); without it, the
// first definition that is not a stub wins, or the first definition if every one is a stub.
// A stub is a body that is empty, holds only a `return` without a call, or only BUILD_BUG().
// Definitions are found at any depth (inside #ifdef blocks too), but never inside another
// function: C has no nested functions, and the grammar's error recovery can make a loop macro
// such as for_each_possible_cpu(cpu) { ... } look like one.

import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { bodyHash } from './body-hash.js';

const require = createRequire(import.meta.url);

let parserPromise: Promise<Parser> | undefined;

async function createParser(): Promise<Parser> {
  await Parser.init();
  const language = await Language.load(require.resolve('tree-sitter-c/tree-sitter-c.wasm'));
  const parser = new Parser();
  parser.setLanguage(language);
  return parser;
}

/** One parser for the process: loading the grammar costs more than parsing a file. */
export function cParser(): Promise<Parser> {
  parserPromise ??= createParser();
  return parserPromise;
}

/**
 * Kernel annotations the C grammar does not know. Before parsing they are overwritten with spaces
 * of the same length, so `static int __init f(void)` parses as a function and every offset (and so
 * the hashed text, taken from the original) stays the same.
 */
const KERNEL_ATTRIBUTES = [
  '__init',
  '__exit',
  '__always_inline',
  'noinline',
  '__noreturn',
  '__cold',
  '__hot',
  'notrace',
  'noinstr',
  '__maybe_unused',
  '__used',
  '__must_check',
  'asmlinkage',
  '__visible',
  '__ro_after_init',
  '__read_mostly',
  '__kprobes',
  '__nocfi',
  '__attribute_const__',
  '__weak',
  '__pure',
  '__flatten',
  '__always_unused',
  '__init_or_module',
  '__ref',
  '__sched',
  '__irq_entry',
  '__hyp_text',
];
const ATTRIBUTE_PATTERN = new RegExp(`\\b(${KERNEL_ATTRIBUTES.join('|')})\\b`, 'g');

export function blankAttributes(text: string): string {
  return text.replace(ATTRIBUTE_PATTERN, (m) => ' '.repeat(m.length));
}

export interface CFunction {
  name: string;
  /** The whole function_definition, from the original text. */
  text: string;
  /** 1-based line of the definition's start. */
  line: number;
  stub: boolean;
}

export interface CFileIndex {
  functions: Map<string, CFunction[]>;
  /** Names defined with #define (object- or function-like): not functions, out of scope. */
  macros: Set<string>;
}

const DECLARATOR_WRAPPERS = new Set([
  'pointer_declarator',
  'parenthesized_declarator',
  'attributed_declarator',
]);

/** The declared name of a function_definition: through pointer/parenthesis wrappers to the identifier. */
function definitionName(def: Node): string | undefined {
  let d = def.childForFieldName('declarator');
  while (d && DECLARATOR_WRAPPERS.has(d.type))
    d = d.childForFieldName('declarator') ?? d.namedChildren[0] ?? null;
  if (d?.type !== 'function_declarator') return undefined;
  let id = d.childForFieldName('declarator');
  while (id?.type === 'parenthesized_declarator') id = id.namedChildren[0] ?? null;
  return id?.type === 'identifier' ? id.text : undefined;
}

const hasCall = (n: Node): boolean => n.descendantsOfType('call_expression').length > 0;

function isStub(def: Node): boolean {
  const body = def.childForFieldName('body');
  const statements = (body?.namedChildren ?? []).filter((c) => c?.type !== 'comment');
  if (statements.length === 0) return true;
  const only = statements.length === 1 ? statements[0] : undefined;
  if (!only) return false;
  if (only.type === 'return_statement') return !hasCall(only);
  const call = only.type === 'expression_statement' ? only.namedChildren[0] : undefined;
  return call?.type === 'call_expression' && call.childForFieldName('function')?.text === 'BUILD_BUG';
}

function collect(node: Node, text: string, index: CFileIndex): void {
  if (node.type === 'function_definition') {
    const name = definitionName(node);
    if (name === undefined) return;
    const list = index.functions.get(name) ?? [];
    list.push({
      name,
      text: text.slice(node.startIndex, node.endIndex),
      line: node.startPosition.row + 1,
      stub: isStub(node),
    });
    index.functions.set(name, list);
    return;
  }
  if (node.type === 'preproc_def' || node.type === 'preproc_function_def') {
    const name = node.childForFieldName('name')?.text;
    if (name !== undefined) index.macros.add(name);
  }
  for (const child of node.children) if (child) collect(child, text, index);
}

export async function indexCFile(text: string): Promise<CFileIndex> {
  const parser = await cParser();
  const tree = parser.parse(blankAttributes(text));
  if (!tree) throw new Error('tree-sitter returned no tree');
  const index: CFileIndex = { functions: new Map(), macros: new Set() };
  try {
    collect(tree.rootNode, text, index);
  } finally {
    tree.delete();
  }
  return index;
}

export function chooseDefinition(defs: readonly CFunction[], variant?: number): CFunction | undefined {
  if (variant !== undefined) return defs[variant];
  return defs.find((d) => !d.stub) ?? defs[0];
}

export type Lookup =
  | { status: 'found'; fn: CFunction; hash: string; definitions: number }
  | { status: 'no file' | 'not found' | 'not a function' }
  | { status: 'no such variant'; definitions: number };

/** Finds `name` in a file's text and hashes the chosen definition. */
export async function lookupFunction(
  text: string | undefined,
  name: string,
  variant?: number,
): Promise<Lookup> {
  if (text === undefined) return { status: 'no file' };
  return lookupInIndex(await indexCFile(text), name, variant);
}

export function lookupInIndex(index: CFileIndex, name: string, variant?: number): Lookup {
  const defs = index.functions.get(name) ?? [];
  if (defs.length === 0) return { status: index.macros.has(name) ? 'not a function' : 'not found' };
  const fn = chooseDefinition(defs, variant);
  if (!fn) return { status: 'no such variant', definitions: defs.length };
  return { status: 'found', fn, hash: bodyHash(fn.text), definitions: defs.length };
}
