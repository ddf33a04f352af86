import { defineConfig } from 'tsup';

export default defineConfig({
  // `testing` is a separate entry: it imports vitest, which only test suites of other engines load.
  entry: ['src/index.ts', 'src/testing.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { customConditions: [] } },
  tsconfig: 'tsconfig.build.json',
  external: ['vitest'],
  clean: true,
  sourcemap: true,
  target: 'node20',
});
