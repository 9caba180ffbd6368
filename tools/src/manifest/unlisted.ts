// unlisted: the other direction of the manifest check. Every exported function with a kernel-style
// name in a package's port files should have a manifest entry (or an exemption saying why not),
// and every entry's TS symbol should really be exported from the file it names.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { LoadedManifest } from './manifests.js';
import { exportedNames, listExports } from './ts-exports.js';

export interface UnlistedProblem {
  manifest: string;
  problem: 'no manifest entry' | 'not exported' | 'no such file';
  tsFile: string;
  tsSymbol: string;
}

/** Kernel names are snake_case or a single lower-case word (`kernel_neon_begin`, `memcpy`). */
export function isKernelStyle(name: string): boolean {
  return name.includes('_') || /^[a-z][a-z0-9]*$/.test(name);
}

function walkTs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const full = join(dir, d.name);
    if (d.isDirectory()) return walkTs(full);
    return /\.ts$/.test(d.name) && !/\.(test|spec|d)\.ts$/.test(d.name) ? [full] : [];
  });
}

/** The port files of a package: src/v6.*\/**\/*.ts without tests, as paths relative to the package. */
export function portFiles(packageDir: string): string[] {
  const src = join(packageDir, 'src');
  if (!existsSync(src)) return [];
  const revisions = readdirSync(src, { withFileTypes: true }).filter(
    (d) => d.isDirectory() && /^v6\./.test(d.name),
  );
  return revisions
    .flatMap((d) => walkTs(join(src, d.name)))
    .map((f) => relative(packageDir, f).split(sep).join('/'))
    .sort();
}

const key = (file: string, symbol: string) => `${file}#${symbol}`;

/** file#symbol for each entry and exemption; file#* for a whole-file exemption. */
function listedKeys(m: LoadedManifest): Set<string> {
  const keys = new Set<string>();
  for (const e of m.manifest.entries) if (e.tsFile && e.tsSymbol) keys.add(key(e.tsFile, e.tsSymbol));
  for (const x of m.manifest.exempt ?? []) keys.add(key(x.tsFile, x.tsSymbol ?? '*'));
  return keys;
}

function unlistedExports(m: LoadedManifest): UnlistedProblem[] {
  const listed = listedKeys(m);
  const files = portFiles(m.packageDir).filter((f) => !listed.has(key(f, '*')));
  return files.flatMap((tsFile) =>
    listExports(readFileSync(join(m.packageDir, tsFile), 'utf8'), tsFile)
      .exports.filter((e) => e.declaredHere && e.kind === 'function' && isKernelStyle(e.name))
      .filter((e) => !listed.has(key(tsFile, e.name)))
      .map((e) => ({ manifest: m.label, problem: 'no manifest entry' as const, tsFile, tsSymbol: e.name })),
  );
}

/** Whole-file exemptions naming a file that is not there. */
function missingExemptFiles(m: LoadedManifest): UnlistedProblem[] {
  return (m.manifest.exempt ?? [])
    .filter((x) => x.tsSymbol === undefined && !existsSync(join(m.packageDir, x.tsFile)))
    .map((x) => ({ manifest: m.label, problem: 'no such file', tsFile: x.tsFile, tsSymbol: '*' }));
}

/** Entries and exemptions whose symbol the named file does not export. */
function staleReferences(m: LoadedManifest): UnlistedProblem[] {
  const refs = [...m.manifest.entries, ...(m.manifest.exempt ?? [])].flatMap((e) =>
    e.tsFile && e.tsSymbol ? [{ tsFile: e.tsFile, tsSymbol: e.tsSymbol }] : [],
  );
  const cache = new Map<string, Set<string>>();
  return refs.flatMap(({ tsFile, tsSymbol }): UnlistedProblem[] => {
    const abs = join(m.packageDir, tsFile);
    if (!existsSync(abs)) return [{ manifest: m.label, problem: 'no such file', tsFile, tsSymbol }];
    if (!cache.has(abs)) cache.set(abs, exportedNames(abs));
    return cache.get(abs)?.has(tsSymbol)
      ? []
      : [{ manifest: m.label, problem: 'not exported', tsFile, tsSymbol }];
  });
}

export function findUnlisted(manifests: LoadedManifest[]): UnlistedProblem[] {
  return manifests.flatMap((m) => [...unlistedExports(m), ...missingExemptFiles(m), ...staleReferences(m)]);
}
