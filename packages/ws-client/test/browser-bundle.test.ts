import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// The browser build must have no Node built-ins and no runtime dependencies (docs/architecture.md#boundaries): bundle the
// sources for a browser the way an app's bundler would, and look at what got in.

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url));

describe('browser bundle', () => {
  it('bundles for the browser with no Node built-ins, no zod and no imports left', async () => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      conditions: ['@ns/source'],
    });
    const inputs = Object.keys(result.metafile.inputs);
    // Only the client's own sources and the contracts' zod-free wire entry (plain data) get in.
    const wire = (path: string) => /contracts\/src\/(wire|limits)\.ts$/.test(path);
    expect(inputs.filter((path) => !(path.startsWith('src/') || path.includes('/ws-client/src/') || wire(path)))).toEqual([]);
    expect(inputs.some(wire)).toBe(true);
    expect(inputs.some((path) => path.includes('zod'))).toBe(false);
    for (const output of Object.values(result.metafile.outputs)) expect(output.imports).toEqual([]);
    const code = result.outputFiles[0]?.text ?? '';
    expect(code).not.toMatch(/\bprocess\.|\bBuffer\b|\bsetImmediate\b/);
  });
});
