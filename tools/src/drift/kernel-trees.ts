// The Debian kernel trees the drift expectations were made from (.ci/system-deps.sh fetches them,
// pinned, into the cache with a .version file), and where the expectations live.

import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface DebianTree {
  /** The Debian package, e.g. linux-source-6.12. */
  pkg: string;
  /** The version the expectations were made from (the pin in .ci/system-deps.sh). */
  version: string;
  /** The unpacked tree. */
  dir: string;
  /** The version found in the cache, if any. */
  cachedVersion?: string;
  /** Why a test that needs the tree is skipped, or undefined when it can run. */
  missing?: string;
}

export const cacheDir = (): string => process.env['KVMFP_CACHE'] ?? join(homedir(), '.cache/kvmfp');

export function debianTree(pkg: string, version: string): DebianTree {
  const root = join(cacheDir(), pkg);
  const dir = join(root, 'tree');
  const versionFile = join(root, '.version');
  const cachedVersion = existsSync(versionFile) ? readFileSync(versionFile, 'utf8').trim() : undefined;
  let missing: string | undefined;
  if (!existsSync(join(dir, 'arch/arm64'))) missing = `no tree at ${dir}; .ci/system-deps.sh fetches it`;
  else if (cachedVersion !== version)
    missing = `${dir} is ${cachedVersion ?? 'of an unknown version'}, the expectations are for ${version}; run .ci/system-deps.sh`;
  return { pkg, version, dir, ...(cachedVersion ? { cachedVersion } : {}), ...(missing ? { missing } : {}) };
}

/** The trees drift and patch-impact are tested on, with the versions the expectations name. */
export const DEBIAN_TREES = {
  linux61: debianTree('linux-source-6.1', '6.1.192-2'),
  linux612: debianTree('linux-source-6.12', '6.12.117-1~deb12u1'),
};

export const EXPECTED_DIR = join(import.meta.dirname, 'expected');
