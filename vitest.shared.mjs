// One vitest configuration for every project: source-condition resolution (so tests read src/ and
// nothing has to be built first), the node environment, worker threads, and a JSON report that
// .ci/run sums into its closing `N passed, N failed` line.
import { defaultClientConditions, defaultServerConditions } from 'vite';
import { defineConfig } from 'vitest/config';

export function packageConfig(root, name, extra = {}) {
  return defineConfig({
    root,
    cacheDir: '../../node_modules/.vite/' + name.replace('@', '').replace('/', '-'),
    resolve: { conditions: ['@kvmfp/source', ...defaultClientConditions] },
    ssr: { resolve: { conditions: ['@kvmfp/source', ...defaultServerConditions] } },
    test: {
      name,
      environment: 'node',
      include: ['src/**/*.{test,spec}.ts', 'test/**/*.{test,spec}.ts'],
      pool: 'threads',
      reporters: ['default', 'json'],
      outputFile: { json: './test-output/vitest.json' },
      testTimeout: 60000,
      passWithNoTests: true,
      ...extra,
    },
  });
}
