// `kvmfp revision new NAME --from BASE --files F...`: a new revision for a later kernel patch. Only
// the named port files are copied (to packages/<pkg>/src/NAME/); every other file stays shared with
// BASE: the copies' relative imports of uncopied files are rewritten to BASE's files. The revision's
// entry table is BASE's with every entry the copies export taken from the copies; it is listed in
// packages/hyp-switch/src/later-revisions.ts (generated) and added to the `revisions` record by one
// call in revisions.ts. The copies' manifest entries are added without hashes: the patched kernel
// text gives them (manifest fill --rev NAME).

import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { CliError } from '../shared/cli.js';
import { loadManifest, writeManifest } from '../manifest/manifests.js';
import { entrySchema, type ManifestEntry } from '../manifest/schema.js';
import { listExports } from '../manifest/ts-exports.js';
import {
  chainOf,
  entryTableNames,
  LATER_REVISIONS_FILE,
  listRevisions,
  REVISIONS_FILE,
  revisionFile,
} from './layout.js';

export interface NewRevisionInput {
  root: string;
  name: string;
  from: string;
  files: string[];
}

export interface CopiedFile {
  /** Workspace-relative paths. */
  from: string;
  to: string;
  packageName: string;
  /** Relative imports rewritten to the base's (shared) files. */
  sharedImports: string[];
  /** Entry-table entries the copy exports. */
  entries: string[];
  /** The namespace the package index exports the copy under (other packages than hyp-switch). */
  indexExport?: string;
}

export interface NewRevisionResult {
  name: string;
  from: string;
  copied: CopiedFile[];
  manifestEntries: { manifest: string; count: number }[];
  laterRevisionsCreated: boolean;
  /** How revisions.ts was connected: just now, already, or a manual edit is needed. */
  revisionsHook: 'added' | 'present' | 'manual';
  warnings: string[];
  next: string[];
}

const toPosix = (p: string): string => p.split('\\').join('/');

/** camelCase of the words in a string: kvm-fpsimd -> kvmFpsimd, v6.5 -> v65. */
export function camelWords(...parts: string[]): string {
  const words = parts.flatMap((p) => p.split(/[^A-Za-z0-9]+/)).filter(Boolean);
  return words
    .map((w, i) =>
      i === 0 ? w.charAt(0).toLowerCase() + w.slice(1) : w.charAt(0).toUpperCase() + w.slice(1),
    )
    .join('');
}

interface PortFile {
  abs: string;
  rel: string;
  packageName: string;
  packageDir: string;
  /** The revision directory it is in, and the path inside it. */
  dir: string;
  inner: string;
}

function resolvePortFile(
  root: string,
  file: string,
  from: string,
  revisions: ReturnType<typeof listRevisions>,
): PortFile {
  // Relative to the workspace root first (the form the README and patch-impact print), else to the
  // current directory.
  const abs = isAbsolute(file) ? file : existsSync(resolve(root, file)) ? resolve(root, file) : resolve(file);
  const rel = toPosix(relative(root, abs));
  const m = /^packages\/([^/]+)\/src\/([^/]+)\/(.+\.ts)$/.exec(rel);
  if (!m || !existsSync(abs) || m[3]?.endsWith('.test.ts'))
    throw new CliError(`--files: ${file}: expected a port file packages/<pkg>/src/<revision>/<file>.ts`);
  const [, pkg = '', dir = '', inner = ''] = m;
  const packageDir = join(root, 'packages', pkg);
  const uses = revisionFile(revisions, packageDir, from, inner);
  if (uses !== `src/${dir}/${inner}`)
    throw new CliError(
      `--files: ${rel}: expected a file revision ${from} uses` +
        (uses
          ? ` (it uses packages/${pkg}/${uses})`
          : ` (revision ${from} has no ${inner} in packages/${pkg})`),
    );
  const pkgJson = join(packageDir, 'package.json');
  const packageName = existsSync(pkgJson)
    ? ((JSON.parse(readFileSync(pkgJson, 'utf8')) as { name?: string }).name ?? `@kvmfp/${pkg}`)
    : `@kvmfp/${pkg}`;
  return { abs, rel, packageName, packageDir, dir, inner };
}

