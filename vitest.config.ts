import { defineConfig } from 'vitest/config';

// Tests run against package sources through the `@ns/source` export condition (as zod does), so no
// build is needed for unit tests; end-to-end tests that spawn the gateway use its built bin.
const conditions = ['@ns/source', 'module', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['test-support/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    setupFiles: ['test-support/child-coverage.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    coverage: {
      provider: 'v8',
      include: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
      exclude: ['**/*.test.ts', '**/index.ts'],
      reporter: ['text', 'text-summary', 'json-summary'],
    },
  },
});
