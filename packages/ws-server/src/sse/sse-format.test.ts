import { CLOSE_CODES } from '@ns/contracts';
import { describe, expect, it } from 'vitest';
import { finalErrorFor } from './sse-format.js';

// The last `error` of a stream says what /ws would have closed with: the client reads close_code.
describe('finalErrorFor', () => {
  it('names the close code and reason /ws would have used for every close that has an error of its own', () => {
    expect(finalErrorFor(CLOSE_CODES.SLOW_CONSUMER, 'slow consumer: resume with since')).toEqual({
      type: 'error',
      code: 'slow_consumer',
      message: 'slow consumer: resume with since',
      details: { close_code: 4008, close_reason: 'slow consumer: resume with since' },
    });
    expect(finalErrorFor(CLOSE_CODES.GOING_AWAY, '')).toEqual({ type: 'error', code: 'unavailable', message: 'unavailable', details: { close_code: 1001, close_reason: '' } });
    expect(finalErrorFor(CLOSE_CODES.INTERNAL, 'boom')).toMatchObject({ code: 'internal', message: 'boom', details: { close_code: 1011 } });
  });

  it('ends an administrator\'s disconnect with forbidden (4003) and its reason', () => {
    expect(finalErrorFor(4003, 'disconnected by an administrator: shift over')).toEqual({
      type: 'error',
      code: 'forbidden',
      message: 'disconnected by an administrator: shift over',
      details: { close_code: 4003, close_reason: 'disconnected by an administrator: shift over' },
    });
  });

  it('ends a revoked token with unauthorized and an expired one with token_expired (4001), as /ws says them', () => {
    expect(finalErrorFor(4001, 'token_revoked')).toEqual({
      type: 'error',
      code: 'unauthorized',
      message: 'token has been revoked; reconnect with a new token',
      details: { close_code: 4001, close_reason: 'token_revoked' },
    });
    expect(finalErrorFor(4001, 'token_expired')).toEqual({
      type: 'error',
      code: 'token_expired',
      message: 'token has expired; reconnect with a new token',
      details: { close_code: 4001, close_reason: 'token_expired' },
    });
    // Any other 4001: unauthorized with the reason as it is (never a prototype's property).
    expect(finalErrorFor(4001, 'constructor')).toEqual({ type: 'error', code: 'unauthorized', message: 'constructor', details: { close_code: 4001, close_reason: 'constructor' } });
  });

  it('says nothing for closes that are no error (1000 normal, 1006 abnormal, 1008 policy)', () => {
    for (const code of [1000, 1006, 1008, 4000]) expect(finalErrorFor(code, 'x')).toBeUndefined();
  });
});
