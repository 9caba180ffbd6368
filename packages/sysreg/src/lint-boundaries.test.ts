// The dependency direction of DESIGN.md is enforced by lint: an import against it is an error.
// This runs the workspace's own module-boundary rule on probe sources placed in a package.

import { ESLint } from 'eslint';
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error the workspace config is plain JS
import { depConstraints } from '../../../eslint.config.mjs';

const root = join(import.meta.dirname, '../../..');

function linter(): ESLint {
  return new ESLint({
    cwd: root,
    overrideConfigFile: true,
    overrideConfig: [
      {
        files: ['**/*.ts'],
        plugins: { '@nx': nx as unknown as ESLint.Plugin },
        languageOptions: { parser: tseslint.parser },
        rules: {
          '@nx/enforce-module-boundaries': [
            'error',
            { allow: [], depConstraints: depConstraints as unknown[] },
          ],
        },
      },
    ],
  });
}

async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await linter().lintText(code, { filePath: join(root, file) });
  return (result?.messages ?? [])
    .filter((m) => m.ruleId === '@nx/enforce-module-boundaries')
    .map((m) => m.message);
}

describe('module boundaries', () => {
  it('reject sysreg importing machine (against the direction)', async () => {
    const errors = await boundaryErrors(
      'packages/sysreg/src/probe.ts',
      "import { ZERO } from '@kvmfp/machine';\nexport const x = ZERO;\n",
    );
    expect(errors.length).toBe(1);
    expect(errors[0]).toMatch(/Circular dependency|scope:sysreg/);
  });
  it('reject fpsimd importing the sim', async () => {
    const errors = await boundaryErrors(
      'packages/fpsimd/src/probe.ts',
      "import { createWorld } from '@kvmfp/sim';\nexport const x = createWorld;\n",
    );
    expect(errors.length).toBe(1);
  });
  it('accept machine importing sysreg (with the direction)', async () => {
    const errors = await boundaryErrors(
      'packages/machine/src/probe.ts',
      "import { SVCR_SM_MASK } from '@kvmfp/sysreg';\nexport const x = SVCR_SM_MASK;\n",
    );
    expect(errors).toEqual([]);
  });
});
