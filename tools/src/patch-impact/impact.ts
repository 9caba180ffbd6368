// What a kernel patch does to the port: for each hunk, the kernel functions it touches, whether
// each change is to comments only or to code (the normalised hash of the function before and after
// the hunk, applied in memory to the text read from a tree), where those functions are ported (per
// revision, with the recorded hash compared to both sides), which entry-table entries that
// affects, and what to do next.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type ts from 'typescript';
import type { KernelSource } from '../shared/source.js';
import { bodyHash, normaliseBody } from '../manifest/body-hash.js';
import { indexCFile, type CFileIndex, type CFunction } from '../manifest/c-functions.js';
import type { LoadedManifest } from '../manifest/manifests.js';
import type { ManifestEntry } from '../manifest/schema.js';
import { extractFunction, parseTs } from '../reader/ts-extract.js';
import {
  chainOf,
  entryTableNames,
  listRevisions,
  PINNED_REVISION,
  revisionFile,
  revisionNumber,
  splitPortFile,
  type Revision,
} from '../revision/layout.js';
import { applyHunks } from './apply.js';
import type { Hunk, Patch } from './patch.js';

export type Change = 'comment-only' | 'code' | 'added' | 'removed';
export type HashMatch = 'before' | 'after' | 'before and after' | 'neither' | 'no hash';

export interface PortedIn {
  package: string;
  revision: string;
  /** Package-relative port file the revision uses. */
  tsFile: string;
  tsSymbol?: string;
  /** True when the revision has no entry of its own and shares its base's file. */
  shared: boolean;
  recordedHash?: string;
  /** Which side of the hunk the recorded hash equals. */
  matches: HashMatch;
  /** Entry-table entries: the function itself when it is one... */
  entries: string[];
  /** ...else the entries whose ports call it, directly or through other ported functions. */
  reachedThrough: string[];
}

export interface FunctionChange {
  function: string;
  change: Change;
  beforeHash?: string;
  afterHash?: string;
  ported: PortedIn[];
}

export interface HunkImpact {
  /** 1-based, within its file. */
  index: number;
  header: string;
  applies: 'forward' | 'reverse' | 'no';
  /** 1-based line of the hunk in the text before it (the tree, or the tree with the patch taken out). */
  line?: number;
  offset?: number;
  functions: FunctionChange[];
  /** Changes outside every function (macros, types, data, comments between functions). */
  outside?: 'comment-only' | 'code';
}

export interface FileImpact {
  path: string;
  mode: 'forward' | 'reverse' | 'per hunk' | 'no file' | 'does not apply';
  /** Whether any manifest entry names the file. */
  ported: boolean;
  hunks: HunkImpact[];
}

export interface PatchImpact {
  subject?: string;
  from?: string;
  date?: string;
  tree: string;
  files: FileImpact[];
  /** Ported functions whose code changes, and those whose comments only change. */
  codeChanged: string[];
  commentOnly: string[];
  /** Changes to code outside functions in ported files. */
  outsideCode: string[];
  behaviourChange: boolean;
  /** True when some hunk could not be placed in the tree. */
  incomplete: boolean;
  next: string[];
}

export interface ImpactInput {
  patch: Patch;
  source: KernelSource;
  manifests: LoadedManifest[];
  /** The workspace root (for the revision layout and the port files). */
  root: string;
}

const lastLine = (fn: CFunction): number => fn.line - 1 + (fn.text.match(/\n/g) ?? []).length;

/** Every definition in an index with its 0-based line range and its place among same-named ones. */
function definitions(index: CFileIndex): { fn: CFunction; start: number; end: number; nth: number }[] {
  const out: { fn: CFunction; start: number; end: number; nth: number }[] = [];
  for (const defs of index.functions.values())
    defs.forEach((fn, nth) => out.push({ fn, start: fn.line - 1, end: lastLine(fn), nth }));
  return out.sort((a, b) => a.start - b.start);
}

/** The text with every function definition cut out: what is left outside functions. */
function outsideFunctions(text: string, index: CFileIndex): string {
  const lines = text.split('\n');
  const keep = lines.map(() => true);
  for (const d of definitions(index)) for (let i = d.start; i <= d.end; i++) keep[i] = false;
  return lines.filter((_, i) => keep[i]).join('\n');
}

