import { defineConfig } from 'tsup';

// Runs in browsers and Node: `neutral` platform so nothing Node-specific is assumed or injected.
// @ns/contracts is imported for types, plus its zod-free `wire` entry (plain data), which is bundled
// in: the build has no runtime imports and no zod.
export default defineConfig({
  entry: ['src/index.ts'],
  format: ['esm', 'cjs'],
  platform: 'neutral',
  dts: { compilerOptions: { customConditions: [] } },
  tsconfig: 'tsconfig.build.json',
  clean: true,
  sourcemap: true,
  target: 'es2022',
  noExternal: ['@ns/contracts'],
});
