// The #define constants of a few kernel headers, and a small evaluator for their values. It is a
// tiny preprocessor (object- and function-like macros, rescanning) over a C integer-expression
// grammar, enough for BIT(n), UL(x), GENMASK(h, l), 1U << n, sys_reg(...) and references between
// macros. What it cannot evaluate (strings, casts to unknown types, sizeof, # and ##) is reported
// as unevaluable rather than guessed.

export interface MacroDef {
  name: string;
  /** Parameter names of a function-like macro; undefined for an object-like one. */
  params?: string[];
  body: string;
  file: string;
  line: number;
}

export class Unevaluable extends Error {}

/** Joins backslash-continued lines and blanks comments, keeping line numbers. */
function logicalLines(text: string): { text: string; line: number }[] {
  const noComments = text
    .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
    .replace(/\/\/[^\n]*/g, '');
  const out: { text: string; line: number }[] = [];
  const physical = noComments.split('\n');
  for (let i = 0; i < physical.length; i++) {
    const start = i;
    let cur = physical[i] ?? '';
    while (cur.endsWith('\\') && i + 1 < physical.length)
      cur = cur.slice(0, -1) + ' ' + (physical[++i] ?? '');
    out.push({ text: cur, line: start + 1 });
  }
  return out;
}

const DEFINE = /^\s*#\s*define\s+([A-Za-z_]\w*)(\(([^)]*)\))?(.*)$/;

/**
 * Every #define in a header, first definition winning: a later one of the same name sits under
 * another #if branch (an assembler or big-endian variant), and the first is the C one here.
 */
export function parseDefines(
  text: string,
  file: string,
  into = new Map<string, MacroDef>(),
): Map<string, MacroDef> {
  for (const { text: line, line: lineNo } of logicalLines(text)) {
    const m = DEFINE.exec(line);
    if (!m || into.has(m[1])) continue;
    const params =
      m[2] === undefined
        ? undefined
        : m[3]
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean);
    into.set(m[1], {
      name: m[1],
      params,
      body: m[4].trim(),
      file,
      line: lineNo,
    });
  }
  return into;
}

type Token = { kind: 'num'; value: bigint } | { kind: 'id'; text: string } | { kind: 'op'; text: string };

const TOKEN =
  /\s*(?:(0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)[uUlL]*|([A-Za-z_]\w*)|(<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^~!?:(),<>]))/y;

export function tokenize(text: string): Token[] {
  const out: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const at = TOKEN.lastIndex;
    const m = TOKEN.exec(text);
    if (!m) throw new Unevaluable(`cannot read '${text.slice(at).trim().slice(0, 20)}'`);
    if (m[1] !== undefined) out.push({ kind: 'num', value: parseNumber(m[1]) });
    else if (m[2] !== undefined) out.push({ kind: 'id', text: m[2] });
    else out.push({ kind: 'op', text: m[3] });
  }
  return out;
}

function parseNumber(text: string): bigint {
  if (/^0[bB]/.test(text)) return BigInt('0b' + text.slice(2));
  if (/^0\d/.test(text)) return BigInt('0o' + text.slice(1)); // C octal
  return BigInt(text);
}

const U64 = (v: bigint) => BigInt.asUintN(64, v);
const genmask = (h: bigint, l: bigint) => U64((1n << (h + 1n)) - (1n << l));

const bit = ([n = 0n]: bigint[]) => U64(1n << n);
const genmaskOf = ([h = 0n, l = 0n]: bigint[]) => genmask(h, l);
const first = ([x = 0n]: bigint[]) => x;

/**
 * include/linux/bits.h, const.h and friends: outside arch/arm64, so built in. `use` lists the
 * arguments that are values; _AC's second argument is a suffix to paste, _AT's first a type.
 */
const BUILTINS: Record<string, { use: number[]; fn: (args: bigint[]) => bigint }> = {
  BIT: { use: [0], fn: bit },
  BIT_ULL: { use: [0], fn: bit },
  _BITUL: { use: [0], fn: bit },
  _BITULL: { use: [0], fn: bit },
  GENMASK: { use: [0, 1], fn: genmaskOf },
  GENMASK_ULL: { use: [0, 1], fn: genmaskOf },
  UL: { use: [0], fn: first },
  ULL: { use: [0], fn: first },
  _UL: { use: [0], fn: first },
  _ULL: { use: [0], fn: first },
  _AC: { use: [0], fn: first },
  _AT: { use: [1], fn: first },
};

