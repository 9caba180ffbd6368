// Drift: where each ported kernel function stands in another kernel tree. Every manifest entry of
// one revision is looked up in the tree and compared with the text it was ported from (the base:
// the tree and commit the entry's readFrom names, or one given on the command line):
//
//   unchanged      same file, same name, the same text
//   comment-only   same file and name, same normalised hash (comments or white space differ)
//   code change    same file and name, a different hash
//   renamed/moved  not in its file under its name, but found in another file (ported kernel files
//                  first, then any file under arch/arm64), or under another name: one the hint
//                  file gives, or a function new to the tree whose code is close to the base's
//   gone           none of these
//
// and, for each ported kernel file, the functions the tree defines there that the base does not
// (less those recognised as a renamed entry): "new".

import type { KernelSource } from '../shared/source.js';
import { bodyHash } from '../manifest/body-hash.js';
import { indexCFile, lookupInIndex, type CFileIndex, type CFunction } from '../manifest/c-functions.js';
import type { LoadedManifest } from '../manifest/manifests.js';
import type { ManifestEntry } from '../manifest/schema.js';
import { codeLines, codeSimilarity, cTokens, lineDelta, signature } from './compare.js';
import { filesMentioning, type KernelFiles } from './kernel-files.js';

export const DRIFT_CLASSES = ['unchanged', 'comment-only', 'code change', 'renamed/moved', 'gone'] as const;
export type DriftClass = (typeof DRIFT_CLASSES)[number];

/** Below this many tokens a function needs a similarity of 0.9 to count as renamed. */
const SMALL_FUNCTION_TOKENS = 40;

/** How many words (between underscores) two names share. */
export function sharedWords(a: string, b: string): number {
  const words = new Set(a.split('_').filter(Boolean));
  return new Set(b.split('_').filter((w) => words.has(w))).size;
}

/** A known rename, from hints.json: names only. */
export interface RenameHint {
  function: string;
  /** Limits the hint to entries of this kernel file. */
  kernelPath?: string;
  renamedTo: string;
  note?: string;
}

export interface DriftRow {
  package: string;
  function: string;
  kernelPath: string;
  tsFile?: string;
  class: DriftClass;
  /** For renamed/moved: the file the tree has it in, and its name there. */
  foundIn?: string;
  foundAs?: string;
  /** For renamed/moved: how it was found. */
  how?: 'same name' | 'hint' | 'similarity';
  /** For renamed/moved: code similarity to the base, 0 (nothing shared) to 1 (the same code). */
  similarity?: number;
  /** Code lines added and removed relative to the base (comments and blank lines not counted). */
  added?: number;
  removed?: number;
  signatureChanged?: boolean;
  /** The normalised hash of the tree's function, when found. */
  treeHash?: string;
  note?: string;
}

export interface NewFunction {
  kernelPath: string;
  function: string;
}

export interface DriftReport {
  tree: string;
  revision: string;
  /** Where the base texts were read. */
  bases: string[];
  rows: DriftRow[];
  newFunctions: NewFunction[];
  counts: Record<DriftClass | 'new', number>;
}

/** Parses each file of one source once. */
export class FileIndexes {
  private readonly files = new Map<string, Promise<CFileIndex | undefined>>();

  constructor(readonly source: KernelSource) {}

  get(path: string): Promise<CFileIndex | undefined> {
    let p = this.files.get(path);
    if (!p) {
      const text = this.source.read(path);
      p = text === undefined ? Promise.resolve(undefined) : indexCFile(text);
      this.files.set(path, p);
    }
    return p;
  }
}

export interface DriftInput {
  manifests: LoadedManifest[];
  revision: string;
  tree: KernelFiles;
  /** The source an entry's base text is read from (by its readFrom, or one override for all). */
  baseFor: (entry: ManifestEntry) => KernelSource | undefined;
  hints?: RenameHint[];
  /** Where a function that left its file is searched by name after the ported files. */
  searchDirs?: string[];
  /** Lowest code similarity that counts as a rename (default 0.6). */
  renameThreshold?: number;
}

interface Selected {
  pkg: string;
  entry: ManifestEntry;
}

const found = (index: CFileIndex | undefined, name: string, variant?: number): CFunction | undefined => {
  if (!index) return undefined;
  let r = lookupInIndex(index, name, variant);
  if (r.status === 'no such variant') r = lookupInIndex(index, name);
  return r.status === 'found' ? r.fn : undefined;
};

