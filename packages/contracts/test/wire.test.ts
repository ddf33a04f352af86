import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLOSE_CODE_TABLE, CLOSE_CODES, ERROR_CODES, LIMITS, SUBPROTOCOL, wireDocument } from '../src/wire.js';

const read = (rel: string) => readFileSync(new URL(rel, import.meta.url), 'utf8');

describe('@ns/contracts/wire', () => {
  it('has no runtime dependency: wire.ts imports only limits.ts, which imports nothing', () => {
    const imports = (src: string) => [...src.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'([^']+)'/gm)].map((m) => m[1]);
    expect(imports(read('../src/wire.ts'))).toEqual(['./limits.js', './limits.js']);
    expect(imports(read('../src/limits.ts'))).toEqual([]);
  });

  it('derives CLOSE_CODES from the close-code table', () => {
    for (const [name, row] of Object.entries(CLOSE_CODE_TABLE)) expect(CLOSE_CODES[name as keyof typeof CLOSE_CODES]).toBe(row.code);
  });

  it('is what schemas/wire.json carries for non-TypeScript clients', () => {
    const json = JSON.parse(read('../../../schemas/wire.json'));
    expect(json).toEqual(JSON.parse(JSON.stringify(wireDocument())));
    expect(json.subprotocol).toBe(SUBPROTOCOL);
    expect(json.limits).toEqual(LIMITS);
    expect(json.close_codes.find((c: { code: number }) => c.code === 4008)).toMatchObject({ name: 'SLOW_CONSUMER', client_action: 'immediate' });
    expect(json.error_codes.map((e: { code: string }) => e.code)).toEqual(Object.keys(ERROR_CODES));
  });
});
