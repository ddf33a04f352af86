import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runsWith } from '@ns/testkit';

// The built package as other teams get it (ESM and CJS); the root `npm test` builds it first.
const esmPath = fileURLToPath(new URL('../dist/index.js', import.meta.url));
const cjsPath = fileURLToPath(new URL('../dist/index.cjs', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const built = runsWith(existsSync(esmPath) && existsSync(cjsPath) ? undefined : 'dist/ is missing (run `npm run build` first)', 'the built-package test of @ns/contracts');

interface BuiltContracts {
  ThreatData: { safeParse(v: unknown): { success: boolean } };
  CHANNELS: Record<string, unknown>;
  broadcasterFrom: (publish: (e: { type: string }) => Promise<unknown>) => Record<string, unknown>;
  channelForType: (type: string) => string;
  schemaDocuments: () => Record<string, unknown>;
}

const threat = { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1764115200.101 };

describe.skipIf(!built)('the built @ns/contracts', () => {
  const check = (mod: BuiltContracts) => {
    expect(mod.ThreatData.safeParse(threat).success).toBe(true);
    expect(mod.ThreatData.safeParse({ ...threat, source_ip: 'x' }).success).toBe(false);
    expect(Object.keys(mod.CHANNELS)).toContain('threats');
    expect(mod.channelForType('alert.new')).toBe('alerts');
    expect(typeof mod.broadcasterFrom).toBe('function');
    expect(typeof mod.broadcasterFrom(async () => ({})).broadcastThreat).toBe('function');
  };

  it('works from ESM (dist/index.js)', async () => {
    check((await import(/* @vite-ignore */ esmPath)) as BuiltContracts);
  });

  it('works from CommonJS (dist/index.cjs) via require', () => {
    check(createRequire(import.meta.url)(cjsPath) as BuiltContracts);
  });

  it('generates the same documents from ESM and CJS builds', async () => {
    const esm = (await import(/* @vite-ignore */ esmPath)) as BuiltContracts;
    const cjs = createRequire(import.meta.url)(cjsPath) as BuiltContracts;
    expect(JSON.stringify(cjs.schemaDocuments())).toBe(JSON.stringify(esm.schemaDocuments()));
  });

  it('resolves by package name in plain Node, through the exports map, for import and require', () => {
    const probe = 'const ok = [typeof m.ThreatData?.parse, typeof m.broadcasterFrom, Object.keys(m.CHANNELS ?? {}).length].join(); console.log(ok);';
    const run = (args: string[]) => execFileSync(process.execPath, args, { cwd: repoRoot, encoding: 'utf8' }).trim();
    expect(run(['--input-type=module', '-e', `const m = await import('@ns/contracts'); ${probe}`])).toBe('function,function,7');
    expect(run(['-e', `const m = require('@ns/contracts'); ${probe}`])).toBe('function,function,7');
  });

  it('ships type declarations for both', () => {
    expect(existsSync(fileURLToPath(new URL('../dist/index.d.ts', import.meta.url)))).toBe(true);
    expect(existsSync(fileURLToPath(new URL('../dist/index.d.cts', import.meta.url)))).toBe(true);
  });
});
