#!/usr/bin/env node
// kvmfp: run scenarios, check the corpus, explore interleavings, compare revisions.
// Bad input (files, fields, arguments) is one line on stderr and exit status 2.

import { runCli } from './commands.js';

process.exitCode = await runCli(process.argv.slice(2), {
  out: (s) => process.stdout.write(s + '\n'),
  err: (s) => process.stderr.write(s + '\n'),
});
