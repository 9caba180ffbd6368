// fill: writes bodyHash and readFrom for a revision's entries, read from one commit of a git mirror.

import { basename, dirname } from 'node:path';
import type { ManifestEntry } from './schema.js';
import type { LoadedManifest } from './manifests.js';
import type { KernelIndex } from './verify.js';

export interface FillRow {
  entry: ManifestEntry;
  status: 'updated' | 'unchanged' | 'not found' | 'not a function';
  hash?: string;
}

/**
 * The owner/name of the repository a mirror holds, from its path: the mirrors this project reads
 * live at .../<owner>+<name>/repo.
 */
export function repoFromGitDir(gitDir: string): string | undefined {
  const dir =
    basename(gitDir.replace(/\/+$/, '')) === 'repo' ? basename(dirname(gitDir.replace(/\/+$/, ''))) : '';
  const m = /^([\w.-]+)\+([\w.-]+)$/.exec(dir);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

export async function fillManifest(
  loaded: LoadedManifest,
  index: KernelIndex,
  rev: string,
  readFrom: { repo: string; commit: string },
): Promise<FillRow[]> {
  const rows: FillRow[] = [];
  for (const entry of loaded.manifest.entries) {
    if (entry.revision !== rev) continue;
    const found = await index.lookup(entry);
    if (found.status !== 'found') {
      rows.push({ entry, status: found.status === 'not a function' ? 'not a function' : 'not found' });
      continue;
    }
    const same =
      entry.bodyHash === found.hash &&
      entry.readFrom?.commit === readFrom.commit &&
      entry.readFrom.repo === readFrom.repo;
    entry.bodyHash = found.hash;
    entry.readFrom = { ...readFrom };
    rows.push({ entry, status: same ? 'unchanged' : 'updated', hash: found.hash });
  }
  return rows;
}