/** Calls between ported functions, per revision, read from the ports (syntax only). */
class PortCalls {
  private readonly parsed = new Map<string, ts.SourceFile | undefined>();
  private readonly callers = new Map<string, Map<string, Set<string>>>();

  constructor(
    private readonly manifests: LoadedManifest[],
    private readonly entryNames: Set<string>,
  ) {}

  private parse(file: string): ts.SourceFile | undefined {
    if (!this.parsed.has(file))
      this.parsed.set(file, existsSync(file) ? parseTs(readFileSync(file, 'utf8'), file) : undefined);
    return this.parsed.get(file);
  }

  /** callee name -> the TS symbols of the ported functions that call it, in one revision. */
  private graph(revision: string): Map<string, Set<string>> {
    let g = this.callers.get(revision);
    if (g) return g;
    g = new Map();
    for (const m of this.manifests) {
      const own = m.manifest.entries.filter((e) => e.revision === revision);
      const ownKeys = new Set(own.map((e) => `${e.kernelPath}:${e.function}`));
      // A package without entries of this revision shares the pinned revision's ports.
      const inherited = m.manifest.entries.filter(
        (e) => e.revision === PINNED_REVISION && !ownKeys.has(`${e.kernelPath}:${e.function}`),
      );
      for (const e of [...own, ...inherited]) {
        if (!e.tsFile || !e.tsSymbol) continue;
        const sf = this.parse(join(m.packageDir, e.tsFile));
        const fn = sf ? extractFunction(sf, e.tsSymbol) : undefined;
        for (const callee of fn?.calls ?? []) {
          const set = g.get(callee) ?? new Set<string>();
          set.add(e.tsSymbol);
          g.set(callee, set);
        }
      }
    }
    this.callers.set(revision, g);
    return g;
  }

  /** The entries whose ports reach `symbol` through calls between ported functions. */
  reachedThrough(revision: string, symbol: string): string[] {
    const g = this.graph(revision);
    const found = new Set<string>();
    const seen = new Set<string>([symbol]);
    const queue = [symbol];
    while (queue.length) {
      const callee = queue.shift() ?? '';
      for (const caller of g.get(callee) ?? []) {
        if (seen.has(caller)) continue;
        seen.add(caller);
        if (this.entryNames.has(caller)) found.add(caller);
        else queue.push(caller);
      }
    }
    return [...found].sort();
  }
}

function matchOf(recorded: string | undefined, before?: string, after?: string): HashMatch {
  if (recorded === undefined) return 'no hash';
  const b = recorded === before;
  const a = recorded === after;
  return b && a ? 'before and after' : b ? 'before' : a ? 'after' : 'neither';
}

