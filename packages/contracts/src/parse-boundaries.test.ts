import { describe, expect, it } from 'vitest';
import { MAX_EVENT_DATA_BYTES } from './limits.js';
import { formatPath, parseClientMessage, parseEnvelope, parsePublishRequest, type ParseResult } from './parse.js';

// Boundaries of the parse helpers, each pinned by an exact code and HTTP status: a mutation testing run
// showed that without these, an off-by-one or a swapped condition went unnoticed.

const threat = { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1764115200.101 };
const event = { type: 'threat.new', data: threat };
const envelope = { type: 'threat.new', channel: 'threats', id: 'evt_1', seq: 42, epoch: 'k3v9q1', ts: 1764115200.123, data: threat };

function failure<T>(result: ParseResult<T>) {
  if (result.success) throw new Error(`expected a failure, got ${JSON.stringify(result.data).slice(0, 200)}`);
  return result;
}

/**
 * An `alert.resolved` event (its `data` passes unknown fields through) whose serialized `data` is exactly
 * `bytes` UTF-8 bytes long, padded with `unit` (of `unitBytes` bytes) and then ASCII.
 */
function resolvedOfBytes(bytes: number, unit = 'a', unitBytes = 1) {
  const base = { id: 'a1', by: 'bob', timestamp: 1 };
  const room = bytes - Buffer.byteLength(JSON.stringify({ ...base, extra: '' }));
  const units = Math.floor(room / unitBytes);
  const data = { ...base, extra: unit.repeat(units) + 'a'.repeat(room - units * unitBytes) };
  expect(Buffer.byteLength(JSON.stringify(data))).toBe(bytes);
  return { type: 'alert.resolved', data };
}

describe('event data size limit', () => {
  it('accepts a 40 KB payload (between a third of the limit and the limit)', () => {
    const result = parsePublishRequest(resolvedOfBytes(40 * 1024));
    expect(result.success).toBe(true);
  });

  it.each([
    ['ASCII', 'a', 1],
    ['2-byte (U+00E9)', 'é', 2],
    ['2-byte (U+0080, the first)', '\u0080', 2],
    ['2-byte (U+07FF, the last)', '\u07ff', 2],
    ['3-byte (U+20AC)', '€', 3],
    ['3-byte (U+0800, the first)', '\u0800', 3],
    ['3-byte (U+FFFD)', '\ufffd', 3],
    ['4-byte (a surrogate pair, U+1F600)', '😀', 4],
    ['4-byte (U+10000, the first pair)', '\ud800\udc00', 4],
    ['4-byte (U+10FFFF, the last pair)', '\udbff\udfff', 4],
  ])('accepts exactly %s data of %i bytes and refuses one byte more with 413', (_name, unit, unitBytes) => {
    const at = parsePublishRequest(resolvedOfBytes(MAX_EVENT_DATA_BYTES, unit, unitBytes));
    expect(at.success).toBe(true);
    const over = failure(parsePublishRequest(resolvedOfBytes(MAX_EVENT_DATA_BYTES + 1, unit, unitBytes)));
    expect(over.error.code).toBe('message_too_large');
    expect(over.error.httpStatus).toBe(413);
    expect(over.error.issues).toEqual([{ path: 'data', code: 'too_big', message: `data is larger than ${MAX_EVENT_DATA_BYTES} bytes` }]);
  });

  it('counts 3-byte characters just past a third of the limit in code units', () => {
    // 21 846 characters of 3 bytes: over the limit in bytes although few code units.
    const over = failure(parsePublishRequest({ type: 'alert.resolved', data: { id: 'a', by: 'b', timestamp: 1, x: '€'.repeat(21_846) } }));
    expect(over.error.code).toBe('message_too_large');
  });

  it.each([10, 11, 123, 999])('answers 413 for oversized data at batch index %i, naming that index', (index) => {
    const events: object[] = Array.from({ length: index + 1 }, () => event);
    events[index] = resolvedOfBytes(MAX_EVENT_DATA_BYTES + 1);
    const result = failure(parsePublishRequest({ events }));
    expect(result.error.code).toBe('message_too_large');
    expect(result.error.httpStatus).toBe(413);
    expect(result.error.issues).toEqual([
      { path: `events[${index}].data`, code: 'too_big', message: `data is larger than ${MAX_EVENT_DATA_BYTES} bytes`, index },
    ]);
  });
});

