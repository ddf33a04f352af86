import { EventId } from '@ns/contracts';
import { describe, expect, it } from 'vitest';
import { generateEpoch, generateEventId } from './event-id.js';

describe('generateEventId', () => {
  it('produces valid, unique evt_ ids (ULID body)', () => {
    const ids = Array.from({ length: 5000 }, () => generateEventId());
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 50)) {
      expect(id).toMatch(/^evt_[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(EventId.safeParse(id).success).toBe(true);
    }
  });

  it('sorts by creation time, including many ids within one millisecond', () => {
    const sameMs = Array.from({ length: 1000 }, () => generateEventId(1_764_115_200_000));
    expect([...sameMs].sort()).toEqual(sameMs);
    const later = generateEventId(1_764_115_200_001);
    expect(later > (sameMs.at(-1) as string)).toBe(true);
  });

  it('keeps ids increasing when the clock steps backwards', () => {
    const a = generateEventId(1_900_000_000_000);
    const b = generateEventId(1_800_000_000_000);
    expect(b > a).toBe(true);
  });

  it('carries an increment through the random part', () => {
    // Many ids in one millisecond must eventually carry from the last character into the previous.
    let prev = generateEventId(2_000_000_000_000);
    for (let i = 0; i < 100; i++) {
      const next = generateEventId(2_000_000_000_000);
      expect(next > prev).toBe(true);
      prev = next;
    }
  });
});

describe('generateEpoch', () => {
  it('produces short random base36 ids', () => {
    const a = generateEpoch();
    expect(a).toMatch(/^[0-9a-z]{8}$/);
    expect(generateEpoch(12)).toHaveLength(12);
    expect(new Set(Array.from({ length: 100 }, () => generateEpoch())).size).toBe(100);
  });
});
