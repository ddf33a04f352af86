import { NsError } from '@ns/contracts';
import { describe, expect, it } from 'vitest';
import { resolvePattern } from './event-pattern.js';

describe('resolvePattern', () => {
  it('resolves an exact type to itself and its channel', () => {
    expect(resolvePattern('threat.new')).toEqual({ pattern: 'threat.new', types: ['threat.new'], channel: 'threats' });
  });

  it('resolves a domain wildcard to every type of the domain', () => {
    expect(resolvePattern('alert.*')).toMatchObject({
      types: ['alert.new', 'alert.acknowledged', 'alert.resolved'],
      channel: 'alerts',
    });
  });

  it('resolves a channel name to the types of that channel', () => {
    expect(resolvePattern('alerts').types).toEqual(['alert.new', 'alert.acknowledged', 'alert.resolved']);
    expect(resolvePattern('status')).toMatchObject({ types: ['status.update'], channel: 'status' });
  });

  it('resolves * to every type, with no single channel', () => {
    const all = resolvePattern('*');
    expect(all.types).toHaveLength(11);
    expect(all.channel).toBeUndefined();
  });

  it.each([
    ['threat.deleted', 'unknown_type'],
    ['foo.*', 'unknown_type'],
    ['threat', 'unknown_channel'],
    ['', 'unknown_channel'],
  ])('rejects %j with %s', (pattern, code) => {
    expect(() => resolvePattern(pattern)).toThrow(NsError);
    try {
      resolvePattern(pattern);
    } catch (err) {
      expect((err as NsError).code).toBe(code);
    }
  });
});
