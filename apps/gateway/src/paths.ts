import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Sources (src/*.ts) and the bundle (dist/*.js) both sit one level below the package directory, so
// the same relative path finds public/ when run from either, with no copy step.
const here = dirname(fileURLToPath(import.meta.url));

/** The @ns/gateway package directory. */
export const PACKAGE_DIR = join(here, '..');

/** The console's static files (index.html, favicon). */
export const PUBLIC_DIR = join(PACKAGE_DIR, 'public');

/** The console's built bundle (`scripts/build-console.mjs`): app.js, app.css and their source maps. */
export const CONSOLE_BUILD_DIR = join(PACKAGE_DIR, 'dist', 'console');

/**
 * The generated JSON Schema / AsyncAPI directory: `schemas/` inside the package (a deployment may copy
 * it there), else the repository's `schemas/` two levels up. `null` when neither exists.
 */
export function findSchemasDir(): string | null {
  for (const dir of [join(PACKAGE_DIR, 'schemas'), join(PACKAGE_DIR, '..', '..', 'schemas')]) {
    if (existsSync(dir)) return dir;
  }
  return null;
}
