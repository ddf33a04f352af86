import { defineConfig } from 'tsup';

export default defineConfig({
  // `wire` is the zod-free entry: plain protocol data for browsers and thin clients.
  entry: ['src/index.ts', 'src/wire.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { customConditions: [] } },
  tsconfig: 'tsconfig.build.json',
  clean: true,
  sourcemap: true,
  target: 'node20',
});
