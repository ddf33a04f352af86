import { afterEach, describe, expect, it, vi } from 'vitest';
import { runsWith } from '../src/prerequisites.js';

describe('runsWith', () => {
  const ci = process.env.CI;
  afterEach(() => {
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
    vi.restoreAllMocks();
  });

  it('runs suites whose prerequisites are all there', () => {
    process.env.CI = 'false';
    expect(runsWith(undefined, 'complete suites')).toBe(true);
  });

  it('skips locally, saying what is missing once', () => {
    process.env.CI = 'false';
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const suites = `local suites ${Date.now()}`;
    expect(runsWith('thing not installed', suites)).toBe(false);
    expect(runsWith('thing not installed', suites)).toBe(false);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toContain('thing not installed');
  });

  it('never skips under CI, so the suites fail on what is missing', () => {
    process.env.CI = 'true';
    expect(runsWith('thing not installed', 'CI suites')).toBe(true);
  });
});
