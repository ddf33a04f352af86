import { defineConfig } from 'tsup';

// Runs in browsers and Node: `neutral` platform so nothing Node-specific is assumed or injected.
// @ns/contracts is imported for types only, so the bundle has no runtime dependencies (and no zod).
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  platform: 'neutral',
  dts: { compilerOptions: { customConditions: [] } },
  tsconfig: 'tsconfig.build.json',
  clean: true,
  sourcemap: true,
  target: 'es2022',
});
