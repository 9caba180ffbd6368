// What a TypeScript port file exports, read with the TypeScript compiler's parser (syntax only: no
// program or type checker is needed to know what a file declares and exports).

import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

export type ExportKind = 'function' | 'value' | 'class' | 'type';

export interface TsExport {
  name: string;
  kind: ExportKind;
  /** False when the name is re-exported from another module rather than declared here. */
  declaredHere: boolean;
}

const hasExport = (node: ts.Node): boolean =>
  ts.canHaveModifiers(node) &&
  (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);

function unwrap(e: ts.Expression | undefined): ts.Expression | undefined {
  let x = e;
  while (x && (ts.isParenthesizedExpression(x) || ts.isAsExpression(x) || ts.isSatisfiesExpression(x)))
    x = x.expression;
  return x;
}

function variableKind(d: ts.VariableDeclaration): ExportKind {
  const init = unwrap(d.initializer);
  return init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init)) ? 'function' : 'value';
}

/** Local declarations by name and kind, exported or not (for `export { a as b }`). */
function localDeclarations(sf: ts.SourceFile): Map<string, ExportKind> {
  const out = new Map<string, ExportKind>();
  for (const st of sf.statements) {
    if (ts.isFunctionDeclaration(st) && st.name) out.set(st.name.text, 'function');
    else if (ts.isClassDeclaration(st) && st.name) out.set(st.name.text, 'class');
    else if (ts.isEnumDeclaration(st)) out.set(st.name.text, 'value');
    else if (ts.isInterfaceDeclaration(st) || ts.isTypeAliasDeclaration(st)) out.set(st.name.text, 'type');
    else if (ts.isVariableStatement(st)) {
      for (const d of st.declarationList.declarations)
        if (ts.isIdentifier(d.name)) out.set(d.name.text, variableKind(d));
    }
  }
  return out;
}

function declaredNames(st: ts.Statement): string[] {
  if (ts.isVariableStatement(st)) {
    return st.declarationList.declarations.flatMap((d) => (ts.isIdentifier(d.name) ? [d.name.text] : []));
  }
  const named = st as ts.Statement & { name?: ts.Node };
  return named.name && ts.isIdentifier(named.name) ? [named.name.text] : [];
}

function namedExports(st: ts.ExportDeclaration, locals: Map<string, ExportKind>): TsExport[] {
  if (!st.exportClause || !ts.isNamedExports(st.exportClause)) return [];
  const fromElsewhere = st.moduleSpecifier !== undefined;
  return st.exportClause.elements.map((el) => {
    const local = (el.propertyName ?? el.name).text;
    const kind: ExportKind =
      st.isTypeOnly || el.isTypeOnly ? 'type' : fromElsewhere ? 'value' : (locals.get(local) ?? 'value');
    return { name: el.name.text, kind, declaredHere: !fromElsewhere };
  });
}

export interface ExportList {
  exports: TsExport[];
  /** Module specifiers of `export * from '...'`. */
  starFrom: string[];
}

export function listExports(text: string, fileName = 'file.ts'): ExportList {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const locals = localDeclarations(sf);
  const exports: TsExport[] = [];
  const starFrom: string[] = [];
  for (const st of sf.statements) {
    if (ts.isExportDeclaration(st)) {
      if (!st.exportClause && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier))
        starFrom.push(st.moduleSpecifier.text);
      exports.push(...namedExports(st, locals));
    } else if (hasExport(st)) {
      for (const name of declaredNames(st))
        exports.push({ name, kind: locals.get(name) ?? 'value', declaredHere: true });
    }
  }
  // Overloads declare a function more than once; list it once.
  return { exports: exports.filter((e, i) => exports.findIndex((x) => x.name === e.name) === i), starFrom };
}

/** A relative module specifier ('./x.js') as the .ts file it names. */
function resolveModule(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(fromFile), spec);
  return [base.replace(/\.js$/, '.ts'), `${base}.ts`, resolve(base, 'index.ts')].find((f) => existsSync(f));
}

/** Every name a file exports, following `export * from` into relative modules. */
export function exportedNames(file: string, seen = new Set<string>()): Set<string> {
  const names = new Set<string>();
  if (seen.has(file) || !existsSync(file)) return names;
  seen.add(file);
  const { exports, starFrom } = listExports(readFileSync(file, 'utf8'), file);
  for (const e of exports) names.add(e.name);
  for (const spec of starFrom) {
    const target = resolveModule(file, spec);
    if (target) for (const n of exportedNames(target, seen)) names.add(n);
  }
  return names;
}
