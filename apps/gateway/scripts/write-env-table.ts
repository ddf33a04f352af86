// Regenerates the variable table in apps/gateway/README.md from src/env-vars.ts (`npm run docs:env`).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withEnvTable } from '../src/env-docs.js';
import { PACKAGE_DIR } from '../src/paths.js';

const file = join(PACKAGE_DIR, 'README.md');
const before = readFileSync(file, 'utf8');
const after = withEnvTable(before);
if (after !== before) writeFileSync(file, after);
process.stdout.write(`${after === before ? 'unchanged' : 'updated'}: ${file}\n`);