describe('publish error codes', () => {
  it.each([
    ['a string', 'x'],
    ['a number', 7],
    ['an array', [threat]],
    ['null', null],
  ])('answers 400 invalid_message, not 413, when data is %s', (_name, data) => {
    const single = failure(parsePublishRequest({ type: 'threat.new', data }));
    expect(single.error.code).toBe('invalid_message');
    expect(single.error.httpStatus).toBe(400);
    expect(single.error.issues?.[0]?.path).toBe('data');
    const batch = failure(parsePublishRequest({ events: [event, { type: 'threat.new', data }] }));
    expect(batch.error.code).toBe('invalid_message');
    expect(batch.error.httpStatus).toBe(400);
    expect(batch.error.issues?.[0]).toMatchObject({ index: 1, path: 'events[1].data' });
  });

  it('answers 400 for a too-long field inside data even next to an unknown type', () => {
    const result = failure(
      parsePublishRequest({ events: [{ type: 'nope', data: {} }, { type: 'alert.new', data: { id: 'a', severity: 'low', message: 'x'.repeat(5000), timestamp: 1 } }] }),
    );
    expect(result.error.code).toBe('invalid_message');
    expect(result.error.httpStatus).toBe(400);
  });

  it('answers unknown_type only when every issue is an unknown type', () => {
    const result = failure(parsePublishRequest({ events: [{ type: 'nope', data: {} }, { type: 'nada', data: {} }] }));
    expect(result.error.code).toBe('unknown_type');
    expect(result.error.issues?.map((i) => i.path)).toEqual(['events[0].type', 'events[1].type']);
    expect(failure(parsePublishRequest({ type: 7, data: {} })).error.issues?.[0]).toMatchObject({ path: 'type', message: 'type must be a string' });
  });

  it('summarises one, two and more issues', () => {
    const one = failure(parsePublishRequest({ type: 'threat.new', data: { ...threat, threat_level: 'severe' } }));
    expect(one.error.message).toBe(`data.threat_level: ${one.error.issues?.[0]?.message}`);
    const two = failure(parsePublishRequest({ events: [{ type: 'nope', data: {} }, { type: 'nada', data: {} }] }));
    expect(two.error.message).toMatch(/^events\[0\]\.type: unknown event type "nope" \(and 1 more issue\)$/);
    const three = failure(parsePublishRequest({ events: [{ type: 'a', data: {} }, { type: 'b', data: {} }, { type: 'c', data: {} }] }));
    expect(three.error.message).toMatch(/\(and 2 more issues\)$/);
  });
});

describe('request id echo', () => {
  it('echoes an id of up to 128 characters and not one of 129', () => {
    expect(failure(parseClientMessage({ type: 'nope', id: 'x'.repeat(128) })).id).toBe('x'.repeat(128));
    expect(failure(parseClientMessage({ type: 'nope', id: 'x'.repeat(129) })).id).toBeUndefined();
    expect(failure(parseClientMessage({ type: 'nope', id: '' })).id).toBe('');
  });

  it('echoes the id with unknown_channel and with an invalid message', () => {
    expect(failure(parseClientMessage({ type: 'subscribe', id: 's1', channel: 'nope' })).id).toBe('s1');
    expect(failure(parseClientMessage({ type: 'subscribe', id: 's2', channel: 'threats', filter: { min_score: 'x' } })).id).toBe('s2');
  });
});

