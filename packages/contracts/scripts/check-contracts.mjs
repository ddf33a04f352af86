#!/usr/bin/env node
// `npm run check:contracts`: compares the freshly generated schemas/ (the root script runs
// `npm run schemas` first) with the last released baseline in packages/contracts/baseline/, prints
// every breaking change with its path, and fails unless a major bump of @ns/contracts is recorded
// (a pending changeset `"@ns/contracts": major`, or a package version whose major is above the
// baseline's). Compatible changes pass and are counted.
//
// `--update-baseline` copies schemas/ into the baseline and records the current version: run it when
// releasing, right after `npx changeset version`.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { diffSchemaSets, pendingBump } from './contract-diff.mjs';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const schemasDir = join(root, 'schemas');
const baselineDir = join(root, 'packages/contracts/baseline');
const PKG = '@ns/contracts';

/** @param {string} dir @returns {Record<string, unknown>} */
function readJsonTree(dir) {
  const out = {};
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !e.name.endsWith('.json')) continue;
    const file = relative(dir, join(e.parentPath ?? e.path, e.name)).split(sep).join('/');
    // Examples are test data (some deliberately invalid JSON, such as NaN), not contracts.
    if (file.startsWith('examples/')) continue;
    out[file] = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  }
  return out;
}

const version = JSON.parse(readFileSync(join(root, 'packages/contracts/package.json'), 'utf8')).version;
const major = (v) => Number(String(v).split('.')[0]);

if (process.argv.includes('--update-baseline')) {
  rmSync(join(baselineDir, 'schemas'), { recursive: true, force: true });
  mkdirSync(baselineDir, { recursive: true });
  cpSync(schemasDir, join(baselineDir, 'schemas'), { recursive: true, filter: (src) => !src.includes(`${sep}examples`) && !src.endsWith('.md') });
  writeFileSync(join(baselineDir, 'release.json'), `${JSON.stringify({ package: PKG, version }, null, 2)}\n`);
  console.log(`check:contracts: baseline is now schemas/ at ${PKG}@${version}`);
  process.exit(0);
}

if (!existsSync(join(baselineDir, 'release.json'))) {
  console.error('check:contracts: no baseline in packages/contracts/baseline (run with --update-baseline at a release)');
  process.exit(1);
}
const baselineVersion = JSON.parse(readFileSync(join(baselineDir, 'release.json'), 'utf8')).version;
const changes = diffSchemaSets(readJsonTree(join(baselineDir, 'schemas')), readJsonTree(schemasDir));
const breaking = changes.filter((c) => c.kind === 'breaking');
const compatible = changes.length - breaking.length;

const changesetDir = join(root, '.changeset');
const changesets = existsSync(changesetDir)
  ? Object.fromEntries(readdirSync(changesetDir).filter((f) => f.endsWith('.md')).map((f) => [f, readFileSync(join(changesetDir, f), 'utf8')]))
  : {};
const bump = pendingBump(changesets, PKG);
const majorRecorded = bump === 'major' || major(version) > major(baselineVersion);

console.log(`check:contracts: schemas/ against the ${PKG}@${baselineVersion} baseline: ${breaking.length} breaking, ${compatible} compatible change(s)`);
for (const c of breaking) console.log(`  BREAKING ${c.path}: ${c.message}`);
if (breaking.length === 0) process.exit(0);
if (majorRecorded) {
  console.log(`check:contracts: allowed — a major bump of ${PKG} is recorded (${bump === 'major' ? 'pending changeset' : `version ${version}`}).`);
  process.exit(0);
}
console.error(
  `check:contracts: FAILED — breaking changes need a major version of ${PKG}: add a changeset (\`npx changeset\`, "${PKG}": major) saying what consumers must do, or make the change compatible.`,
);
process.exit(1);
