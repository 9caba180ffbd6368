// What the reader shows, gathered before any HTML is written: every manifest entry with its port
// (extracted from tsFile), the kernel function read from the user's tree and its hash status, the
// calls between ported functions in both directions, and the fixtures that exercise each one.

import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type ts from 'typescript';
import type { KernelSource } from '../shared/source.js';
import type { Lookup } from '../manifest/c-functions.js';
import type { LoadedManifest } from '../manifest/manifests.js';
import type { ManifestEntry } from '../manifest/schema.js';
import { KernelIndex } from '../manifest/verify.js';
import type { FixtureUses, NamedIn, RanIn } from './fixtures.js';
import { extractFunction, parseTs, type TsFunction } from './ts-extract.js';

export type HashStatus = 'matches' | 'drifted' | 'not found' | 'no hash';

export interface ReaderEntry {
  /** Stable index in manifest order, for ordering and keys. */
  index: number;
  pkg: string;
  entry: ManifestEntry;
  /** The port file relative to the workspace root (undefined for configuration without a port). */
  tsPath?: string;
  ts?: TsFunction;
  /** Why the port could not be shown, when it could not. */
  tsProblem?: string;
  kernel: Lookup;
  status: HashStatus;
  /** What the status means in words, e.g. "matches v6.4". */
  statusText: string;
  calls: ReaderEntry[];
  calledBy: ReaderEntry[];
  fixtures: FixtureUses;
  /** Page (file name in the site) and anchor id. */
  page: string;
  anchor: string;
}

export interface KernelFilePage {
  kernelPath: string;
  page: string;
  /** One group per kernel function, in kernel order; each has its revisions, newest first. */
  functions: { name: string; entries: ReaderEntry[] }[];
}

export interface ReaderModel {
  sourceLabel: string;
  entries: ReaderEntry[];
  files: KernelFilePage[];
}

/** A kernel path as a page name: arch/arm64/kvm/fpsimd.c -> arch_arm64_kvm_fpsimd.c.html */
export function pageName(kernelPath: string): string {
  return `${kernelPath.replace(/[^\w.-]/g, '_')}.html`;
}

export function hashStatus(entry: ManifestEntry, found: Lookup): { status: HashStatus; text: string } {
  switch (found.status) {
    case 'found':
      if (entry.bodyHash === undefined) return { status: 'no hash', text: 'no recorded hash' };
      return entry.bodyHash === found.hash
        ? { status: 'matches', text: `matches ${entry.revision}` }
        : { status: 'drifted', text: `drifted from ${entry.revision}` };
    case 'not a function':
      return { status: 'not found', text: 'not found (a macro in this tree)' };
    case 'no file':
      return { status: 'not found', text: `not found (no ${entry.kernelPath})` };
    case 'no such variant':
      return { status: 'not found', text: `not found (variant ${entry.variant} of ${found.definitions})` };
    default:
      return { status: 'not found', text: 'not found' };
  }
}

const revisionNumber = (rev: string): number => {
  const [maj, min] = rev.replace(/^v/, '').split('.').map(Number);
  return (maj ?? 0) * 1000 + (min ?? 0);
};

export interface ModelInput {
  manifests: LoadedManifest[];
  source: KernelSource;
  root: string;
  /** Fixture files naming each function (by kernel name or TS symbol). */
  named: Map<string, NamedIn[]>;
  /** Traces that ran each function (by the names the sim records: the TS function names). */
  ran: Map<string, RanIn[]>;
}

function pickCallee(candidates: ReaderEntry[] | undefined, caller: ReaderEntry): ReaderEntry | undefined {
  if (!candidates?.length) return undefined;
  return (
    candidates.find((c) => c.entry.revision === caller.entry.revision && c.pkg === caller.pkg) ??
    candidates.find((c) => c.entry.revision === caller.entry.revision) ??
    candidates[0]
  );
}

function mergeUses(lists: (NamedIn[] | undefined)[]): NamedIn[] {
  const out: NamedIn[] = [];
  for (const list of lists)
    for (const n of list ?? []) {
      const same = out.find((o) => o.file === n.file);
      if (same) same.lines = [...new Set([...same.lines, ...n.lines])].sort((a, b) => a - b);
      else out.push({ file: n.file, lines: [...n.lines] });
    }
  return out;
}

function mergeRan(lists: (RanIn[] | undefined)[]): RanIn[] {
  const out: RanIn[] = [];
  for (const list of lists)
    for (const r of list ?? [])
      if (!out.some((o) => o.source === r.source && o.scenario === r.scenario)) out.push(r);
  return out;
}

