// verify: recomputes every manifest entry's hash at one revision from a kernel source.

import type { KernelSource } from '../shared/source.js';
import { indexCFile, lookupInIndex, type CFileIndex, type Lookup } from './c-functions.js';
import type { LoadedManifest } from './manifests.js';
import type { ManifestEntry } from './schema.js';

export type VerifyStatus = 'matches' | 'mismatch' | 'no hash' | 'not found' | 'not a function';

export interface VerifyRow {
  manifest: string;
  entry: ManifestEntry;
  status: VerifyStatus;
  actual?: string;
  detail?: string;
}

/** Parses each kernel file once however many entries name it. */
export class KernelIndex {
  private readonly files = new Map<string, Promise<CFileIndex | undefined>>();

  constructor(readonly source: KernelSource) {}

  private index(path: string): Promise<CFileIndex | undefined> {
    let p = this.files.get(path);
    if (!p) {
      const text = this.source.read(path);
      p = text === undefined ? Promise.resolve(undefined) : indexCFile(text);
      this.files.set(path, p);
    }
    return p;
  }

  async lookup(entry: ManifestEntry): Promise<Lookup> {
    const index = await this.index(entry.kernelPath);
    return index ? lookupInIndex(index, entry.function, entry.variant) : { status: 'no file' };
  }
}

function rowFor(manifest: string, entry: ManifestEntry, found: Lookup): VerifyRow {
  switch (found.status) {
    case 'found':
      if (entry.bodyHash === undefined)
        return { manifest, entry, status: 'no hash', actual: found.hash, detail: 'run fill' };
      return {
        manifest,
        entry,
        status: entry.bodyHash === found.hash ? 'matches' : 'mismatch',
        actual: found.hash,
      };
    case 'not a function':
      return { manifest, entry, status: 'not a function', detail: 'a macro; macros are out of scope' };
    case 'no file':
      return { manifest, entry, status: 'not found', detail: `no file ${entry.kernelPath}` };
    case 'no such variant':
      return {
        manifest,
        entry,
        status: 'not found',
        detail: `variant ${entry.variant} of ${found.definitions}`,
      };
    default:
      return { manifest, entry, status: 'not found', detail: `no definition in ${entry.kernelPath}` };
  }
}

export interface VerifyResult {
  rows: VerifyRow[];
  /** Entries of other revisions, not checked against this source. */
  otherRevisions: number;
}

export async function verifyManifests(
  manifests: LoadedManifest[],
  index: KernelIndex,
  rev: string,
): Promise<VerifyResult> {
  const rows: VerifyRow[] = [];
  let otherRevisions = 0;
  for (const m of manifests) {
    for (const entry of m.manifest.entries) {
      if (entry.revision !== rev) otherRevisions++;
      else rows.push(rowFor(m.label, entry, await index.lookup(entry)));
    }
  }
  return { rows, otherRevisions };
}

export function verifyFailed(result: VerifyResult): boolean {
  return result.rows.some((r) => r.status !== 'matches');
}

export function verifySummary(result: VerifyResult): string {
  const n = (s: VerifyStatus) => result.rows.filter((r) => r.status === s).length;
  const notFound = n('not found') + n('not a function');
  return (
    `${result.rows.length} entries: ${n('matches')} matches, ${n('mismatch')} mismatches, ${notFound} not found` +
    (n('no hash') ? `, ${n('no hash')} without a hash` : '') +
    (result.otherRevisions ? ` (${result.otherRevisions} of other revisions skipped)` : '')
  );
}
