import { defineConfig } from 'tsup';

export default defineConfig({
  // `wire` is the zod-free entry: plain protocol data for browsers and thin clients; `support` the
  // shared Logger type and ListenerList (no dependencies either).
  entry: ['src/index.ts', 'src/wire.ts', 'src/support.ts'],
  format: ['esm', 'cjs'],
  dts: { compilerOptions: { customConditions: [] } },
  tsconfig: 'tsconfig.build.json',
  clean: true,
  sourcemap: true,
  target: 'node20',
});