export async function analysePatch(input: ImpactInput): Promise<PatchImpact> {
  const revisions = listRevisions(input.root);
  const entryNames = entryTableNames(input.root);
  const calls = new PortCalls(input.manifests, entryNames);
  const byFunction = new Map<string, { m: LoadedManifest; e: ManifestEntry }[]>();
  const portedFiles = new Set<string>();
  for (const m of input.manifests)
    for (const e of m.manifest.entries) {
      const key = `${e.kernelPath}:${e.function}`;
      byFunction.set(key, [...(byFunction.get(key) ?? []), { m, e }]);
      portedFiles.add(e.kernelPath);
    }

  /** Where a kernel function is ported, in every revision (its own entries, or shared files). */
  function portsOf(path: string, name: string, before?: string, after?: string): PortedIn[] {
    const found = byFunction.get(`${path}:${name}`) ?? [];
    const out: PortedIn[] = [];
    const entriesFor = (
      symbol: string | undefined,
      revision: string,
    ): Pick<PortedIn, 'entries' | 'reachedThrough'> =>
      symbol === undefined
        ? { entries: [], reachedThrough: [] }
        : entryNames.has(symbol)
          ? { entries: [symbol], reachedThrough: [] }
          : { entries: [], reachedThrough: calls.reachedThrough(revision, symbol) };
    for (const { m, e } of found) {
      if (!e.tsFile) continue;
      out.push({
        package: m.manifest.package,
        revision: e.revision,
        tsFile: e.tsFile,
        ...(e.tsSymbol !== undefined ? { tsSymbol: e.tsSymbol } : {}),
        shared: false,
        ...(e.bodyHash !== undefined ? { recordedHash: e.bodyHash } : {}),
        matches: matchOf(e.bodyHash, before, after),
        ...entriesFor(e.tsSymbol, e.revision),
      });
    }
    // Revisions without an entry of their own in that package use their base's file.
    for (const { m, e } of found) {
      if (e.revision !== PINNED_REVISION || !e.tsFile) continue;
      const split = splitPortFile(e.tsFile);
      if (!split) continue;
      for (const r of revisions) {
        if (out.some((p) => p.revision === r.name && p.package === m.manifest.package)) continue;
        const file = revisionFile(revisions, m.packageDir, r.name, split.rel);
        if (!file) continue;
        const via = out.find((p) => p.package === m.manifest.package && p.tsFile === file);
        out.push({
          package: m.manifest.package,
          revision: r.name,
          tsFile: file,
          ...(e.tsSymbol !== undefined ? { tsSymbol: e.tsSymbol } : {}),
          shared: true,
          ...(via?.recordedHash !== undefined ? { recordedHash: via.recordedHash } : {}),
          matches: via?.matches ?? 'no hash',
          ...entriesFor(e.tsSymbol, r.name),
        });
      }
    }
    return out.sort(
      (a, b) => revisionNumber(b.revision) - revisionNumber(a.revision) || a.package.localeCompare(b.package),
    );
  }

  async function analyseHunk(
    path: string,
    before: string,
    hunk: Hunk,
    index: number,
    applies: HunkImpact['applies'],
  ): Promise<HunkImpact> {
    const header = `@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@${hunk.section ? ` ${hunk.section}` : ''}`;
    const applied = applyHunks(before, [hunk]);
    const placed = applied?.placed[0];
    if (!applied || !placed) return { index, header, applies: 'no', functions: [] };
    const after = applied.lines.join('\n');
    const [bIndex, aIndex] = await Promise.all([indexCFile(before), indexCFile(after)]);
    const defs = definitions(bIndex);

    // Lines the hunk removes, and the points where it inserts, in the text before it.
    const removed: number[] = [];
    const inserted: number[] = [];
    let at = placed.at;
    for (const l of hunk.lines) {
      if (l.kind === '+') inserted.push(at);
      else {
        if (l.kind === '-') removed.push(at);
        at++;
      }
    }
    const touched = defs.filter(
      (d) =>
        removed.some((n) => n >= d.start && n <= d.end) || inserted.some((p) => p > d.start && p <= d.end),
    );
    const insideSome = (test: (d: (typeof defs)[number]) => boolean) => defs.some(test);
    const outsideTouched =
      removed.some((n) => !insideSome((d) => n >= d.start && n <= d.end)) ||
      inserted.some((p) => !insideSome((d) => p > d.start && p <= d.end));

    const functions: FunctionChange[] = [];
    for (const d of touched) {
      const name = d.fn.name;
      if (functions.some((f) => f.function === name)) continue;
      const afterDefs = aIndex.functions.get(name) ?? [];
      const beforeDefs = bIndex.functions.get(name) ?? [];
      const counterpart =
        afterDefs.length === beforeDefs.length
          ? afterDefs[d.nth]
          : (afterDefs.find((x) => !x.stub) ?? afterDefs[0]);
      const beforeHash = bodyHash(d.fn.text);
      const afterHash = counterpart ? bodyHash(counterpart.text) : undefined;
      functions.push({
        function: name,
        change: !counterpart ? 'removed' : beforeHash === afterHash ? 'comment-only' : 'code',
        beforeHash,
        ...(afterHash !== undefined ? { afterHash } : {}),
        ported: portsOf(path, name, beforeHash, afterHash),
      });
    }
    for (const [name, defsAfter] of aIndex.functions) {
      if (bIndex.functions.has(name)) continue;
      const fn = defsAfter.find((x) => !x.stub) ?? defsAfter[0];
      if (!fn) continue;
      const afterHash = bodyHash(fn.text);
      functions.push({
        function: name,
        change: 'added',
        afterHash,
        ported: portsOf(path, name, undefined, afterHash),
      });
    }

    const result: HunkImpact = {
      index,
      header,
      applies,
      line: placed.at + 1,
      offset: placed.offset,
      functions,
    };
    if (outsideTouched) {
      const restBefore = outsideFunctions(before, bIndex);
      const restAfter = outsideFunctions(after, aIndex);
      if (restBefore !== restAfter)
        result.outside = normaliseBody(restBefore) === normaliseBody(restAfter) ? 'comment-only' : 'code';
    }
    return result;
  }

  const files: FileImpact[] = [];
  for (const fp of input.patch.files) {
    const path = fp.oldPath ?? fp.newPath ?? '';
    const ported = portedFiles.has(path);
    const text = input.source.read(path);
    if (text === undefined && fp.oldPath !== undefined) {
      files.push({ path, mode: 'no file', ported, hunks: [] });
      continue;
    }
    const tree = text ?? '';
    const forward = applyHunks(tree, fp.hunks);
    const reverse = forward ? undefined : applyHunks(tree, fp.hunks, true);
    const hunks: HunkImpact[] = [];
    let mode: FileImpact['mode'];
    if (forward || reverse) {
      mode = forward ? 'forward' : 'reverse';
      const before = forward ? tree : (reverse?.lines ?? []).join('\n');
      for (const [i, h] of fp.hunks.entries()) hunks.push(await analyseHunk(path, before, h, i + 1, mode));
    } else {
      // Neither way as a whole: each hunk on its own, forward or in reverse.
      for (const [i, h] of fp.hunks.entries()) {
        if (applyHunks(tree, [h])) hunks.push(await analyseHunk(path, tree, h, i + 1, 'forward'));
        else {
          const back = applyHunks(tree, [h], true);
          hunks.push(
            back
              ? await analyseHunk(path, back.lines.join('\n'), h, i + 1, 'reverse')
              : await analyseHunk(path, tree, h, i + 1, 'no'),
          );
        }
      }
      mode = hunks.some((h) => h.applies !== 'no') ? 'per hunk' : 'does not apply';
    }
    files.push({ path, mode, ported, hunks });
  }

  return summarise(input, files, revisions);
}

