import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportedNames, listExports } from './ts-exports.js';

describe('listExports', () => {
  it('classifies declarations, aliases and re-exports', () => {
    const text = `
      export function a_fn(): void {}
      export function* gen_fn() {}
      export const arrow_fn = () => 1;
      export const wrapped_fn = ((x: number) => x) as (x: number) => number;
      export const A_VALUE = 3, other_value = 'x';
      export class Thing {}
      export interface Shape { x: number }
      export type Alias = number;
      function local_fn() {}
      const local_value = 1;
      export { local_fn as aliased_fn, local_value };
      export { from_elsewhere } from './other.js';
      export type { OnlyType } from './other.js';
      export * from './star.js';
      export function over(x: number): void;
      export function over(x: string): void;
      export function over(x: unknown): void {}
    `;
    const { exports, starFrom } = listExports(text);
    const byName = Object.fromEntries(
      exports.map((e) => [e.name, `${e.kind}${e.declaredHere ? '' : ' (re-export)'}`]),
    );
    expect(byName).toEqual({
      a_fn: 'function',
      gen_fn: 'function',
      arrow_fn: 'function',
      wrapped_fn: 'function',
      A_VALUE: 'value',
      other_value: 'value',
      Thing: 'class',
      Shape: 'type',
      Alias: 'type',
      aliased_fn: 'function',
      local_value: 'value',
      from_elsewhere: 'value (re-export)',
      OnlyType: 'type (re-export)',
      over: 'function',
    });
    expect(starFrom).toEqual(['./star.js']);
  });
});

describe('exportedNames', () => {
  it('follows export * into relative modules', () => {
    const file = join(import.meta.dirname, 'testdata/pkg/src/v6.4/demo.ts');
    expect([...exportedNames(file)].sort()).toEqual([
      'DEMO_LIMIT',
      'demo_bump',
      'demo_feature_level',
      'demo_flush',
      'demo_read',
      'resetForTests',
    ]);
  });
});