export async function computeDrift(input: DriftInput): Promise<DriftReport> {
  const threshold = input.renameThreshold ?? 0.6;
  const searchDirs = input.searchDirs ?? ['arch/arm64'];
  const tree = new FileIndexes(input.tree);
  const bases = new Map<KernelSource, FileIndexes>();
  const baseIndexes = (entry: ManifestEntry): FileIndexes | undefined => {
    const source = input.baseFor(entry);
    if (!source) return undefined;
    let b = bases.get(source);
    if (!b) {
      b = new FileIndexes(source);
      bases.set(source, b);
    }
    return b;
  };

  const selected: Selected[] = input.manifests.flatMap((m) =>
    m.manifest.entries
      .filter((e) => e.revision === input.revision)
      .map((entry) => ({ pkg: m.manifest.package, entry })),
  );
  const portedFiles = [
    ...new Set(input.manifests.flatMap((m) => m.manifest.entries.map((e) => e.kernelPath))),
  ].sort();
  const revisionFiles = [...new Set(selected.map((s) => s.entry.kernelPath))].sort();
  const entryNames = new Set(selected.map((s) => `${s.entry.kernelPath}:${s.entry.function}`));

  // Functions the tree defines in a file of this revision that the file's base does not: the
  // candidates for a rename, and (those left over) the "new" list. A file's base is that of its
  // first entry (every entry of a file is read from the same tree in practice).
  const firstEntryOf = new Map<string, ManifestEntry>();
  for (const s of selected)
    if (!firstEntryOf.has(s.entry.kernelPath)) firstEntryOf.set(s.entry.kernelPath, s.entry);
  const newIn = new Map<string, CFunction[]>();
  for (const path of revisionFiles) {
    const inTree = await tree.get(path);
    const first = firstEntryOf.get(path);
    const inBase = first ? await baseIndexes(first)?.get(path) : undefined;
    if (!inTree || !inBase) continue;
    const fresh: CFunction[] = [];
    for (const [name, defs] of inTree.functions) {
      if (inBase.functions.has(name)) continue;
      const def = defs.find((d) => !d.stub) ?? defs[0];
      if (def) fresh.push(def);
    }
    newIn.set(path, fresh);
  }
  const claimed = new Set<string>();

  const isEntry = (path: string, name: string): boolean => entryNames.has(`${path}:${name}`);

  /**
   * The first definition of `name` outside `except`: the ported files first, then the search
   * directories. A definition that is itself another entry of this revision is not a candidate
   * (two files may define functions of the same name, and each has its own entry). A file that
   * defines the name as a macro is remembered in `macroIn`.
   */
  async function findElsewhere(
    name: string,
    except: string,
    macroIn?: string[],
  ): Promise<{ path: string; fn: CFunction } | undefined> {
    const tryFile = async (path: string): Promise<{ path: string; fn: CFunction } | undefined> => {
      if (path === except || isEntry(path, name)) return undefined;
      const index = await tree.get(path);
      const fn = found(index, name);
      if (fn) return { path, fn };
      if (index?.macros.has(name)) macroIn?.push(path);
      return undefined;
    };
    for (const path of portedFiles) {
      const hit = await tryFile(path);
      if (hit) return hit;
    }
    for (const dir of searchDirs) {
      const paths = input.tree.listSources(dir).filter((p) => !portedFiles.includes(p));
      for (const path of filesMentioning(input.tree, paths, name)) {
        const hit = await tryFile(path);
        if (hit) return hit;
      }
    }
    return undefined;
  }

  /**
   * The function new to the tree whose code is closest to `base`, if close enough to be a rename.
   * A small function looks like many others, so it needs nearly the same code (0.9), or code past
   * the threshold and two words of its name in common (sve_kernel_enable, cpu_enable_sve).
   */
  function closestNew(
    base: CFunction,
    name: string,
  ): { path: string; fn: CFunction; score: number } | undefined {
    const small = cTokens(base.text).length < SMALL_FUNCTION_TOKENS;
    let best: { path: string; fn: CFunction; score: number; words: number } | undefined;
    for (const [path, fresh] of newIn) {
      for (const fn of fresh) {
        if (claimed.has(`${path}:${fn.name}`) || isEntry(path, fn.name)) continue;
        const score = codeSimilarity(base.text, name, fn.text, fn.name);
        const words = sharedWords(name, fn.name);
        if (score < threshold || (small && score < 0.9 && words < 2)) continue;
        if (!best || score > best.score || (score === best.score && words > best.words))
          best = { path, fn, score, words };
      }
    }
    return best;
  }

  const rows: DriftRow[] = [];
  for (const { pkg, entry } of selected) {
    const row: DriftRow = {
      package: pkg,
      function: entry.function,
      kernelPath: entry.kernelPath,
      ...(entry.tsFile !== undefined ? { tsFile: entry.tsFile } : {}),
      class: 'gone',
    };
    rows.push(row);
    const base = found(await baseIndexes(entry)?.get(entry.kernelPath), entry.function, entry.variant);
    const baseHash = entry.bodyHash ?? (base ? bodyHash(base.text) : undefined);
    const describeChange = (fn: CFunction, name: string, withSimilarity = false): void => {
      row.treeHash = bodyHash(fn.text);
      if (!base) return;
      if (withSimilarity)
        row.similarity = Math.round(codeSimilarity(base.text, entry.function, fn.text, name) * 100) / 100;
      // Under its old name, so a rename alone changes no line.
      const asBase =
        name === entry.function ? fn.text : fn.text.replace(new RegExp(`\\b${name}\\b`, 'g'), entry.function);
      const { added, removed } = lineDelta(codeLines(base.text), codeLines(asBase));
      if (added || removed) Object.assign(row, { added, removed });
      if (signature(base.text, entry.function) !== signature(fn.text, name)) row.signatureChanged = true;
    };

    const treeIndex = await tree.get(entry.kernelPath);
    const here = found(treeIndex, entry.function, entry.variant);
    if (here) {
      describeChange(here, entry.function);
      if (row.treeHash !== baseHash) row.class = 'code change';
      else if (!base) Object.assign(row, { class: 'unchanged', note: 'no base text: comments not compared' });
      else row.class = base.text === here.text ? 'unchanged' : 'comment-only';
      continue;
    }

    const notes: string[] = [];
    const macroIn: string[] = [];
    if (!treeIndex) notes.push(`no ${entry.kernelPath} in the tree`);
    else if (treeIndex.macros.has(entry.function)) macroIn.push(entry.kernelPath);
    const finish = (): void => {
      if (row.class === 'gone' && macroIn.length) notes.push(`now a macro in ${macroIn.join(', ')}`);
      if (!base) notes.push('no base text');
      if (notes.length) row.note = notes.join('; ');
    };
    const renamed = (path: string, fn: CFunction, how: DriftRow['how']): void => {
      Object.assign(row, { class: 'renamed/moved', foundIn: path, foundAs: fn.name, how });
      describeChange(fn, fn.name, true);
      if (fn.name !== entry.function) claimed.add(`${path}:${fn.name}`);
    };

    // 1. A known rename (the hint file), in the same file or elsewhere.
    const hint = (input.hints ?? []).find(
      (h) =>
        h.function === entry.function && (h.kernelPath === undefined || h.kernelPath === entry.kernelPath),
    );
    if (hint) {
      const at = found(treeIndex, hint.renamedTo);
      const hit = at
        ? { path: entry.kernelPath, fn: at }
        : await findElsewhere(hint.renamedTo, entry.kernelPath);
      if (hit) {
        renamed(hit.path, hit.fn, 'hint');
        if (hint.note) notes.push(hint.note);
        finish();
        continue;
      }
    }

    // 2. The same name in another file; 3. code close to the base among the tree's new functions.
    // A same-named function elsewhere whose code is far from the base loses to a close new one
    // (a function split into a shared helper and per-file wrappers keeps its name on a wrapper).
    const moved = await findElsewhere(entry.function, entry.kernelPath, macroIn);
    const movedScore =
      moved && base ? codeSimilarity(base.text, entry.function, moved.fn.text, entry.function) : 1;
    const close = base ? closestNew(base, entry.function) : undefined;
    if (close && (!moved || (movedScore < 0.5 && close.score > movedScore)))
      renamed(close.path, close.fn, 'similarity');
    else if (moved) renamed(moved.path, moved.fn, 'same name');
    finish();
  }

  const newFunctions: NewFunction[] = [];
  for (const [path, fresh] of newIn)
    for (const fn of [...fresh].sort((a, b) => a.line - b.line))
      if (!claimed.has(`${path}:${fn.name}`)) newFunctions.push({ kernelPath: path, function: fn.name });

  const counts = Object.fromEntries([...DRIFT_CLASSES, 'new'].map((c) => [c, 0])) as DriftReport['counts'];
  for (const r of rows) counts[r.class]++;
  counts.new = newFunctions.length;
  return {
    tree: input.tree.label,
    revision: input.revision,
    bases: [...bases.keys()].map((s) => s.label),
    rows,
    newFunctions,
    counts,
  };
}
