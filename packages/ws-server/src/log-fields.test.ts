import { describe, expect, it } from 'vitest';
import { clip, filterForDebug, summarizeFilter } from './log-fields.js';

describe('log fields', () => {
  it('clips long strings and says by how much', () => {
    expect(clip('abc', 5)).toBe('abc');
    expect(clip(undefined)).toBeUndefined();
    expect(clip('x'.repeat(300), 10)).toBe(`${'x'.repeat(10)}…(+290 chars)`);
  });

  it('summarises a filter by fields, value count and size, never copying values', () => {
    const filter = { components: Array.from({ length: 256 }, (_, i) => `component-${i}`.padEnd(200, 'z')), min_score: 3 };
    const summary = summarizeFilter(filter);
    expect(summary).toEqual({ fields: ['components', 'min_score'], values: 257, bytes: Buffer.byteLength(JSON.stringify(filter)) });
    expect(JSON.stringify(summary).length).toBeLessThan(100);
    expect(filterForDebug(filter)?.length).toBeLessThan(600);
    expect(summarizeFilter(undefined)).toBeUndefined();
  });
});