/** Type names a cast may use; a cast only narrows, and these constants all fit. */
const CAST_TYPES = new Set([
  'u8',
  'u16',
  'u32',
  'u64',
  's8',
  's16',
  's32',
  's64',
  'int',
  'long',
  'unsigned',
  'signed',
  'short',
  'char',
]);

const EXPANSION_LIMIT = 10000;

/** Splits `( a, b(c, d) )` after a macro name into argument token lists; returns the index after ')'. */
function collectArgs(tokens: Token[], open: number): { args: Token[][]; end: number } {
  const args: Token[][] = [[]];
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind === 'op' && t.text === '(' && depth++ === 0) continue;
    if (t.kind === 'op' && t.text === ')' && --depth === 0)
      return { args: args[0]?.length ? args : [], end: i + 1 };
    if (t.kind === 'op' && t.text === ',' && depth === 1) args.push([]);
    else args[args.length - 1]?.push(t);
  }
  throw new Unevaluable('unbalanced parentheses in macro arguments');
}

const isOpen = (t: Token | undefined) => t?.kind === 'op' && t.text === '(';

export class MacroEvaluator {
  private readonly memo = new Map<string, bigint | Unevaluable>();

  constructor(
    private readonly defines: Map<string, MacroDef>,
    /** Values known without a #define (the macros gen-sysreg.awk generates). */
    private readonly known: Map<string, bigint> = new Map(),
  ) {}

  has(name: string): boolean {
    return this.known.has(name) || this.defines.has(name);
  }

  /** The value of an object-like macro, or an Unevaluable saying why not; undefined if not defined. */
  value(name: string): bigint | Unevaluable | undefined {
    const known = this.known.get(name);
    if (known !== undefined) return known;
    const def = this.defines.get(name);
    if (!def) return undefined;
    if (def.params) return new Unevaluable(`${name} is a function-like macro`);
    if (!this.memo.has(name)) this.memo.set(name, this.tryEvaluate(def.body));
    return this.memo.get(name);
  }

  private tryEvaluate(text: string): bigint | Unevaluable {
    try {
      return this.evaluate(text);
    } catch (err) {
      if (err instanceof Unevaluable) return err;
      throw err;
    }
  }

  evaluate(text: string): bigint {
    return new ExprParser(this.expand(tokenize(text))).parseAll();
  }

  /** Macro expansion with rescanning, as the preprocessor does, bounded against self-reference. */
  private expand(input: Token[]): Token[] {
    const tokens = [...input];
    const out: Token[] = [];
    let steps = 0;
    while (tokens.length > 0) {
      if (++steps > EXPANSION_LIMIT) throw new Unevaluable('macro expansion does not terminate');
      const t = tokens.shift() as Token;
      if (t.kind !== 'id') out.push(t);
      else tokens.unshift(...this.expandIdentifier(t.text, tokens, out));
    }
    return out;
  }

