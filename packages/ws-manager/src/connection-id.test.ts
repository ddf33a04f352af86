import { describe, expect, it } from 'vitest';
import { pooledConnectionId } from './connection-id.js';

describe('pooledConnectionId', () => {
  it('gives distinct c_ + 12 base64url ids across several refills of its pool', () => {
    const ids = Array.from({ length: 1000 }, () => pooledConnectionId());
    for (const id of ids) expect(id).toMatch(/^c_[A-Za-z0-9_-]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('uses every byte of its pool: consecutive ids share no 9-byte window', () => {
    const bytes = Array.from({ length: 300 }, () => Buffer.from(pooledConnectionId().slice(2), 'base64url'));
    for (const b of bytes) expect(b.length).toBe(9);
    // An id drawn from an overlapping offset would repeat part of its neighbour's bytes.
    for (let i = 1; i < bytes.length; i++) expect((bytes[i] as Buffer).equals(bytes[i - 1] as Buffer)).toBe(false);
  });
});
