import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import * as contracts from './index.js';

// Every exported Zod schema, by export name (aliases such as `Severity` = `ThreatLevel` appear twice).
const exported = (Object.entries(contracts) as [string, unknown][]).filter(
  (e): e is [string, z.ZodType] => e[1] instanceof z.ZodType,
);
const documented = exported.filter(([, s]) => typeof s.meta()?.id === 'string');

describe('exported schemas', () => {
  it('are found (the sweep below is not vacuous)', () => {
    expect(documented.length).toBeGreaterThan(50);
  });

  it.each(documented)('%s has a title, a description and at least one example', (_name, schema) => {
    const meta = schema.meta();
    expect(meta?.title).toEqual(expect.any(String));
    expect(meta?.description).toEqual(expect.any(String));
    expect((meta?.examples as unknown[] | undefined)?.length ?? 0).toBeGreaterThan(0);
  });

  it.each(documented)('%s accepts each of its .meta examples', (_name, schema) => {
    for (const example of schema.meta()?.examples as unknown[]) {
      const result = schema.safeParse(example);
      expect(result.success, JSON.stringify(result.error?.issues)).toBe(true);
    }
  });

  it('give each id to one schema only (ids name the $defs of the generated files)', () => {
    const byId = new Map<string, z.ZodType>();
    for (const [name, schema] of documented) {
      const id = schema.meta()?.id as string;
      const seen = byId.get(id);
      expect(seen === undefined || seen === schema, `${name}: id ${id} is used by another schema`).toBe(true);
      byId.set(id, schema);
    }
  });
});
