// Bad values of the explore and equiv flags are input errors: one line, exit 2, before any search.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from './commands.js';

const config = join(import.meta.dirname, '../../../../fixtures/configs/guest-nosve.yaml');

async function errorsOf(argv: string[]) {
  const err: string[] = [];
  const status = await runCli(argv, { out: () => {}, err: (s) => err.push(s) });
  return { status, err };
}

describe('explore and equiv flags', () => {
  it.each([
    [['explore', config, '--time-limit', 'soon'], /^--time-limit: expected a duration/],
    [['equiv', 'v6.3', 'v6.4', config, '--time-limit', '-5'], /^--time-limit: expected a duration/],
    [['explore', config, '--out', '/etc/passwd/x'], /^--out: \/etc\/passwd\/x: expected a directory/],
    [['explore', config, '--known', config], /^--known: .*: expected a directory of finding scenarios/],
  ])('%j', async (argv, message) => {
    const r = await errorsOf(argv);
    expect(r.status).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(message);
  });
});
