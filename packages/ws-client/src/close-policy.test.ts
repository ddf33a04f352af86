import { CLOSE_CODES } from '@ns/contracts';
import { describe, expect, it } from 'vitest';
import { closeAction } from './close-policy.js';

describe('closeAction', () => {
  it('reconnects at once after going-away and slow-consumer closes', () => {
    expect(closeAction(CLOSE_CODES.GOING_AWAY)).toBe('immediate');
    expect(closeAction(CLOSE_CODES.SLOW_CONSUMER)).toBe('immediate');
  });

  it('needs a new token after unauthorized and forbidden closes', () => {
    expect(closeAction(CLOSE_CODES.UNAUTHORIZED)).toBe('token');
    expect(closeAction(CLOSE_CODES.FORBIDDEN)).toBe('token');
  });

  it('stops on a policy close (a refused Origin is refused again)', () => {
    expect(closeAction(CLOSE_CODES.POLICY)).toBe('stop');
  });

  it('backs off on every other code, including abnormal closure and codes it does not know', () => {
    for (const code of [1000, 1006, 1009, 1011, 4000, 4002, 4999, 3000]) expect(closeAction(code)).toBe('backoff');
  });

  it('has a decision for every close code of the contracts', () => {
    for (const code of Object.values(CLOSE_CODES)) expect(['immediate', 'backoff', 'token', 'stop']).toContain(closeAction(code));
  });
});