  /** Replaces one identifier; returns tokens to rescan (consumed arguments are removed from rest). */
  private expandIdentifier(name: string, rest: Token[], out: Token[]): Token[] {
    const builtin = BUILTINS[name];
    if (builtin && isOpen(rest[0])) {
      const { args, end } = collectArgs(rest, 0);
      rest.splice(0, end);
      const values = builtin.use.map((i) => new ExprParser(this.expand(args[i] ?? [])).parseAll());
      return [{ kind: 'num', value: builtin.fn(values) }];
    }
    const known = this.known.get(name);
    if (known !== undefined) return [{ kind: 'num', value: known }];
    const def = this.defines.get(name);
    if (!def) {
      if (CAST_TYPES.has(name)) out.push({ kind: 'id', text: name });
      else throw new Unevaluable(`${name} is not a known macro`);
      return [];
    }
    if (/#/.test(def.body)) throw new Unevaluable(`${name} uses # or ##`);
    if (!def.params) return tokenize(def.body);
    if (!isOpen(rest[0])) throw new Unevaluable(`${name} used without arguments`);
    const { args, end } = collectArgs(rest, 0);
    rest.splice(0, end);
    return this.substitute(def, args);
  }

  private substitute(def: MacroDef, args: Token[][]): Token[] {
    const params = def.params ?? [];
    if (args.length !== params.length)
      throw new Unevaluable(`${def.name} expects ${params.length} arguments`);
    return tokenize(def.body).flatMap((t) => {
      const i = t.kind === 'id' ? params.indexOf(t.text) : -1;
      return i >= 0 ? (args[i] ?? []) : [t];
    });
  }
}

// Binary operators by C precedence, loosest first.
const BINARY_LEVELS: string[][] = [
  ['||'],
  ['&&'],
  ['|'],
  ['^'],
  ['&'],
  ['==', '!='],
  ['<', '>', '<=', '>='],
  ['<<', '>>'],
  ['+', '-'],
  ['*', '/', '%'],
];

function applyBinary(op: string, a: bigint, b: bigint): bigint {
  const bool = (x: boolean) => (x ? 1n : 0n);
  switch (op) {
    case '||':
      return bool(a !== 0n || b !== 0n);
    case '&&':
      return bool(a !== 0n && b !== 0n);
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '&':
      return a & b;
    case '==':
      return bool(a === b);
    case '!=':
      return bool(a !== b);
    case '<':
      return bool(a < b);
    case '>':
      return bool(a > b);
    case '<=':
      return bool(a <= b);
    case '>=':
      return bool(a >= b);
    case '<<':
      return U64(a << b);
    case '>>':
      return a >> b;
    case '+':
      return U64(a + b);
    case '-':
      return U64(a - b);
    case '*':
      return U64(a * b);
  }
  if (b === 0n) throw new Unevaluable('division by zero');
  return op === '/' ? a / b : a % b;
}

/** Recursive descent over expanded tokens; values are unsigned 64-bit, as the kernel's u64 masks. */
class ExprParser {
  private pos = 0;

  constructor(private readonly tokens: Token[]) {}

  parseAll(): bigint {
    if (this.tokens.length === 0) throw new Unevaluable('empty expression');
    const v = this.ternary();
    if (this.pos !== this.tokens.length) throw new Unevaluable('unexpected tokens after expression');
    return v;
  }

  private peekOp(): string | undefined {
    const t = this.tokens[this.pos];
    return t?.kind === 'op' ? t.text : undefined;
  }

  private expectOp(text: string): void {
    if (this.peekOp() !== text) throw new Unevaluable(`expected '${text}'`);
    this.pos++;
  }

  private ternary(): bigint {
    const cond = this.binary(0);
    if (this.peekOp() !== '?') return cond;
    this.pos++;
    const a = this.ternary();
    this.expectOp(':');
    const b = this.ternary();
    return cond !== 0n ? a : b;
  }

  private binary(level: number): bigint {
    const ops = BINARY_LEVELS[level];
    if (!ops) return this.unary();
    let left = this.binary(level + 1);
    for (let op = this.peekOp(); op !== undefined && ops.includes(op); op = this.peekOp()) {
      this.pos++;
      left = applyBinary(op, left, this.binary(level + 1));
    }
    return left;
  }

  private unary(): bigint {
    const op = this.peekOp();
    if (op === '-' || op === '+' || op === '~' || op === '!') {
      this.pos++;
      const v = this.unary();
      if (op === '-') return U64(-v);
      if (op === '~') return U64(~v);
      return op === '!' ? (v === 0n ? 1n : 0n) : v;
    }
    return this.primary();
  }

  private isCast(): boolean {
    let i = this.pos + 1;
    while (this.tokens[i]?.kind === 'id') i++;
    const t = this.tokens[i];
    return i > this.pos + 1 && t?.kind === 'op' && t.text === ')';
  }

  private primary(): bigint {
    const t = this.tokens[this.pos];
    if (t?.kind === 'num') {
      this.pos++;
      return t.value;
    }
    if (t?.kind === 'op' && t.text === '(') {
      if (this.isCast()) {
        while (this.tokens[++this.pos]?.kind === 'id');
        this.pos++;
        return this.unary();
      }
      this.pos++;
      const v = this.ternary();
      this.expectOp(')');
      return v;
    }
    throw new Unevaluable(t ? `unexpected '${t.text}'` : 'unexpected end');
  }
}
