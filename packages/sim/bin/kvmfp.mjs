#!/usr/bin/env node
// The `kvmfp` command: runs the CLI from its TypeScript source through tsx, so nothing has to be
// built first (npm links this file at install time; a link to dist/ would not exist yet).
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const tsx = require.resolve('tsx/cli');
const r = spawnSync(process.execPath, [tsx, '--conditions=@kvmfp/source', main, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
process.exit(r.status ?? 2);
