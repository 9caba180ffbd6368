// The loader's parts on their own: the generated list of port functions stays equal to a fresh
// scan, the strict parser keeps what valid files write, and every shipped configuration loads.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadExploreConfig } from '../explore-config.js';
import { InputError } from './errors.js';
import { parseData } from './parse.js';
import { PORT_FUNCTIONS } from './port-functions.js';
import { scanPortFunctions } from './port-functions-scan.js';

const root = join(import.meta.dirname, '../../../..');

describe('port functions', () => {
  it('the generated list is the scan of the port files and manifests (npx tsx packages/sim/scripts/port-functions.ts)', () => {
    expect([...PORT_FUNCTIONS]).toEqual(scanPortFunctions(root));
  });

  it('holds the entry points and the assembly helpers traces show', () => {
    for (const f of ['kvm_arch_vcpu_load_fp', 'fpsimd_save_state', 'sve_flush_live', '__fpsimd_save_state'])
      expect(PORT_FUNCTIONS).toContain(f);
    expect(PORT_FUNCTIONS).not.toContain('kvm_arch_vcpu_load_fq');
  });
});

describe('the strict parser', () => {
  it('keeps apostrophes, brackets in quotes and comments, and anchors of valid files', () => {
    const text = [
      "claim: the VMM's state [as seen] # a comment with [[[[ and {{{{",
      'quoted: "a [ b { c"',
      "single: 'it''s ['",
      'list: &l [1, {a: 2}]',
      'again: *l',
      'block: |',
      '  text with [ and " and #',
      '',
    ].join('\n');
    expect(parseData('f.yaml', text)).toEqual({
      claim: "the VMM's state [as seen]",
      quoted: 'a [ b { c',
      single: "it's [",
      list: [1, { a: 2 }],
      again: [1, { a: 2 }],
      block: 'text with [ and " and #\n',
    });
  });

  it('accepts nesting up to its limit and refuses one level more', () => {
    const nest = (k: number) => '['.repeat(k) + ']'.repeat(k);
    expect(() => parseData('f.json', nest(32))).not.toThrow();
    expect(() => parseData('f.json', nest(33))).toThrow(InputError);
  });
});

describe('shipped configurations', () => {
  const dir = join(root, 'fixtures/configs');
  it.each(readdirSync(dir).filter((f) => f.endsWith('.yaml')))('%s loads', (f) => {
    expect(loadExploreConfig(join(dir, f)).tasks.length).toBeGreaterThan(0);
  });
});
