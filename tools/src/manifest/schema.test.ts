import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CliError } from '../shared/cli.js';
import { manifestJsonSchema, parseManifest } from './schema.js';

const fixture = readFileSync(join(import.meta.dirname, 'testdata/pkg/manifest.json'), 'utf8');

const withEntry = (change: (e: Record<string, unknown>) => void): string => {
  const m = JSON.parse(fixture) as { entries: Record<string, unknown>[] };
  change(m.entries[0] ?? {});
  return JSON.stringify(m);
};

describe('parseManifest', () => {
  it('accepts the fixture, with ported and configuration entries and exemptions', () => {
    const m = parseManifest(fixture, 'manifest.json');
    expect(m.entries.map((e) => e.kind)).toContain('configuration');
    expect(m.exempt?.[0]?.reason).toBe('helper');
  });

  it.each([
    [
      'a short hash',
      (e: Record<string, unknown>) => (e['bodyHash'] = 'abc'),
      /^m\.json: entries\[0\]\.bodyHash: expected 16 lowercase hex digits$/,
    ],
    [
      'a bad kind',
      (e: Record<string, unknown>) => (e['kind'] = 'copied'),
      /entries\[0\]\.kind: expected "ported" or "configuration"/,
    ],
    [
      'a misspelt key',
      (e: Record<string, unknown>) => (e['bodyhash'] = '0'),
      /entries\[0\]: Unrecognized key: "bodyhash"/,
    ],
    [
      'a ported entry without its file',
      (e: Record<string, unknown>) => delete e['tsFile'],
      /entries\[0\]\.tsFile: expected the TS file/,
    ],
    [
      'a short commit',
      (e: Record<string, unknown>) => (e['readFrom'] = { repo: 'a/b', commit: 'abc' }),
      /entries\[0\]\.readFrom\.commit: expected a full 40-hex commit id/,
    ],
    [
      'a negative variant',
      (e: Record<string, unknown>) => (e['variant'] = -1),
      /entries\[0\]\.variant: expected a definition index from 0/,
    ],
  ])('rejects %s with one line naming file, field and expectation', (_what, change, message) => {
    const run = () => parseManifest(withEntry(change), 'm.json');
    expect(run).toThrow(CliError);
    expect(run).toThrow(message);
  });

  it('rejects text that is not JSON, and a missing package name', () => {
    expect(() => parseManifest('{', 'm.json')).toThrow(/^m\.json: expected JSON/);
    expect(() => parseManifest('{"entries": []}', 'm.json')).toThrow(/^m\.json: package: /);
  });

  it('publishes a JSON Schema', () => {
    expect(JSON.stringify(manifestJsonSchema())).toContain('bodyHash');
  });
});
