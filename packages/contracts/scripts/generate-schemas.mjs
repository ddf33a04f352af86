#!/usr/bin/env node
// Writes schemas/ from the built @ns/contracts (`npm run schemas` builds it first): every JSON Schema
// file, channels.json, asyncapi.json and the examples. Deterministic, so a second run leaves no diff;
// generated files that no longer exist in the contracts are deleted. schemas/README.md is hand-written.
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as contracts from '../dist/index.js';
import { exampleDocuments, serializeExample } from './examples.mjs';

const schemasDir = fileURLToPath(new URL('../../../schemas/', import.meta.url));

/** @returns {Map<string, string>} path under schemas/ (posix) -> file text */
function generatedFiles() {
  const files = new Map();
  for (const [path, doc] of Object.entries(contracts.schemaDocuments())) files.set(path, contracts.serializeJson(doc));
  for (const [path, doc] of Object.entries(exampleDocuments(contracts))) files.set(path, serializeExample(doc));
  return files;
}

/** @param {string} dir @returns {Promise<string[]>} */
async function listJson(dir) {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json'))
    .map((e) => relative(schemasDir, join(e.parentPath ?? e.path, e.name)).split(sep).join('/'));
}

async function main() {
  const files = generatedFiles();
  let written = 0;
  for (const [path, text] of files) {
    const target = join(schemasDir, path);
    const current = await readFile(target, 'utf8').catch(() => null);
    if (current === text) continue;
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
    written++;
  }
  let removed = 0;
  for (const path of await listJson(schemasDir)) {
    if (files.has(path)) continue;
    await rm(join(schemasDir, path));
    removed++;
  }
  console.log(`schemas/: ${files.size} files (${written} written, ${removed} stale removed)`);
}

await main();