/** The module specifiers of a file's imports and re-exports, with their positions (inside the quotes). */
function specifiers(sf: ts.SourceFile): { text: string; start: number; end: number }[] {
  const out: { text: string; start: number; end: number }[] = [];
  const add = (lit: ts.Expression | undefined): void => {
    if (lit && ts.isStringLiteral(lit))
      out.push({ text: lit.text, start: lit.getStart(sf) + 1, end: lit.getEnd() - 1 });
  };
  for (const st of sf.statements) {
    if (ts.isImportDeclaration(st)) add(st.moduleSpecifier);
    else if (ts.isExportDeclaration(st)) add(st.moduleSpecifier);
  }
  const visit = (n: ts.Node): void => {
    if (ts.isCallExpression(n) && n.expression.kind === ts.SyntaxKind.ImportKeyword) add(n.arguments[0]);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

const asTs = (p: string): string => p.replace(/\.js$/, '.ts');
const asJs = (p: string): string => p.replace(/\.ts$/, '.js');

function relativeSpecifier(fromDir: string, target: string): string {
  const r = toPosix(relative(fromDir, target));
  return r.startsWith('.') ? r : `./${r}`;
}

/**
 * The copy's text: relative imports point at the base's files unless the target is copied too;
 * each function's reference line names the new revision.
 */
function rewrite(
  text: string,
  original: PortFile,
  newAbs: string,
  copies: Map<string, string>,
  name: string,
) {
  const sf = ts.createSourceFile(original.abs, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const edits: { start: number; end: number; text: string }[] = [];
  const shared: string[] = [];
  for (const s of specifiers(sf)) {
    if (!s.text.startsWith('.')) continue;
    const target = resolve(dirname(original.abs), asTs(s.text));
    const copy = copies.get(target);
    const spec = asJs(relativeSpecifier(dirname(newAbs), copy ?? target));
    if (!copy) shared.push(s.text);
    if (spec !== s.text) edits.push({ start: s.start, end: s.end, text: spec });
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.start - a.start))
    out = out.slice(0, e.start) + e.text + out.slice(e.end);
  // "// arch/arm64/kvm/fpsimd.c: kvm_arch_vcpu_load_fp (v6.4)" -> "(NAME)"
  out = out.replace(/^(\s*\/\/ [\w./+-]+: [\w$]+ )\((v[\d.]+)\)(\s*)$/gm, `$1(${name})$3`);
  return { text: out, shared };
}

function tsFilesIn(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...tsFilesIn(path));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const LATER_TEMPLATE = `// Revisions for later kernel patches, made by \`kvmfp revision new\` (tools/src/revision). Each is
// its base revision's entry table with every entry its copied port files export taken from the
// copies; every other file is shared with the base. \`revision new\` adds the imports and the list
// items below; remove a revision by deleting its lines and its src/<name>/ directories.
import type { EntryTable } from '@kvmfp/fpsimd';
// revision new: imports above this line

interface LaterRevision {
  name: string;
  from: string;
  /** The copied port files of the revision, as modules. */
  modules: readonly object[];
}

export const laterRevisionList: LaterRevision[] = [
  // revision new: revisions above this line
];

/** Adds each later revision's table to \`revisions\`, in order (one may build on an earlier one). */
export function addLaterRevisions(revisions: Record<string, EntryTable>): void {
  for (const r of laterRevisionList) {
    const base = revisions[r.from];
    if (!base) throw new Error(\`revision \${r.name}: no base revision \${r.from}\`);
    const table: Record<string, unknown> = { ...base };
    for (const m of r.modules)
      for (const [k, v] of Object.entries(m)) if (k in base && typeof v === 'function') table[k] = v;
    revisions[r.name] = table as unknown as EntryTable;
  }
}
`;

const IMPORTS_MARK = '// revision new: imports above this line';
const LIST_MARK = '  // revision new: revisions above this line';

function insertBefore(text: string, mark: string, lines: string[], file: string): string {
  const i = text.indexOf(mark);
  if (i < 0) throw new CliError(`${file}: expected the line '${mark.trim()}'`);
  return text.slice(0, i) + lines.map((l) => `${l}\n`).join('') + text.slice(i);
}

/** Connects revisions.ts to later-revisions.ts: one import and one call after the record. */
function hookRevisions(root: string): NewRevisionResult['revisionsHook'] {
  const file = join(root, REVISIONS_FILE);
  if (!existsSync(file)) return 'manual';
  const text = readFileSync(file, 'utf8');
  if (text.includes('addLaterRevisions(')) return 'present';
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const record = sf.statements.find(
    (st) =>
      ts.isVariableStatement(st) &&
      st.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === 'revisions'),
  );
  const lastImport = [...sf.statements].reverse().find((st) => ts.isImportDeclaration(st));
  if (!record || !lastImport) return 'manual';
  const call = `\n\n// The revisions made for later kernel patches (kvmfp revision new): see later-revisions.ts.\naddLaterRevisions(revisions);`;
  const imp = `\nimport { addLaterRevisions } from './later-revisions.js';`;
  const out =
    text.slice(0, lastImport.getEnd()) +
    imp +
    text.slice(lastImport.getEnd(), record.getEnd()) +
    call +
    text.slice(record.getEnd());
  writeFileSync(file, out);
  return 'added';
}

/** Rewrites the files as the workspace's prettier configuration wants them (as `manifest fill` does). */
async function formatFiles(files: string[]): Promise<void> {
  const prettier = await import('prettier');
  for (const file of files) {
    const options = (await prettier.resolveConfig(file)) ?? {};
    writeFileSync(file, await prettier.format(readFileSync(file, 'utf8'), { ...options, filepath: file }));
  }
}

export async function newRevision(input: NewRevisionInput): Promise<NewRevisionResult> {
  const { root, name, from } = input;
  if (!entrySchema.shape.revision.safeParse(name).success)
    throw new CliError(`NAME: ${name}: expected a revision name like v6.5 (the manifest's revision format)`);
  const revisions = listRevisions(root);
  if (!revisions.some((r) => r.name === from))
    throw new CliError(`--from: expected one of ${revisions.map((r) => r.name).join(', ')}, not '${from}'`);
  const packagesDir = join(root, 'packages');
  const existing = existsSync(packagesDir)
    ? readdirSync(packagesDir).filter((p) => existsSync(join(packagesDir, p, 'src', name)))
    : [];
  if (revisions.some((r) => r.name === name) || existing.length)
    throw new CliError(
      `NAME: revision ${name} exists already${existing.length ? ` (packages/${existing[0]}/src/${name})` : ''}`,
    );
  if (input.files.length === 0) throw new CliError('--files: expected at least one port file to copy');

  const ports = input.files.map((f) => resolvePortFile(root, f, from, revisions));
  const copies = new Map<string, string>();
  for (const p of ports) copies.set(p.abs, join(p.packageDir, 'src', name, p.inner));
  const entryNames = entryTableNames(root);

  const copied: CopiedFile[] = [];
  for (const p of ports) {
    const newAbs = copies.get(p.abs) ?? '';
    const { text, shared } = rewrite(readFileSync(p.abs, 'utf8'), p, newAbs, copies, name);
    mkdirSync(dirname(newAbs), { recursive: true });
    writeFileSync(newAbs, text);
    const exported = listExports(text, newAbs)
      .exports.filter((e) => e.kind === 'function')
      .map((e) => e.name);
    copied.push({
      from: p.rel,
      to: toPosix(relative(root, newAbs)),
      packageName: p.packageName,
      sharedImports: shared,
      entries: exported.filter((e) => entryNames.has(e)),
    });
  }

  // Manifest entries of the copies: those the base lists for the copied file, without hashes.
  const manifestEntries: NewRevisionResult['manifestEntries'] = [];
  const chain = chainOf(revisions, from);
  for (const pkgDir of [...new Set(ports.map((p) => p.packageDir))]) {
    const file = join(pkgDir, 'manifest.json');
    if (!existsSync(file)) continue;
    const loaded = loadManifest(file);
    const added: ManifestEntry[] = [];
    for (const p of ports.filter((q) => q.packageDir === pkgDir)) {
      const tsFile = `src/${p.dir}/${p.inner}`;
      // The nearest revision of the base's chain that lists the file (a package may list only v6.4).
      const rev = chain.find((r) =>
        loaded.manifest.entries.some((e) => e.revision === r && e.tsFile === tsFile),
      );
      for (const e of loaded.manifest.entries) {
        if (e.revision !== rev || e.tsFile !== tsFile) continue;
        const { bodyHash: _hash, readFrom: _from, ...rest } = e;
        added.push({ ...rest, revision: name, tsFile: `src/${name}/${p.inner}` });
      }
    }
    if (added.length) {
      loaded.manifest.entries.push(...added);
      await writeManifest(loaded);
      manifestEntries.push({ manifest: toPosix(relative(root, file)), count: added.length });
    }
  }

  // The package index exports each copy (hyp-switch imports its own copies directly).
  for (const c of copied) {
    const pkg = c.to.split('/')[1] ?? '';
    if (pkg === 'hyp-switch') continue;
    const index = join(root, 'packages', pkg, 'src/index.ts');
    const ident = camelWords(pkg, c.to.split('/').slice(4).join('/').replace(/\.ts$/, ''), name);
    const line = `export * as ${ident} from './${name}/${c.to.split('/').slice(4).join('/').replace(/\.ts$/, '.js')}';\n`;
    const text = existsSync(index) ? readFileSync(index, 'utf8') : '';
    if (!text.includes(line)) writeFileSync(index, text + (text.endsWith('\n') || !text ? '' : '\n') + line);
    c.indexExport = ident;
  }

  // The revision's table: listed in later-revisions.ts, which revisions.ts calls.
  const laterFile = join(root, LATER_REVISIONS_FILE);
  const laterRevisionsCreated = !existsSync(laterFile);
  let later = laterRevisionsCreated ? LATER_TEMPLATE : readFileSync(laterFile, 'utf8');
  const imports: string[] = [];
  const modules: string[] = [];
  for (const c of copied) {
    const parts = c.to.split('/');
    const pkg = parts[1] ?? '';
    const inner = parts.slice(4).join('/').replace(/\.ts$/, '.js');
    const ident = camelWords(pkg, inner.replace(/\.js$/, ''), name);
    if (pkg === 'hyp-switch') imports.push(`import * as ${ident} from './${name}/${inner}';`);
    else imports.push(`import { ${ident} } from '${c.packageName}';`);
    modules.push(ident);
  }
  later = insertBefore(later, IMPORTS_MARK, imports, LATER_REVISIONS_FILE);
  later = insertBefore(
    later,
    LIST_MARK,
    [`  { name: '${name}', from: '${from}', modules: [${modules.join(', ')}] },`],
    LATER_REVISIONS_FILE,
  );
  mkdirSync(dirname(laterFile), { recursive: true });
  writeFileSync(laterFile, later);
  const revisionsHook = hookRevisions(root);
  const indexFiles = copied
    .filter((c) => c.indexExport !== undefined)
    .map((c) => join(root, 'packages', c.to.split('/')[1] ?? '', 'src/index.ts'));
  await formatFiles([
    ...[...copies.values()],
    ...new Set(indexFiles),
    laterFile,
    ...(revisionsHook === 'added' ? [join(root, REVISIONS_FILE)] : []),
  ]);

  // Shared files that import a copied file directly keep running the base's copy.
  const warnings: string[] = [];
  for (const p of ports) {
    for (const dir of chain) {
      for (const other of tsFilesIn(join(p.packageDir, 'src', dir))) {
        if (copies.has(other)) continue;
        const text = readFileSync(other, 'utf8');
        const sf = ts.createSourceFile(other, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
        const names: string[] = [];
        for (const st of sf.statements) {
          if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
          if (!st.moduleSpecifier.text.startsWith('.')) continue;
          if (resolve(dirname(other), asTs(st.moduleSpecifier.text)) !== p.abs) continue;
          if (st.importClause?.isTypeOnly) continue;
          const bindings = st.importClause?.namedBindings;
          if (bindings && ts.isNamedImports(bindings))
            names.push(...bindings.elements.filter((e) => !e.isTypeOnly).map((e) => e.name.text));
          else if (bindings) names.push(`* as ${bindings.name.text}`);
        }
        if (names.length)
          warnings.push(
            `${toPosix(relative(root, other))} imports ${names.join(', ')} from ${p.rel}: those calls still run ${from}'s code (calls through E reach the copy); copy that file too if the patch changes what they do`,
          );
      }
    }
  }
  for (const c of copied)
    if (c.entries.length === 0)
      warnings.push(
        `${c.to}: exports no entry-table entry, so the sim reaches its functions only through shared files that import ${c.from}: copy those callers too`,
      );

  const manifests = manifestEntries.map((m) => m.manifest);
  const next = [
    `edit the copies to port the patch: ${copied.map((c) => c.to).join(', ')} (keep each function's reference line)`,
    manifests.length
      ? `record the patched kernel hashes: npm run manifest -- fill --git-dir DIR --commit C --rev ${name} ${manifests.map((m) => `--manifest ${m}`).join(' ')}`
      : 'no manifest lists the copied files: add their entries (npm run manifest -- unlisted shows what is missing)',
    'check: npx nx run-many -t typecheck lint test',
    `compare behaviour: npx kvmfp equiv ${from} ${name} fixtures/configs/ref.yaml (and the other configurations in fixtures/configs)`,
  ];
  if (revisionsHook === 'manual')
    next.unshift(
      `connect the table: in ${REVISIONS_FILE}, import { addLaterRevisions } from './later-revisions.js' and call addLaterRevisions(revisions) after the revisions record`,
    );
  return { name, from, copied, manifestEntries, laterRevisionsCreated, revisionsHook, warnings, next };
}

export function formatNewRevision(r: NewRevisionResult): string {
  const lines = [`revision ${r.name}, from ${r.from}:`];
  for (const c of r.copied) {
    lines.push(`  copied ${c.from} -> ${c.to}`);
    if (c.sharedImports.length)
      lines.push(`    shared with ${r.from} (imports rewritten): ${c.sharedImports.join(', ')}`);
    lines.push(`    entries taken from the copy: ${c.entries.length ? c.entries.join(', ') : 'none'}`);
    if (c.indexExport) lines.push(`    exported by the package index as ${c.indexExport}`);
  }
  for (const m of r.manifestEntries)
    lines.push(`  ${m.manifest}: ${m.count} ${r.name} entries added, without hashes`);
  lines.push(
    `  ${LATER_REVISIONS_FILE}: ${r.laterRevisionsCreated ? 'created, ' : ''}lists ${r.name}` +
      `; ${REVISIONS_FILE}: ${{ added: 'now calls addLaterRevisions', present: 'calls addLaterRevisions', manual: 'needs the edit below' }[r.revisionsHook]}`,
  );
  if (r.warnings.length) lines.push('warnings:', ...r.warnings.map((w) => `  - ${w}`));
  lines.push('next:', ...r.next.map((n, i) => `  ${i + 1}. ${n}`));
  return lines.join('\n');
}