export async function buildModel(input: ModelInput): Promise<ReaderModel> {
  const index = new KernelIndex(input.source);
  const parsed = new Map<string, ts.SourceFile | undefined>();
  const parse = (abs: string): ts.SourceFile | undefined => {
    if (!parsed.has(abs))
      parsed.set(abs, existsSync(abs) ? parseTs(readFileSync(abs, 'utf8'), abs) : undefined);
    return parsed.get(abs);
  };

  const entries: ReaderEntry[] = [];
  for (const m of input.manifests) {
    for (const entry of m.manifest.entries) {
      const kernel = await index.lookup(entry);
      const { status, text } = hashStatus(entry, kernel);
      const e: ReaderEntry = {
        index: entries.length,
        pkg: m.manifest.package,
        entry,
        kernel,
        status,
        statusText: text,
        calls: [],
        calledBy: [],
        fixtures: { named: [], ran: [] },
        page: pageName(entry.kernelPath),
        anchor: entry.function,
      };
      if (entry.tsFile !== undefined && entry.tsSymbol !== undefined) {
        const abs = join(m.packageDir, entry.tsFile);
        e.tsPath = relative(input.root, abs);
        const sf = parse(abs);
        if (!sf) e.tsProblem = `no file ${e.tsPath}`;
        else {
          const fn = extractFunction(sf, entry.tsSymbol);
          if (fn) e.ts = fn;
          else e.tsProblem = `${e.tsPath} declares no function ${entry.tsSymbol}`;
        }
      }
      const names = [
        entry.function,
        ...(entry.tsSymbol && entry.tsSymbol !== entry.function ? [entry.tsSymbol] : []),
      ];
      e.fixtures = {
        named: mergeUses(names.map((n) => input.named.get(n))),
        ran: mergeRan(names.map((n) => input.ran.get(n))),
      };
      entries.push(e);
    }
  }

  // Calls, from the port's AST: a called name resolves through TS symbols, then kernel names.
  const bySymbol = new Map<string, ReaderEntry[]>();
  const byFunction = new Map<string, ReaderEntry[]>();
  for (const e of entries) {
    if (e.entry.tsSymbol) bySymbol.set(e.entry.tsSymbol, [...(bySymbol.get(e.entry.tsSymbol) ?? []), e]);
    byFunction.set(e.entry.function, [...(byFunction.get(e.entry.function) ?? []), e]);
  }
  for (const e of entries) {
    for (const name of e.ts?.calls ?? []) {
      const callee = pickCallee(bySymbol.get(name) ?? byFunction.get(name), e);
      if (!callee || callee === e || e.calls.includes(callee)) continue;
      e.calls.push(callee);
      callee.calledBy.push(e);
    }
  }

  // Pages: one per kernel file; a function with several revisions gets one anchor per revision.
  const files = new Map<string, KernelFilePage>();
  for (const e of entries) {
    const page = files.get(e.entry.kernelPath) ?? {
      kernelPath: e.entry.kernelPath,
      page: e.page,
      functions: [],
    };
    files.set(e.entry.kernelPath, page);
    const group = page.functions.find((f) => f.name === e.entry.function);
    if (group) group.entries.push(e);
    else page.functions.push({ name: e.entry.function, entries: [e] });
  }
  const lineOf = (group: { entries: ReaderEntry[] }): number => {
    const lines = group.entries.flatMap((x) => (x.kernel.status === 'found' ? [x.kernel.fn.line] : []));
    return lines.length ? Math.min(...lines) : Number.MAX_SAFE_INTEGER;
  };
  for (const page of files.values()) {
    for (const group of page.functions) {
      group.entries.sort(
        (a, b) => revisionNumber(b.entry.revision) - revisionNumber(a.entry.revision) || a.index - b.index,
      );
      if (group.entries.length > 1)
        for (const x of group.entries) x.anchor = `${x.entry.function}@${x.entry.revision}`;
    }
    // Kernel order where the tree has the function; the rest keep manifest order, after them.
    page.functions.sort(
      (a, b) => lineOf(a) - lineOf(b) || (a.entries[0]?.index ?? 0) - (b.entries[0]?.index ?? 0),
    );
  }
  return {
    sourceLabel: input.source.label,
    entries,
    files: [...files.values()].sort((a, b) => a.kernelPath.localeCompare(b.kernelPath)),
  };
}

/** The href of an entry from a page in the site's top directory. */
export const hrefOf = (e: ReaderEntry): string => `${e.page}#${e.anchor}`;