describe('parseEnvelope validates decoded text', () => {
  it('refuses JSON text that is not an envelope', () => {
    for (const text of ['{}', '[]', '"threat.new"', '42', 'null', JSON.stringify({ ...envelope, seq: 0 }), JSON.stringify({ ...envelope, data: {} })]) {
      const result = failure(parseEnvelope(text));
      expect(result.error.code, text).toBe('invalid_message');
      expect(result.error.httpStatus).toBe(400);
    }
  });

  it('refuses text with an unknown event type as unknown_type', () => {
    const result = failure(parseEnvelope(JSON.stringify({ ...envelope, type: 'threat.future' })));
    expect(result.error.code).toBe('unknown_type');
    expect(result.error.issues).toEqual([{ path: 'type', code: 'unknown_type', message: 'unknown event type "threat.future"' }]);
  });

  it('validates decoded text as strictly as a value', () => {
    const result = failure(parseEnvelope(JSON.stringify({ ...envelope, extra: 1 })));
    expect(result.error.code).toBe('invalid_message');
    expect(result.error.issues).toEqual([{ path: 'extra', code: 'unrecognized_keys', message: 'unknown field "extra"' }]);
  });

  it('refuses prototype-pollution keys in text', () => {
    expect(failure(parseEnvelope('{"__proto__":{"x":1}}')).error.code).toBe('invalid_json');
  });
});

