import { defineConfig, mergeConfig } from 'vitest/config';
import base from './vitest.config.js';

// The tests Stryker runs against mutated core sources (stryker.config.mjs): every in-process test of
// the core packages and of the gateway's app. Suites that spawn the built gateway or a Redis run the
// unmutated dist/ bundles, so they cannot notice a mutant and are left out (they cost most of the time).
export default mergeConfig(
  base,
  defineConfig({
    test: {
      include: ['packages/{contracts,event-bus,ws-manager,ws-server}/{src,test}/**/*.test.ts', 'apps/gateway/src/**/*.test.ts'],
      exclude: ['**/node_modules/**', 'packages/contracts/test/dist.test.ts', 'packages/contracts/test/docs-links.test.ts'],
    },
  }),
);
