// Building the reader's static site into a directory.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KernelSource } from '../shared/source.js';
import type { LoadedManifest } from '../manifest/manifests.js';
import {
  fixtureFiles,
  grepNames,
  loadTraces,
  runFixtureScenarios,
  tracesByFunction,
  type TraceLike,
} from './fixtures.js';
import { buildModel, hrefOf, type ReaderEntry, type ReaderModel } from './model.js';
import { CSS, renderFilePage, renderIndex, renderRedirect, STYLESHEET } from './render.js';

export interface SiteOptions {
  manifests: LoadedManifest[];
  source: KernelSource;
  outDir: string;
  /** The workspace root: paths are shown relative to it. */
  root: string;
  /** The fixtures directory to search for function names. */
  fixturesDir: string;
  /** Files or directories of `kvmfp run --json` output. */
  traces?: string[];
  /** Run each fixture scenario with the sim and record which functions it ran. */
  runFixtures?: boolean;
  note?: (line: string) => void;
}

export interface SiteResult {
  model: ReaderModel;
  /** Files written, relative to outDir. */
  files: string[];
}

/** The file name a bare function name redirects from: f/<name>.html. */
export const redirectPage = (name: string): string => `f/${name}.html`;

export async function buildSite(opts: SiteOptions): Promise<SiteResult> {
  const note = opts.note ?? (() => undefined);
  const fixtures = fixtureFiles(opts.fixturesDir);
  const names = new Set<string>();
  for (const m of opts.manifests)
    for (const e of m.manifest.entries) {
      names.add(e.function);
      if (e.tsSymbol) names.add(e.tsSymbol);
    }
  const traces: { source: string; trace: TraceLike }[] = loadTraces(opts.traces ?? []);
  if (opts.runFixtures) traces.push(...(await runFixtureScenarios(fixtures, opts.root, note)));
  const model = await buildModel({
    manifests: opts.manifests,
    source: opts.source,
    root: opts.root,
    named: grepNames(fixtures, names, opts.root),
    ran: tracesByFunction(traces),
  });

  const written: string[] = [];
  const write = (rel: string, text: string): void => {
    const abs = join(opts.outDir, rel);
    mkdirSync(join(abs, '..'), { recursive: true });
    writeFileSync(abs, text);
    written.push(rel);
  };
  write(STYLESHEET, CSS);
  write('index.html', renderIndex(model));
  const byFunction = new Map<string, ReaderEntry[]>();
  for (const e of model.entries)
    byFunction.set(e.entry.function, [...(byFunction.get(e.entry.function) ?? []), e]);
  for (const file of model.files) write(file.page, await renderFilePage(file, model, byFunction));

  // Bare names (kernel names and TS symbols) -> their place, newest revision first: what trace
  // pages link to, and a map a tool can read instead of following redirects.
  const targets = new Map<string, string>();
  for (const file of model.files)
    for (const group of file.functions) {
      const first = group.entries[0];
      if (!first) continue;
      const target = `${file.page}#${group.name}`;
      if (!targets.has(group.name)) targets.set(group.name, target);
      for (const e of group.entries)
        if (e.entry.tsSymbol && !targets.has(e.entry.tsSymbol)) targets.set(e.entry.tsSymbol, hrefOf(e));
    }
  for (const [name, target] of targets) write(redirectPage(name), renderRedirect(target));
  write('functions.json', JSON.stringify(Object.fromEntries([...targets].sort()), null, 2) + '\n');
  return { model, files: written };
}