// The issues a client is answered with are part of the protocol: each error branch is pinned to its
// exact issue list (path, code, message, and an index only inside a batch) and summary message.
describe('exact error issues', () => {
  const long = 'x'.repeat(100);
  const cut = 'x'.repeat(64);

  it('answers a non-object frame at the root, without an id key', () => {
    for (const text of ['"ping"', '42', '[1]', 'null']) {
      const result = failure(parseClientMessage(text));
      expect(result).not.toHaveProperty('id');
      expect(result.error.code).toBe('invalid_message');
      expect(result.error.issues).toStrictEqual([{ path: '(root)', code: 'invalid_type', message: 'message must be a JSON object' }]);
      expect(result.error.message).toBe('(root): message must be a JSON object');
    }
  });

  it('answers malformed JSON with the parser message at the root', () => {
    const result = failure(parseClientMessage('{nope'));
    const [issue] = result.error.issues ?? [];
    expect(result.error.issues).toHaveLength(1);
    expect(issue).toMatchObject({ path: '(root)', code: 'invalid_json' });
    expect(issue?.message).toMatch(/JSON/);
  });

  it('answers a missing type at the type field', () => {
    expect(failure(parseClientMessage({ id: 'r1' })).error.issues).toStrictEqual([{ path: 'type', code: 'invalid_type', message: 'type must be a string' }]);
  });

  it('names the unknown message type, cut to 64 characters, and lists the known ones', () => {
    const result = failure(parseClientMessage({ type: long }));
    expect(result.error.issues).toStrictEqual([
      { path: 'type', code: 'unknown_type', message: `unknown message type "${cut}"; expected one of auth, subscribe, unsubscribe, ping` },
    ]);
  });

  it('names the unknown channel, cut to 64 characters, for subscribe and unsubscribe only', () => {
    for (const type of ['subscribe', 'unsubscribe']) {
      expect(failure(parseClientMessage({ type, channel: long })).error.issues).toStrictEqual([
        { path: 'channel', code: 'unknown_channel', message: `unknown channel "${cut}"` },
      ]);
    }
    // A channel on a message that has none is an unknown field, not an unknown channel.
    const ping = failure(parseClientMessage({ type: 'ping', channel: 'nope' }));
    expect(ping.error.code).toBe('invalid_message');
    expect(ping.error.issues?.[0]).toMatchObject({ path: 'channel', code: 'unrecognized_keys' });
    // A channel that is not a string is a type error at the field.
    const numeric = failure(parseClientMessage({ type: 'subscribe', channel: 5 }));
    expect(numeric.error.code).toBe('invalid_message');
    expect(numeric.error.issues?.[0]?.path).toBe('channel');
  });

  it('names an unknown field cut to 64 characters, without an index outside a batch', () => {
    const result = failure(parseClientMessage({ type: 'ping', [long]: 1 }));
    expect(result.error.issues).toStrictEqual([{ path: long, code: 'unrecognized_keys', message: `unknown field "${cut}"` }]);
  });

  it('answers a non-object event without an index outside a batch and with one inside', () => {
    expect(failure(parsePublishRequest('x')).error.issues).toStrictEqual([
      { path: '(root)', code: 'invalid_type', message: 'event must be an object {type, data, id?}' },
    ]);
    expect(failure(parsePublishRequest({ events: [event, 'x'] })).error.issues).toStrictEqual([
      { path: 'events[1]', code: 'invalid_type', message: 'event must be an object {type, data, id?}', index: 1 },
    ]);
  });

  it('names an unknown event type cut to 64 characters, without an index outside a batch', () => {
    expect(failure(parsePublishRequest({ type: long, data: {} })).error.issues).toStrictEqual([
      { path: 'type', code: 'unknown_type', message: `unknown event type "${cut}"` },
    ]);
    expect(failure(parseEnvelope({ ...envelope, type: long })).error.issues).toStrictEqual([
      { path: 'type', code: 'unknown_type', message: `unknown event type "${cut}"` },
    ]);
  });

  it('answers an invalid field of a single event without an index', () => {
    const result = failure(parsePublishRequest({ type: 'threat.new', data: { ...threat, threat_level: 'severe' } }));
    expect(result).not.toHaveProperty('id');
    expect(result.error.issues).toHaveLength(1);
    expect(Object.keys(result.error.issues?.[0] ?? {}).sort()).toEqual(['code', 'message', 'path']);
    expect(result.error.message).toBe(`data.threat_level: ${result.error.issues?.[0]?.message}`);
  });

  it('reports in-process data that cannot be serialized (a BigInt, a cycle) at data', () => {
    const cyclic: Record<string, unknown> = { id: 'a', by: 'b', timestamp: 1 };
    cyclic.self = cyclic;
    for (const data of [{ id: 'a', by: 'b', timestamp: 1, n: 10n }, cyclic]) {
      const result = failure(parsePublishRequest({ type: 'alert.resolved', data }));
      expect(result.error.code).toBe('invalid_message');
      expect(result.error.issues).toStrictEqual([{ path: 'data', code: 'invalid_type', message: 'data must be serializable as JSON' }]);
    }
  });

  it('answers malformed batch bodies with exact issues', () => {
    expect(failure(parsePublishRequest({ events: [event], extra: 1 })).error.issues).toStrictEqual([
      { path: 'extra', code: 'unrecognized_keys', message: 'unknown field "extra"' },
    ]);
    expect(failure(parsePublishRequest({ events: 'x' })).error.issues).toStrictEqual([{ path: 'events', code: 'invalid_type', message: 'events must be an array' }]);
    expect(failure(parsePublishRequest({ events: [] })).error.issues).toStrictEqual([{ path: 'events', code: 'too_small', message: 'events must not be empty' }]);
    const tooMany = failure(parsePublishRequest({ events: Array.from({ length: 1001 }, () => event) }));
    expect(tooMany.error.issues).toStrictEqual([{ path: 'events', code: 'too_big', message: 'a batch holds at most 1000 events, got 1001' }]);
    expect(tooMany.error.message).toBe('events: a batch holds at most 1000 events, got 1001');
  });

  it('answers 413 for a batch holding one oversized event among other invalid ones', () => {
    const result = failure(parsePublishRequest({ events: [{ type: 'threat.new', data: {} }, resolvedOfBytes(MAX_EVENT_DATA_BYTES + 1)] }));
    expect(result.error.code).toBe('message_too_large');
    expect(result.error.httpStatus).toBe(413);
  });

  it('summarises a single issue without a count', () => {
    expect(failure(parsePublishRequest({ events: 'x' })).error.message).toBe('events: events must be an array');
  });
});

describe('formatPath on symbol keys', () => {
  it('quotes a symbol key instead of reading it as an identifier', () => {
    expect(formatPath(['a', Symbol('s')])).toBe('a["Symbol(s)"]');
  });
});
