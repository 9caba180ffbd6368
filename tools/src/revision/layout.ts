// The revision layout of the workspace, read from its files (syntax only, nothing is imported):
// which revisions exist and what each is based on, which port file a revision uses for a kernel
// file (its own copy, or the one it shares with its base), and the names of the entry table.
//
// A revision's port files live in packages/<pkg>/src/<revision>/. The pinned revision (v6.4) has
// every file; any other has only the files it changed and shares the rest with its base: v6.3 and
// the revisions that predate `revision new` with v6.4, later ones with the base named in
// packages/hyp-switch/src/later-revisions.ts (which `revision new` writes).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

export const PINNED_REVISION = 'v6.4';
export const REVISIONS_FILE = 'packages/hyp-switch/src/revisions.ts';
export const LATER_REVISIONS_FILE = 'packages/hyp-switch/src/later-revisions.ts';

export interface Revision {
  name: string;
  /** The revision it shares unchanged files with (undefined for the pinned one). */
  base?: string;
}

const parse = (file: string): ts.SourceFile =>
  ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);

const propertyName = (p: ts.ObjectLiteralElementLike): string | undefined =>
  p.name && (ts.isStringLiteral(p.name) || ts.isIdentifier(p.name)) ? p.name.text : undefined;

/** The keys of `export const revisions = { ... }` in revisions.ts. */
function tableKeys(root: string): string[] {
  const file = join(root, REVISIONS_FILE);
  if (!existsSync(file)) return [];
  const keys: string[] = [];
  for (const st of parse(file).statements) {
    if (!ts.isVariableStatement(st)) continue;
    for (const d of st.declarationList.declarations) {
      if (!ts.isIdentifier(d.name) || d.name.text !== 'revisions') continue;
      const init = d.initializer;
      if (init && ts.isObjectLiteralExpression(init))
        for (const p of init.properties) {
          const k = propertyName(p);
          if (k !== undefined) keys.push(k);
        }
    }
  }
  return keys;
}

/** The `{ name, from }` records of later-revisions.ts, in file order. */
export function laterRevisions(root: string): Revision[] {
  const file = join(root, LATER_REVISIONS_FILE);
  if (!existsSync(file)) return [];
  const out: Revision[] = [];
  const visit = (n: ts.Node): void => {
    if (ts.isObjectLiteralExpression(n)) {
      const get = (key: string): string | undefined => {
        const p = n.properties.find((q) => propertyName(q) === key);
        return p && ts.isPropertyAssignment(p) && ts.isStringLiteral(p.initializer)
          ? p.initializer.text
          : undefined;
      };
      const name = get('name');
      const from = get('from');
      if (name !== undefined && from !== undefined) out.push({ name, base: from });
    }
    ts.forEachChild(n, visit);
  };
  visit(parse(file));
  return out;
}

/** Every revision: the pinned one first, then the entry table's others, then the later ones. */
export function listRevisions(root: string): Revision[] {
  const later = laterRevisions(root);
  const out: Revision[] = [{ name: PINNED_REVISION }];
  for (const k of tableKeys(root))
    if (k !== PINNED_REVISION && !later.some((l) => l.name === k))
      out.push({ name: k, base: PINNED_REVISION });
  for (const l of later) if (!out.some((r) => r.name === l.name)) out.push(l);
  return out;
}

export function revisionNumber(rev: string): number {
  const [maj, min] = rev.replace(/^v/, '').split('.').map(Number);
  return (maj ?? 0) * 1000 + (min ?? 0);
}

/** The chain of revisions a revision's files are looked up in: itself, its base, and so on. */
export function chainOf(revisions: readonly Revision[], name: string): string[] {
  const chain: string[] = [];
  let r: string | undefined = name;
  while (r !== undefined && !chain.includes(r)) {
    chain.push(r);
    const current: string = r;
    r =
      revisions.find((x) => x.name === current)?.base ??
      (current === PINNED_REVISION ? undefined : PINNED_REVISION);
  }
  return chain;
}

/**
 * The package-relative port file (src/<rev>/<rel>) a revision uses for `rel` (a path inside a
 * revision directory, like fpsimd.ts): its own, or the nearest base's; undefined when none has it.
 */
export function revisionFile(
  revisions: readonly Revision[],
  packageDir: string,
  revision: string,
  rel: string,
): string | undefined {
  for (const r of chainOf(revisions, revision)) {
    const candidate = `src/${r}/${rel}`;
    if (existsSync(join(packageDir, candidate))) return candidate;
  }
  return undefined;
}

/** `src/v6.4/fpsimd.ts` -> { revision: 'v6.4', rel: 'fpsimd.ts' } */
export function splitPortFile(tsFile: string): { revision: string; rel: string } | undefined {
  const m = /^src\/([^/]+)\/(.+)$/.exec(tsFile);
  return m ? { revision: m[1] ?? '', rel: m[2] ?? '' } : undefined;
}

function tsFilesUnder(dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'node_modules') tsFilesUnder(path, out);
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
}

/** Files that assemble entry tables from functions (besides the EntryTable declarations). */
const TABLE_FILES = /\/src\/(entries|entry-table|revisions)\.ts$/;

/**
 * The entry-table names: the members of every `interface EntryTable` declaration (the base one and
 * each augmentation), and the properties of the objects the table files (src/entries.ts,
 * src/revisions.ts) build tables from, where the value is a function reference (`name,`,
 * `name: f`, `name: module.f`): the host entries, for one, are listed only there.
 */
export function entryTableNames(root: string): Set<string> {
  const names = new Set<string>();
  const files: string[] = [];
  const packages = join(root, 'packages');
  if (existsSync(packages))
    for (const pkg of readdirSync(packages)) tsFilesUnder(join(packages, pkg, 'src'), files);
  for (const file of files) {
    const isTableFile = TABLE_FILES.test(file.split('\\').join('/'));
    if (!isTableFile && !readFileSync(file, 'utf8').includes('interface EntryTable')) continue;
    const visit = (n: ts.Node): void => {
      if (ts.isInterfaceDeclaration(n) && n.name.text === 'EntryTable')
        for (const m of n.members)
          if (m.name && (ts.isIdentifier(m.name) || ts.isStringLiteral(m.name))) names.add(m.name.text);
      if (isTableFile && ts.isObjectLiteralExpression(n))
        for (const p of n.properties) {
          if (ts.isShorthandPropertyAssignment(p)) names.add(p.name.text);
          else if (
            ts.isPropertyAssignment(p) &&
            ts.isIdentifier(p.name) &&
            (ts.isIdentifier(p.initializer) || ts.isPropertyAccessExpression(p.initializer))
          )
            names.add(p.name.text);
        }
      ts.forEachChild(n, visit);
    };
    visit(parse(file));
  }
  return names;
}
