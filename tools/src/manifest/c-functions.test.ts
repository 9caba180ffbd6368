import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blankAttributes, chooseDefinition, indexCFile, lookupFunction } from './c-functions.js';

const testdata = join(import.meta.dirname, 'testdata');
const demo = (tree: string) => readFileSync(join(testdata, tree, 'arch/demo/demo.c'), 'utf8');

describe('indexCFile', () => {
  it('finds definitions nested in #ifdef branches, in file order, and marks stubs', async () => {
    const index = await indexCFile(demo('tree'));
    expect(index.functions.get('demo_feature_level')?.map((d) => [d.line, d.stub])).toEqual([
      [17, false],
      [26, true],
    ]);
    expect(index.functions.get('demo_flush')?.map((d) => [d.line, d.stub])).toEqual([
      [30, true],
      [32, false],
    ]);
  });

  it('finds static inline functions in headers and functions with kernel annotations', async () => {
    const header =
      '#ifndef X_H\n#define X_H\nstatic inline bool x_on(void)\n{\n\treturn read_x() != 0;\n}\n#endif\n';
    expect((await indexCFile(header)).functions.get('x_on')?.[0]?.stub).toBe(false);
    expect((await lookupFunction(demo('tree'), 'demo_setup')).status).toBe('found');
  });

  it('does not mistake a loop macro inside a function for a function', async () => {
    const index = await indexCFile(demo('tree'));
    expect(index.functions.has('for_each_possible_cpu')).toBe(false);
    expect(index.functions.get('demo_setup')?.[0]?.text).toMatch(/return demo_feature_level\(\);\n}$/);
  });

  it('blanks annotations without moving any offset', () => {
    const text = 'static int __init f(void)';
    expect(blankAttributes(text)).toHaveLength(text.length);
    expect(blankAttributes(text)).toBe('static int        f(void)');
  });
});

describe('choosing and hashing a definition', () => {
  it('takes the first non-stub definition unless a variant is given', async () => {
    const defs = (await indexCFile(demo('tree'))).functions.get('demo_flush') ?? [];
    expect(chooseDefinition(defs)?.line).toBe(32);
    expect(chooseDefinition(defs, 0)?.line).toBe(30);
    expect(chooseDefinition(defs, 2)).toBeUndefined();
  });

  it('reports macros as not a function and unknown names as not found', async () => {
    expect((await lookupFunction(demo('tree'), 'demo_twice')).status).toBe('not a function');
    expect((await lookupFunction(demo('tree'), 'demo_missing')).status).toBe('not found');
    expect((await lookupFunction(undefined, 'demo_bump')).status).toBe('no file');
    expect((await lookupFunction(demo('tree'), 'demo_flush', 5)).status).toBe('no such variant');
  });

  const hashOf = async (tree: string, name: string) => {
    const found = await lookupFunction(demo(tree), name);
    return found.status === 'found' ? found.hash : found.status;
  };

  it.each(['demo_bump', 'demo_feature_level', 'demo_flush', 'demo_setup', 'demo_name'])(
    'keeps the hash of %s when comments are reworded and code reflowed',
    async (name) => {
      expect(await hashOf('tree-reworded', name)).toBe(await hashOf('tree', name));
    },
  );

  it('changes the hash of the one function whose code changed', async () => {
    expect(await hashOf('tree-changed', 'demo_feature_level')).not.toBe(
      await hashOf('tree', 'demo_feature_level'),
    );
    expect(await hashOf('tree-changed', 'demo_bump')).toBe(await hashOf('tree', 'demo_bump'));
  });
});