/** The newest revision among `names`. */
const newest = (names: string[]): string | undefined =>
  [...names].sort((a, b) => revisionNumber(b) - revisionNumber(a))[0];

/** A revision name after every existing one (v6.4 -> v6.5). */
export function nextRevisionName(revisions: readonly Revision[]): string {
  const top = newest(revisions.map((r) => r.name)) ?? PINNED_REVISION;
  const [maj, min] = top.replace(/^v/, '').split('.').map(Number);
  return `v${maj ?? 6}.${(min ?? 4) + 1}`;
}

function summarise(input: ImpactInput, files: FileImpact[], revisions: Revision[]): PatchImpact {
  const all = files.flatMap((f) => f.hunks.flatMap((h) => h.functions.map((fn) => ({ f, h, fn }))));
  const portedChanges = all.filter((x) => x.fn.ported.length > 0);
  const codeChanged = [
    ...new Set(portedChanges.filter((x) => x.fn.change !== 'comment-only').map((x) => x.fn.function)),
  ];
  const commentOnly = [
    ...new Set(portedChanges.filter((x) => x.fn.change === 'comment-only').map((x) => x.fn.function)),
  ].filter((n) => !codeChanged.includes(n));
  const outsideCode = [
    ...new Set(
      files
        .filter((f) => f.ported)
        .flatMap((f) => f.hunks.filter((h) => h.outside === 'code').map(() => f.path)),
    ),
  ];
  const incomplete = files.some((f) => f.mode === 'no file' || f.hunks.some((h) => h.applies === 'no'));
  const next: string[] = [];

  for (const f of files) {
    if (f.mode === 'no file')
      next.push(
        `${f.path}: not in the tree; give the tree the patch applies to (--tree or --git-dir/--commit)`,
      );
    for (const h of f.hunks)
      if (h.applies === 'no')
        next.push(
          `${f.path} hunk ${h.index}: applies neither forward nor in reverse; the tree is neither the patch's base nor contains it: compare by hand`,
        );
    if (f.mode === 'reverse' || f.hunks.some((h) => h.applies === 'reverse'))
      next.push(
        `${f.path}: the tree already contains this patch (it applies in reverse); "before" is the tree with the patch taken out`,
      );
    if (!f.ported && f.mode !== 'no file')
      next.push(`${f.path}: no function of this file is ported; nothing to do`);
  }

  // Code changes: one new revision holding the port files of every function whose code changes,
  // based on the newest revision whose port matches the patch's "before" side.
  const codePorts = portedChanges.filter((x) => x.fn.change !== 'comment-only');
  if (codePorts.length) {
    const candidates = codePorts.flatMap((x) =>
      x.fn.ported.filter((p) => p.matches === 'before' || p.matches === 'before and after'),
    );
    const base =
      newest(candidates.map((p) => p.revision)) ??
      newest(codePorts.flatMap((x) => x.fn.ported.map((p) => p.revision))) ??
      PINNED_REVISION;
    const chain = chainOf(revisions, base);
    const filesToCopy = new Set<string>();
    for (const x of codePorts) {
      const p =
        x.fn.ported.find((q) => q.revision === base) ?? x.fn.ported.find((q) => chain.includes(q.revision));
      if (p) filesToCopy.add(`packages/${p.package.replace('@kvmfp/', '')}/${p.tsFile}`);
      const already = x.fn.ported.filter((q) => q.matches === 'after').map((q) => q.revision);
      if (already.length)
        next.push(
          `${x.fn.function}: revision ${already.join(', ')} already ports the patched code (its recorded hash is the "after" one)`,
        );
      if (!x.fn.ported.some((q) => q.matches === 'before' || q.matches === 'before and after'))
        next.push(
          `${x.fn.function}: no revision's recorded hash equals the patch's "before" text; the port may be of other text: port by hand`,
        );
    }
    const name = nextRevisionName(revisions);
    const entries = [
      ...new Set(
        codePorts.flatMap((x) =>
          x.fn.ported.filter((p) => p.revision === base).flatMap((p) => [...p.entries, ...p.reachedThrough]),
        ),
      ),
    ];
    next.push(
      `code changes in ${codeChanged.join(', ')}: make a revision for the patch, based on ${base}: ` +
        `npx kvmfp revision new ${name} --from ${base} --files ${[...filesToCopy].join(' ')}`,
      `port the change into the copied ${codeChanged.join(', ')}; record the patched hashes (npm run manifest -- fill --rev ${name} ...)`,
      `compare behaviour: npx kvmfp equiv ${base} ${name} fixtures/configs/ref.yaml (and the other configurations)` +
        (entries.length ? `; the entry-table entries affected: ${entries.join(', ')}` : ''),
    );
  }
  for (const name of commentOnly) {
    const x = portedChanges.find((y) => y.fn.function === name);
    const p = x?.fn.ported[0];
    if (!p) continue;
    next.push(
      `${name}: comment-only, no behaviour change; compare the comments of packages/${p.package.replace('@kvmfp/', '')}/${p.tsFile} (${p.tsSymbol ?? name}, revision ${p.revision}) with the patched kernel comment and reword ours if the reasoning changed; no new revision`,
    );
  }
  for (const path of outsideCode)
    next.push(
      `${path}: code outside functions changed (macros, types or data): check the constants and types the port takes from it`,
    );
  const unported = all.filter(
    (x) => x.fn.ported.length === 0 && x.f.ported && x.fn.change !== 'comment-only',
  );
  if (unported.length)
    next.push(
      `not ported, changed: ${[...new Set(unported.map((x) => `${x.fn.function} (${x.fn.change})`))].join(', ')}: port them if a ported function now depends on them`,
    );

  return {
    ...(input.patch.subject ? { subject: input.patch.subject } : {}),
    ...(input.patch.from ? { from: input.patch.from } : {}),
    ...(input.patch.date ? { date: input.patch.date } : {}),
    tree: input.source.label,
    files,
    codeChanged,
    commentOnly,
    outsideCode,
    behaviourChange: codeChanged.length > 0 || outsideCode.length > 0,
    incomplete,
    next,
  };
}
