import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { normalizeDeclarations } from '../scripts/api-reports.mjs';

const run = promisify(execFile);
const script = join(import.meta.dirname, '..', 'scripts', 'api-reports.mjs');

/** A throwaway tree with one published package whose dist has an entry and a hashed chunk. */
function fixtureTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'ns-api-report-'));
  const pkg = join(root, 'packages', 'demo');
  mkdirSync(join(pkg, 'dist'), { recursive: true });
  const exports = { '.': { import: { types: './dist/index.d.ts', default: './dist/index.js' } }, './package.json': './package.json' };
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@ns/demo', version: '0.1.0', exports }));
  writeFileSync(join(pkg, 'dist', 'index.d.ts'), "import { E as Engine } from './engine-Ab12Cd34.js';\n/** Adds. */\ndeclare function add(a: number): Engine;\nexport { add };\n");
  writeFileSync(join(pkg, 'dist', 'engine-Ab12Cd34.d.ts'), 'interface Engine {\n  name: string;\n}\nexport { Engine as E };\n');
  mkdirSync(join(root, 'packages', 'private-one'));
  writeFileSync(join(root, 'packages', 'private-one', 'package.json'), JSON.stringify({ name: '@ns/private-one', private: true, exports: {} }));
  return root;
}

describe('API reports (scripts/api-reports.mjs)', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });
  const cli = (root: string, ...args: string[]) =>
    run(process.execPath, [script, ...args], { env: { ...process.env, API_REPORTS_ROOT: root } }).then(
      (r) => ({ code: 0, ...r }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }),
    );

  it('normalizes declarations: no doc comments, source maps, chunk hashes or trailing space', () => {
    const text = "/**\n * Docs.\n */\nexport declare const a: 1;   \n//# sourceMappingURL=x.map\nexport { b } from './chunk-AbC_12-x.js';\n\n\n\nx";
    expect(normalizeDeclarations(text)).toBe("export declare const a: 1;\n\nexport { b } from './chunk.js';\n\nx");
  });

  it('fails on a missing or stale report naming the package and the update command, passes once updated', async () => {
    const root = fixtureTree();
    roots.push(root);
    const missing = await cli(root);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('@ns/demo: the public surface differs from packages/demo/api-report.md (missing)');
    expect(missing.stderr).toContain('npm run build && npm run api:update');

    expect((await cli(root, '--update')).code).toBe(0);
    const report = readFileSync(join(root, 'packages', 'demo', 'api-report.md'), 'utf8');
    expect(report).toContain('declare function add(a: number): Engine;');
    expect(report).toContain("from './engine.js'");
    expect(report).toContain('## `@ns/demo` chunk `dist/engine.d.ts`');
    expect(report).not.toContain('Adds.');
    expect((await cli(root)).code).toBe(0);

    writeFileSync(join(root, 'packages', 'demo', 'dist', 'index.d.ts'), "declare function add(a: number, b?: number): number;\nexport { add };\n");
    const stale = await cli(root);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('- declare function add(a: number): Engine;');
    expect(stale.stderr).toContain('+ declare function add(a: number, b?: number): number;');
  });

  it('a doc-comment-only change leaves the report as it is', async () => {
    const root = fixtureTree();
    roots.push(root);
    await cli(root, '--update');
    const index = join(root, 'packages', 'demo', 'dist', 'index.d.ts');
    writeFileSync(index, readFileSync(index, 'utf8').replace('/** Adds. */', '/** Adds two numbers, reworded. */'));
    expect((await cli(root)).code).toBe(0);
  });
});
