import { describe, expect, it } from 'vitest';
import { ApiKeyRing } from './api-keys.js';
import { Secret } from './secret.js';

describe('ApiKeyRing', () => {
  const ring = new ApiKeyRing([new Secret('k-aaaaaaaaaaaaaaaa'), new Secret('k-bbbbbbbbbbbbbbbb')]);

  it('accepts any configured key', () => {
    expect(ring.matches('k-aaaaaaaaaaaaaaaa')).toBe(true);
    expect(ring.matches('k-bbbbbbbbbbbbbbbb')).toBe(true);
  });

  it('rejects prefixes, extensions and other keys', () => {
    expect(ring.matches('k-aaaaaaaaaaaaaaa')).toBe(false);
    expect(ring.matches('k-aaaaaaaaaaaaaaaaa')).toBe(false);
    expect(ring.matches('')).toBe(false);
  });

  it('matches nothing when no key is configured', () => {
    expect(new ApiKeyRing([]).matches('anything')).toBe(false);
  });
});
