#!/usr/bin/env node
// Builds the console (console/src, TypeScript) into one browser bundle: dist/console/app.js and
// app.css with source maps — @ns/ws-client, the contracts' wire data and uPlot included, nothing
// loaded from elsewhere at run time. `npm run build` runs it after tsup (which empties dist/).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// uPlot's notice is a plain /** */ comment, which minification drops: its MIT licence travels as the bundle's banner.
const uplotDir = dirname(createRequire(import.meta.url).resolve('uplot/package.json'));
const uplotVersion = JSON.parse(readFileSync(join(uplotDir, 'package.json'), 'utf8')).version;
const uplotLicence = readFileSync(join(uplotDir, 'LICENSE'), 'utf8').trim().replaceAll('*/', '* /');

await build({
  absWorkingDir: root,
  entryPoints: { app: 'console/src/main.ts' },
  outdir: 'dist/console',
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox115', 'safari16'],
  tsconfig: 'console/tsconfig.json',
  minify: true,
  sourcemap: true,
  banner: { js: `/*! NetSentinel gateway console. Bundles uPlot ${uplotVersion} (https://github.com/leeoniya/uPlot):\n${uplotLicence}\n*/` },
  legalComments: 'eof',
  logLevel: 'warning',
});
