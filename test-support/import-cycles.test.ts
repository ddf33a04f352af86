import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import madge from 'madge';
import { describe, expect, it } from 'vitest';

// Every workspace's sources, type-only imports included: a cycle through types still ties two files'
// designs together. Cross-package imports resolve to other packages (built or not) and are left out:
// npm workspaces and turbo already refuse a cycle between packages.
const root = join(import.meta.dirname, '..');
const sourceDirs = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group), { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => join(group, d.name, 'src'))
    .filter((dir) => readdirSync(join(root, dir), { withFileTypes: true }).length > 0),
);

async function graphOf(dirs: string[], baseDir: string) {
  return madge(dirs, {
    baseDir,
    fileExtensions: ['ts'],
    excludeRegExp: [/\.test\.ts$/, /[\\/]dist[\\/]/, /[\\/]node_modules[\\/]/],
    detectiveOptions: { ts: { skipTypeImports: false }, es6: { skipTypeImports: false } },
  });
}

describe('import graph', () => {
  // madge reads every file (about 8 s of CPU); on a loaded shared machine that took 150 s of wall time.
  it('has no cycle in packages/*/src or apps/*/src', { timeout: 600_000 }, async () => {
    const graph = await graphOf(sourceDirs, root);
    const files = Object.keys(graph.obj());
    // The graph was really read: every source directory contributed files with imports between them.
    for (const dir of sourceDirs) expect(files.some((f) => f.startsWith(`${dir}/`)), dir).toBe(true);
    expect(Object.values(graph.obj()).some((deps) => deps.length > 0)).toBe(true);
    expect(graph.circular()).toEqual([]);
  });

  it('finds a cycle when there is one (.js specifiers resolved to .ts, type imports counted)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ns-cycle-'));
    try {
      writeFileSync(join(dir, 'a.ts'), "import { b } from './b.js';\nexport const a = (): number => b + 1;\n");
      writeFileSync(join(dir, 'b.ts'), "import type { C } from './c.js';\nexport const b: C = 1;\n");
      writeFileSync(join(dir, 'c.ts'), "import { a } from './a.js';\nexport type C = ReturnType<typeof a>;\n");
      const graph = await graphOf([dir], dir);
      expect(graph.circular()).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
