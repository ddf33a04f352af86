import { describe, expect, it } from 'vitest';
import { CLOSE_CODES, ERROR_CODE_NAMES, ERROR_CODES, ErrorBody, NsError, toNsError } from './errors.js';

describe('error codes', () => {
  it('include every code of docs/protocol.md#error-codes (plus unavailable for a down engine)', () => {
    expect(ERROR_CODE_NAMES).toEqual(
      expect.arrayContaining([
        'invalid_json',
        'invalid_message',
        'unknown_type',
        'unknown_channel',
        'unauthorized',
        'forbidden',
        'token_expired',
        'rate_limited',
        'message_too_large',
        'too_many_subscriptions',
        'internal',
        'unavailable',
      ]),
    );
  });

  it('map only to close codes of the table', () => {
    const closeCodes = new Set<number>(Object.values(CLOSE_CODES));
    for (const code of ERROR_CODE_NAMES) {
      const close = ERROR_CODES[code].close;
      if (close !== null) expect(closeCodes.has(close), code).toBe(true);
    }
  });

  it('use the close codes of docs/protocol.md#close-codes', () => {
    expect(CLOSE_CODES).toEqual({
      NORMAL: 1000,
      GOING_AWAY: 1001,
      POLICY: 1008,
      TOO_BIG: 1009,
      INTERNAL: 1011,
      PROTOCOL_ABUSE: 4000,
      UNAUTHORIZED: 4001,
      RATE_LIMITED: 4002,
      FORBIDDEN: 4003,
      SLOW_CONSUMER: 4008,
    });
  });
});

describe('NsError', () => {
  it.each([
    ['invalid_message', 400, null],
    ['unknown_channel', 404, null],
    ['unauthorized', 401, 4001],
    ['token_expired', 401, 4001],
    ['forbidden', 403, 4003],
    ['rate_limited', 429, 4002],
    ['message_too_large', 413, 1009],
    ['unavailable', 503, null],
    ['internal', 500, 1011],
  ] as const)('maps %s to HTTP %i and close code %s', (code, http, close) => {
    const err = new NsError(code, 'x');
    expect(err.httpStatus).toBe(http);
    expect(err.closeCode).toBe(close);
  });

  it('is an Error with a name, a code, issues, details and a cause', () => {
    const cause = new Error('root');
    const err = new NsError('invalid_message', 'bad', { issues: [{ path: 'type', code: 'x', message: 'm' }], details: { a: 1 }, cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe('NsError');
    expect(err.code).toBe('invalid_message');
    expect(err.cause).toBe(cause);
    expect(err.issues).toHaveLength(1);
  });

  it('renders the HTTP error body, which the ErrorBody schema accepts', () => {
    const plain = new NsError('forbidden', 'no').toBody();
    expect(plain).toEqual({ error: { code: 'forbidden', message: 'no' } });
    const full = new NsError('invalid_message', 'bad', { issues: [{ index: 0, path: 'events[0].type', code: 'c', message: 'm' }], details: { n: 1 } }).toBody();
    expect(ErrorBody.parse(full)).toEqual(full);
    expect(ErrorBody.parse(plain)).toEqual(plain);
  });
});

describe('toNsError', () => {
  it('keeps NsErrors and wraps anything else as internal, keeping the cause', () => {
    const known = new NsError('rate_limited', 'slow down');
    expect(toNsError(known)).toBe(known);
    const wrapped = toNsError(new TypeError('boom'));
    expect(wrapped.code).toBe('internal');
    expect(wrapped.message).toBe('internal error');
    expect(wrapped.cause).toBeInstanceOf(TypeError);
    expect(toNsError('string thrown').code).toBe('internal');
  });

  it('reports anything else as the fallback says: its code, a message naming the reason, its details', () => {
    const known = new NsError('rate_limited', 'slow down');
    expect(toNsError(known, { code: 'unavailable', message: 'redis read failed' })).toBe(known);
    const prefixed = toNsError(new Error('Connection is closed.'), { code: 'unavailable', message: 'redis read failed' });
    expect(prefixed).toMatchObject({ code: 'unavailable', message: 'redis read failed: Connection is closed.', details: undefined });
    expect(prefixed.cause).toBeInstanceOf(Error);
    const built = toNsError('timeout', { code: 'unavailable', message: (reason) => `append failed (${reason}); retry`, details: { outcome: 'unknown' } });
    expect(built).toMatchObject({ code: 'unavailable', message: 'append failed (timeout); retry', details: { outcome: 'unknown' } });
  });
});
