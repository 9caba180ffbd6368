// Finding, loading and writing manifest files.

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { CliError } from '../shared/cli.js';
import { parseManifest, type Manifest, type ManifestEntry } from './schema.js';

export const WORKSPACE_ROOT = resolve(import.meta.dirname, '../../..');

export interface LoadedManifest {
  /** Absolute path of manifest.json. */
  file: string;
  /** The file as shown in messages: relative to the current directory. */
  label: string;
  /** The package root, which tsFile paths are relative to. */
  packageDir: string;
  manifest: Manifest;
}

/** Every packages/<pkg>/manifest.json in the workspace, sorted. */
export function discoverManifests(root = WORKSPACE_ROOT): string[] {
  const packages = join(root, 'packages');
  if (!existsSync(packages)) return [];
  return readdirSync(packages, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(packages, d.name, 'manifest.json'))
    .filter((f) => existsSync(f))
    .sort();
}

export function loadManifest(file: string): LoadedManifest {
  const abs = resolve(file);
  const label = relative(process.cwd(), abs) || abs;
  if (!existsSync(abs)) throw new CliError(`${label}: expected a manifest file`);
  return {
    file: abs,
    label,
    packageDir: dirname(abs),
    manifest: parseManifest(readFileSync(abs, 'utf8'), label),
  };
}

/** The --manifest files given, or every manifest in the workspace. */
export function loadManifests(files: string[] | undefined, root = WORKSPACE_ROOT): LoadedManifest[] {
  const chosen = files && files.length > 0 ? files : discoverManifests(root);
  return chosen.map(loadManifest);
}

const ENTRY_KEYS: (keyof ManifestEntry)[] = [
  'kernelPath',
  'function',
  'revision',
  'variant',
  'tsSymbol',
  'tsFile',
  'readFrom',
  'bodyHash',
  'kind',
  'note',
];

/** Entries with their keys in one order, so rewrites make small diffs. */
function canonical(manifest: Manifest): Manifest {
  const entries = manifest.entries.map(
    (e) =>
      Object.fromEntries(ENTRY_KEYS.filter((k) => e[k] !== undefined).map((k) => [k, e[k]])) as ManifestEntry,
  );
  return { package: manifest.package, entries, ...(manifest.exempt ? { exempt: manifest.exempt } : {}) };
}

/** Writes a manifest formatted as the repository's prettier configuration wants it. */
export async function writeManifest(loaded: LoadedManifest): Promise<void> {
  const text = JSON.stringify(canonical(loaded.manifest), null, 2) + '\n';
  // Loaded on demand: only fill writes, and prettier is slow to load.
  const prettier = await import('prettier');
  const options = (await prettier.resolveConfig(loaded.file)) ?? {};
  writeFileSync(loaded.file, await prettier.format(text, { ...options, filepath: loaded.file }));
}
