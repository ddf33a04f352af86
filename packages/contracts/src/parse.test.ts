import { describe, expect, it } from 'vitest';
import { MAX_BATCH_EVENTS, MAX_EVENT_DATA_BYTES } from './limits.js';
import {
  formatPath,
  isValidPublishEvent,
  parseClientMessage,
  parseEnvelope,
  parseJson,
  parsePublishRequest,
  validDataJson,
  type ParseResult,
} from './parse.js';

const threat = { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1764115200.101 };
const event = { type: 'threat.new', data: threat };
const envelope = { type: 'threat.new', channel: 'threats', id: 'evt_1', seq: 42, epoch: 'k3v9q1', ts: 1764115200.123, data: threat };

/** The failure of a result, failing the test when it succeeded. */
function failure<T>(result: ParseResult<T>) {
  if (result.success) throw new Error(`expected a failure, got ${JSON.stringify(result.data)}`);
  return result;
}

describe('formatPath', () => {
  it('renders keys dotted, indices in brackets, and the empty path as (root)', () => {
    expect(formatPath(['events', 3, 'data', 'source_ip'])).toBe('events[3].data.source_ip');
    expect(formatPath([])).toBe('(root)');
    expect(formatPath([0, 'type'])).toBe('[0].type');
  });

  it('quotes keys that are not identifiers, so the path stays unambiguous', () => {
    expect(formatPath(['data', 'metrics', 'p99.ms'])).toBe('data.metrics["p99.ms"]');
    expect(formatPath(['data', 'a b'])).toBe('data["a b"]');
  });
});

