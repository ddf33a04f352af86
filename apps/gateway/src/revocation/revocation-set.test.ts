import { describe, expect, it } from 'vitest';
import { RevocationSet } from './revocation-set.js';

const inS = (s: number) => Date.now() / 1000 + s;

describe('RevocationSet', () => {
  it('covers a token by jti, or by user when issued before issued_before (or without iat)', () => {
    const set = new RevocationSet(10);
    expect(set.add({ jti: 'j1', expires_at: inS(60) })).toBe(true);
    expect(set.add({ user: 'alice', issued_before: 1000, expires_at: inS(60) })).toBe(true);
    expect(set.covers({ user: 'bob', tokenId: 'j1' })).toBe(true);
    expect(set.covers({ user: 'bob', tokenId: 'j2' })).toBe(false);
    expect(set.covers({ user: 'alice', tokenId: 'j2', issuedAt: 999 })).toBe(true);
    expect(set.covers({ user: 'alice', tokenId: 'j2', issuedAt: 1000 })).toBe(false);
    expect(set.covers({ user: 'alice' })).toBe(true);
    expect(set.size).toBe(2);
  });

  it('ignores expired records, sweeps them, and stays within max by dropping the soonest-expiring', () => {
    const set = new RevocationSet(2);
    expect(set.add({ jti: 'old', expires_at: inS(-1) })).toBe(false);
    expect(set.covers({ user: 'x', tokenId: 'old' })).toBe(false);
    set.add({ jti: 'a', expires_at: inS(30) });
    set.add({ user: 'u', issued_before: 5, expires_at: inS(10) });
    set.add({ jti: 'b', expires_at: inS(60) });
    expect(set.size).toBe(2);
    expect(set.covers({ user: 'u', issuedAt: 1 })).toBe(false);
    expect(set.covers({ user: 'x', tokenId: 'a' })).toBe(true);
    // Replacing an entry needs no room.
    set.add({ jti: 'a', expires_at: inS(90) });
    expect(set.size).toBe(2);
    set.replace([{ jti: 'c', expires_at: inS(5) }]);
    expect([set.size, set.covers({ user: 'x', tokenId: 'a' }), set.covers({ user: 'x', tokenId: 'c' })]).toEqual([1, false, true]);
    set.sweep(Date.now() + 6000);
    expect(set.size).toBe(0);
  });
});
