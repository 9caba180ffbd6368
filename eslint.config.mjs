// @ts-check
import js from '@eslint/js';
import nx from '@nx/eslint-plugin';
import prettier from 'eslint-config-prettier/flat';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

// DESIGN.md: sysreg <- machine <- fpsimd <- kvm-fpsimd <- hyp-switch <- mutants <- sim <- fixtures;
// tools reads any.
const layers = ['sysreg', 'machine', 'fpsimd', 'kvm-fpsimd', 'hyp-switch', 'mutants', 'sim', 'fixtures'];
export const depConstraints = [
  ...layers.map((tag, i) => ({
    sourceTag: `scope:${tag}`,
    onlyDependOnLibsWithTags: layers.slice(0, i + 1).map((t) => `scope:${t}`),
  })),
  { sourceTag: 'scope:tools', onlyDependOnLibsWithTags: ['*'] },
];

// Kernel names (snake_case, UPPER_CASE) are kept in port files only; everything else is camelCase.
const portFiles = ['**/src/v6.*/**/*.ts'];
const camelCase = [
  'error',
  { selector: 'default', format: ['camelCase'], leadingUnderscore: 'allow' },
  { selector: 'variable', format: ['camelCase', 'UPPER_CASE', 'PascalCase'], leadingUnderscore: 'allow' },
  { selector: 'function', format: ['camelCase', 'PascalCase'] },
  { selector: 'typeLike', format: ['PascalCase'] },
  { selector: 'enumMember', format: ['PascalCase', 'UPPER_CASE'] },
  { selector: 'import', format: null },
  { selector: ['objectLiteralProperty', 'typeProperty', 'typeMethod', 'objectLiteralMethod'], format: null },
];

export default defineConfig(
  {
    ignores: [
      '**/dist',
      '**/out-tsc',
      '**/test-output',
      '**/node_modules',
      '**/.nx',
      '**/.cache',
      '**/vite.config.*.timestamp*',
      '**/vitest.config.*.timestamp*',
    ],
  },
  js.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: { process: 'readonly', URL: 'readonly', console: 'readonly', Buffer: 'readonly' },
    },
  },
  {
    files: ['**/*.ts'],
    plugins: { '@nx': nx },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        { enforceBuildableLibDependency: true, allow: [], depConstraints },
      ],
      '@typescript-eslint/naming-convention': camelCase,
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: portFiles, rules: { '@typescript-eslint/naming-convention': 'off' } },
  // The per-project vitest configs share one root helper, which is tooling, not a library.
  { files: ['**/vitest.config.ts'], rules: { '@nx/enforce-module-boundaries': 'off' } },
  // The lint-configuration test reads this file's constraints.
  { files: ['**/lint-boundaries.test.ts'], rules: { '@nx/enforce-module-boundaries': 'off' } },
  prettier,
);