describe('parseJson', () => {
  it('parses JSON text', () => {
    expect(parseJson('{"a":[1,2]}')).toEqual({ success: true, data: { a: [1, 2] } });
  });

  it('answers invalid_json for malformed text and for the NaN literal Python writes by default', () => {
    for (const text of ['{"a":', '{"threat_score": NaN}', '{"x": Infinity}', '']) {
      expect(failure(parseJson(text)).error.code, text).toBe('invalid_json');
    }
  });

  it('refuses prototype-pollution keys', () => {
    for (const text of ['{"__proto__":{"admin":true}}', '{"a":{"__proto__":{"x":1}}}', '{"constructor":{"prototype":{"x":1}}}']) {
      const result = failure(parseJson(text));
      expect(result.error.code, text).toBe('invalid_json');
      expect(result.error.message).toMatch(/forbidden key/);
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('still accepts harmless keys that merely mention constructor', () => {
    expect(parseJson('{"constructor":"x","data":{"constructor_id":1}}').success).toBe(true);
  });
});

describe('parseClientMessage', () => {
  it('parses each message type from text or from a value', () => {
    expect(parseClientMessage('{"type":"ping","id":"p1"}')).toEqual({ success: true, data: { type: 'ping', id: 'p1' } });
    expect(parseClientMessage({ type: 'auth', token: 't' }).success).toBe(true);
    expect(parseClientMessage({ type: 'unsubscribe', channel: 'alerts' }).success).toBe(true);
    const sub = parseClientMessage({ type: 'subscribe', channel: 'threats', filter: { min_score: 7 }, since: { epoch: 'e', seq: 0 } });
    expect(sub.success).toBe(true);
  });

  it('answers invalid_json for text that is not JSON', () => {
    expect(failure(parseClientMessage('{nope')).error.code).toBe('invalid_json');
  });

  it('answers invalid_message for non-objects and for a missing type', () => {
    expect(failure(parseClientMessage('[1]')).error.code).toBe('invalid_message');
    expect(failure(parseClientMessage('"ping"')).error.code).toBe('invalid_message');
    const noType = failure(parseClientMessage({ id: 'r9' }));
    expect(noType.error.code).toBe('invalid_message');
    expect(noType.id).toBe('r9');
  });

  it('answers unknown_type for a type the protocol does not have, echoing the request id', () => {
    const result = failure(parseClientMessage('{"type":"publish","id":"r1"}'));
    expect(result.error.code).toBe('unknown_type');
    expect(result.error.issues?.[0]?.path).toBe('type');
    expect(result.id).toBe('r1');
  });

  it('answers unknown_channel for a channel outside the registry, echoing the request id', () => {
    for (const type of ['subscribe', 'unsubscribe']) {
      const result = failure(parseClientMessage({ type, id: 'r2', channel: 'secrets' }));
      expect(result.error.code).toBe('unknown_channel');
      expect(result.error.issues?.[0]?.path).toBe('channel');
      expect(result.id).toBe('r2');
    }
    expect(failure(parseClientMessage({ type: 'subscribe', channel: '__proto__' })).error.code).toBe('unknown_channel');
  });

  it('names the bad field of a filter, and of an unknown filter field', () => {
    const bad = failure(parseClientMessage({ type: 'subscribe', id: 'r3', channel: 'threats', filter: { min_score: -1 } }));
    expect(bad.error.code).toBe('invalid_message');
    expect(bad.error.issues?.[0]?.path).toBe('filter.min_score');
    expect(bad.id).toBe('r3');
    const typo = failure(parseClientMessage({ type: 'subscribe', channel: 'threats', filter: { min_scor: 7 } }));
    expect(typo.error.issues?.[0]?.path).toBe('filter.min_scor');
    // A filter field of another channel is unknown here.
    const wrongChannel = failure(parseClientMessage({ type: 'subscribe', channel: 'alerts', filter: { min_score: 7 } }));
    expect(wrongChannel.error.issues?.[0]?.path).toBe('filter.min_score');
  });

  it('rejects unknown top-level fields, naming them', () => {
    const result = failure(parseClientMessage({ type: 'ping', extra: 1 }));
    expect(result.error.issues).toEqual([{ path: 'extra', code: 'unrecognized_keys', message: 'unknown field "extra"' }]);
  });

  it('does not echo an id that is not a short string', () => {
    expect(failure(parseClientMessage({ type: 'nope', id: 7 })).id).toBeUndefined();
    expect(failure(parseClientMessage({ type: 'nope', id: 'x'.repeat(129) })).id).toBeUndefined();
  });
});

describe('parsePublishRequest', () => {
  it('brands the events it accepts, and only those, with their data serialized once', () => {
    const withId = { ...event, id: 'evt-42', data: { ...threat, note: 'ü ✓ "quoted"' } };
    const parsed = parsePublishRequest({ events: [event, withId] });
    if (!parsed.success) throw parsed.error;
    for (const accepted of parsed.data.events) {
      expect(isValidPublishEvent(accepted)).toBe(true);
      expect(validDataJson(accepted)).toBe(JSON.stringify(accepted.data));
      // Neither the publisher's object nor a copy of an accepted one carries the brand.
      expect(isValidPublishEvent({ ...accepted })).toBe(false);
    }
    expect(validDataJson(parsed.data.events[1] as never)).toContain('"note":"ü ✓ \\"quoted\\""');
    expect(isValidPublishEvent(event)).toBe(false);
    expect(isValidPublishEvent(withId)).toBe(false);
    const single = parsePublishRequest(event);
    expect(single.success && isValidPublishEvent(single.data.events[0])).toBe(true);
    expect(isValidPublishEvent(null)).toBe(false);
    expect(isValidPublishEvent('threat.new')).toBe(false);
  });

  it('normalises one event and a batch to a list', () => {
    expect(parsePublishRequest(event)).toEqual({ success: true, data: { events: [event], batch: false } });
    const withId = { ...event, id: 'evt-42' };
    expect(parsePublishRequest({ events: [event, withId] })).toEqual({ success: true, data: { events: [event, withId], batch: true } });
  });

  it('names the field of the bad event of a batch by index, and validates every event', () => {
    const events = [event, event, event, { type: 'threat.new', data: { ...threat, source_ip: 'nope' } }, { type: 'threat.new', data: {} }];
    const result = failure(parsePublishRequest({ events }));
    expect(result.error.code).toBe('invalid_message');
    expect(result.error.issues?.[0]).toMatchObject({ index: 3, path: 'events[3].data.source_ip' });
    expect(result.error.message).toMatch(/^events\[3\]\.data\.source_ip: .* \(and \d+ more issues\)$/);
    expect(result.error.issues?.some((i) => i.index === 4 && i.path === 'events[4].data.threat_score')).toBe(true);
    expect(result.error.httpStatus).toBe(400);
  });

  it('answers unknown_type when every problem is an unknown event type', () => {
    const single = failure(parsePublishRequest({ type: 'threat.old', data: {} }));
    expect(single.error.code).toBe('unknown_type');
    expect(single.error.issues?.[0]?.path).toBe('type');
    const batch = failure(parsePublishRequest({ events: [event, { type: 'nope', data: {} }] }));
    expect(batch.error.code).toBe('unknown_type');
    expect(batch.error.issues?.[0]).toMatchObject({ index: 1, path: 'events[1].type' });
  });

  it('answers invalid_message when unknown types are mixed with invalid events', () => {
    const result = failure(parsePublishRequest({ events: [{ type: 'nope', data: {} }, { type: 'threat.new', data: {} }] }));
    expect(result.error.code).toBe('invalid_message');
  });

  it('answers message_too_large for more than the batch limit', () => {
    const result = failure(parsePublishRequest({ events: Array.from({ length: MAX_BATCH_EVENTS + 1 }, () => event) }));
    expect(result.error.code).toBe('message_too_large');
    expect(result.error.httpStatus).toBe(413);
    expect(parsePublishRequest({ events: Array.from({ length: MAX_BATCH_EVENTS }, () => event) }).success).toBe(true);
  });

  it('answers message_too_large for a payload over the size limit, counting UTF-8 bytes', () => {
    // 3-byte characters: under the limit in UTF-16 code units, over it in bytes.
    const note = '€'.repeat(Math.ceil(MAX_EVENT_DATA_BYTES / 3) + 10);
    const result = failure(parsePublishRequest({ type: 'alert.resolved', data: { id: 'a1', by: 'bob', timestamp: 1, extra: note } }));
    expect(result.error.code).toBe('message_too_large');
    expect(result.error.issues?.[0]?.path).toBe('data');
    const batch = failure(parsePublishRequest({ events: [event, { type: 'alert.resolved', data: { id: 'a1', by: 'b', timestamp: 1, extra: note } }] }));
    expect(batch.error.code).toBe('message_too_large');
    expect(batch.error.issues?.[0]?.path).toBe('events[1].data');
  });

  it('keeps a long string field an invalid message, not an oversized one', () => {
    const result = failure(parsePublishRequest({ type: 'alert.new', data: { id: 'a', severity: 'low', message: 'x'.repeat(5000), timestamp: 1 } }));
    expect(result.error.code).toBe('invalid_message');
    expect(result.error.issues?.[0]).toMatchObject({ path: 'data.message', code: 'too_big' });
  });

  it('rejects malformed batch bodies', () => {
    expect(failure(parsePublishRequest({ events: [] })).error.issues?.[0]?.path).toBe('events');
    expect(failure(parsePublishRequest({ events: 'x' })).error.code).toBe('invalid_message');
    expect(failure(parsePublishRequest({ events: [event], extra: 1 })).error.issues?.[0]?.path).toBe('extra');
    expect(failure(parsePublishRequest(null)).error.issues?.[0]?.path).toBe('(root)');
    expect(failure(parsePublishRequest([event])).error.code).toBe('invalid_message');
  });

  it('rejects an unknown top-level field of an event, naming it', () => {
    const result = failure(parsePublishRequest({ ...event, priority: 'high' }));
    expect(result.error.issues).toEqual([{ path: 'priority', code: 'unrecognized_keys', message: 'unknown field "priority"' }]);
  });
});

describe('parseEnvelope', () => {
  it('parses a delivered event from text or a value', () => {
    expect(parseEnvelope(JSON.stringify(envelope))).toEqual({ success: true, data: envelope });
    expect(parseEnvelope(envelope).success).toBe(true);
  });

  it('answers invalid_json, unknown_type and invalid_message with the path', () => {
    expect(failure(parseEnvelope('{"type":')).error.code).toBe('invalid_json');
    expect(failure(parseEnvelope({ ...envelope, type: 'threat.future' })).error.code).toBe('unknown_type');
    const wrongChannel = failure(parseEnvelope({ ...envelope, channel: 'alerts' }));
    expect(wrongChannel.error.code).toBe('invalid_message');
    expect(wrongChannel.error.issues?.[0]?.path).toBe('channel');
    const badSeq = failure(parseEnvelope({ ...envelope, seq: 0 }));
    expect(badSeq.error.issues?.[0]?.path).toBe('seq');
    const badData = failure(parseEnvelope({ ...envelope, data: { ...threat, threat_level: 'severe' } }));
    expect(badData.error.issues?.[0]?.path).toBe('data.threat_level');
  });
});
