import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** apps/bench */
export const BENCH_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The repository root. */
export const REPO_DIR = join(BENCH_DIR, '..', '..');
/** The built gateway bin (`npm run build` makes it). */
export const GATEWAY_CLI = join(REPO_DIR, 'apps', 'gateway', 'dist', 'cli.js');
/** Where results are written (and committed). */
export const RESULTS_DIR = join(BENCH_DIR, 'results');
