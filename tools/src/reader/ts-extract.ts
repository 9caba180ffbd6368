// Finding a ported function in its TypeScript file with the compiler's parser, and the calls it
// makes. Syntax only: what a function calls is read from its call expressions, so no program or
// type checker is needed (and a port file that does not type-check yet still shows).

import ts from 'typescript';

export interface TsFunction {
  name: string;
  /** The function with the comments directly above it (the reference line and our notes). */
  text: string;
  /** 1-based line of the first line of `text`. */
  line: number;
  /** Names called in the body, in first-call order: `f()`, `E.f()`, `yield* f()`, `f<T>()`. */
  calls: string[];
}

/** A declaration's start including the comments that touch it (no blank line in between). */
function startWithComments(sf: ts.SourceFile, node: ts.Node): number {
  const text = sf.text;
  const ranges = ts.getLeadingCommentRanges(text, node.pos) ?? [];
  let start = node.getStart(sf);
  for (let i = ranges.length - 1; i >= 0; i--) {
    const r = ranges[i];
    if (!r) break;
    const gap = text.slice(r.end, start);
    if ((gap.match(/\n/g) ?? []).length > 1) break;
    start = r.pos;
  }
  return start;
}

type FunctionLike = ts.FunctionDeclaration | ts.ArrowFunction | ts.FunctionExpression;

interface Found {
  /** The statement to show (a function declaration or the variable statement holding one). */
  statement: ts.Statement;
  /** The first overload signature, when there are overloads: shown from there. */
  first: ts.Statement;
  fn: FunctionLike;
}

function unwrap(e: ts.Expression | undefined): ts.Expression | undefined {
  let x = e;
  while (x && (ts.isParenthesizedExpression(x) || ts.isAsExpression(x) || ts.isSatisfiesExpression(x)))
    x = x.expression;
  return x;
}

function findDeclaration(sf: ts.SourceFile, name: string): Found | undefined {
  let first: ts.Statement | undefined;
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name?.text === name) {
      first ??= st;
      if (st.body) return { statement: st, first, fn: st };
    } else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations) {
        if (!ts.isIdentifier(d.name) || d.name.text !== name) continue;
        const init = unwrap(d.initializer);
        if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)))
          return { statement: st, first: st, fn: init };
      }
    }
  }
  return undefined;
}

function calledName(callee: ts.Expression): string | undefined {
  const e = unwrap(callee);
  if (!e) return undefined;
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  if (ts.isNonNullExpression(e)) return calledName(e.expression);
  return undefined;
}

/** Every called name inside `node`, in source order, once each. */
export function callsIn(node: ts.Node): string[] {
  const out: string[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n)) {
      const name = calledName(n.expression);
      if (name !== undefined && !out.includes(name)) out.push(name);
    }
    ts.forEachChild(n, visit);
  };
  visit(node);
  return out;
}

export function parseTs(text: string, fileName = 'file.ts'): ts.SourceFile {
  return ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** The function `name` of a parsed file, or undefined when the file declares no such function. */
export function extractFunction(sf: ts.SourceFile, name: string): TsFunction | undefined {
  const found = findDeclaration(sf, name);
  if (!found) return undefined;
  const start = startWithComments(sf, found.first);
  const end = found.statement.getEnd();
  return {
    name,
    text: sf.text.slice(start, end),
    line: sf.getLineAndCharacterOfPosition(start).line + 1,
    calls: found.fn.body ? callsIn(found.fn.body) : [],
  };
}
