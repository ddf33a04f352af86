import { describe, expect, it } from 'vitest';
import { exampleDocuments } from '../scripts/examples.mjs';
import { EVENT_TYPE_NAMES, EVENT_TYPES, isEventType, ThreatData, type EventType } from './events.js';
import * as contracts from './index.js';
import { parsePublishRequest } from './parse.js';
import { ENVELOPES } from './envelope.js';

interface InvalidCase {
  name: string;
  path: string;
  event: Record<string, unknown>;
}

const docs = exampleDocuments(contracts);
const validOf = (type: EventType) => docs[`examples/${type}.valid.json`] as { type: EventType; id: string; data: Record<string, unknown> };
const casesOf = (type: EventType) => docs[`examples/${type}.invalid.json`] as InvalidCase[];

describe('event payloads', () => {
  it('cover the eleven event types of docs/protocol.md#event-types', () => {
    expect(EVENT_TYPE_NAMES).toEqual([
      'threat.new',
      'alert.new',
      'alert.acknowledged',
      'alert.resolved',
      'status.update',
      'metrics.update',
      'event.raw',
      'correlation.new',
      'system.notice',
      'system.presence_joined',
      'system.presence_left',
    ]);
    expect(isEventType('threat.new')).toBe(true);
    expect(isEventType('threat.old')).toBe(false);
    expect(isEventType('toString')).toBe(false);
  });

  it('pass unknown fields inside data through unchanged (forward compatibility)', () => {
    const data = { source_ip: '10.0.0.1', threat_score: 1, threat_level: 'low', timestamp: 1764115200, model: 'v7', extra: { a: 1 } };
    expect(ThreatData.parse(data)).toEqual(data);
  });

  it('reject non-finite numbers', () => {
    const base = { source_ip: '10.0.0.1', threat_level: 'low', timestamp: 1764115200 };
    for (const threat_score of [Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(ThreatData.safeParse({ ...base, threat_score }).success).toBe(false);
    }
  });

  it('take timestamps in seconds and refuse milliseconds with a message saying so', () => {
    const r = ThreatData.safeParse({ source_ip: '10.0.0.1', threat_score: 1, threat_level: 'low', timestamp: Date.now() });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/seconds.*not milliseconds/);
  });

  it('accept IPv4, IPv6 and IPv4-mapped IPv6 addresses, not hostnames or CIDRs', () => {
    const ok = (source_ip: string) => ThreatData.safeParse({ source_ip, threat_score: 1, threat_level: 'low', timestamp: 1 }).success;
    expect(['192.168.1.100', '2001:db8::1', '::1', '::ffff:203.0.113.7'].map(ok)).toEqual([true, true, true, true]);
    expect(['example.com', '10.0.0.0/8', '256.1.1.1', '01.2.3.4', ''].map(ok)).toEqual([false, false, false, false, false]);
  });

  it('deliver a threat whose source is not an IP as source_ip null with the reported source (0.2.0)', () => {
    const base = { threat_score: 6.2, threat_level: 'medium', timestamp: 1764115202.25 };
    for (const source of ['unknown', 'canary-gw.lan', 'fe80::1%eth0']) {
      expect(ThreatData.safeParse({ ...base, source_ip: source }).success).toBe(false);
      expect(ThreatData.parse({ ...base, source_ip: null, source })).toEqual({ ...base, source_ip: null, source });
    }
    const missing = ThreatData.safeParse({ ...base, source_ip: null });
    expect(missing.success).toBe(false);
    expect(missing.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['source', 'source is required when source_ip is null (say what the sensor reported, e.g. "unknown")'],
    ]);
    // An address may still carry the text it was reported as.
    expect(ThreatData.safeParse({ ...base, source_ip: '203.0.113.7', source: '203.0.113.7' }).success).toBe(true);
    // source_ip stays required: leaving it out is not the same as saying there is none.
    expect(ThreatData.safeParse({ ...base, source: 'unknown' }).success).toBe(false);
  });
});

describe.each(EVENT_TYPE_NAMES)('%s', (type) => {
  it('accepts its valid example as a single publish and inside a batch', () => {
    const valid = validOf(type);
    const single = parsePublishRequest(valid);
    expect(single.success && single.data).toEqual({ events: [valid], batch: false });
    const batch = parsePublishRequest({ events: [valid, valid] });
    expect(batch.success).toBe(true);
  });

  it('has an envelope schema that checks data by type', () => {
    const valid = validOf(type);
    const envelope = { type, channel: contracts.channelForType(type), id: 'evt_1', seq: 1, epoch: 'e1', ts: 1764115200, data: valid.data };
    expect(ENVELOPES[type].safeParse(envelope).success).toBe(true);
    // Another type's payload under this type fails: the union is discriminated, not "any data".
    const other = EVENT_TYPE_NAMES.find((t) => EVENT_TYPES[t].data !== EVENT_TYPES[type].data) as EventType;
    expect(ENVELOPES[type].safeParse({ ...envelope, data: validOf(other).data }).success).toBe(false);
  });

  it.each(casesOf(type).map((c) => [c.name, c] as const))('rejects "%s", naming the field', (_name, c) => {
    const single = parsePublishRequest(c.event);
    expect(single.success).toBe(false);
    if (single.success) return;
    expect(single.error.code).toBe('invalid_message');
    expect(single.error.issues?.map((i) => i.path)).toContain(c.path);
    expect(single.error.message.startsWith(`${c.path}: `)).toBe(true);

    const batch = parsePublishRequest({ events: [validOf(type), validOf(type), validOf(type), c.event] });
    expect(batch.success).toBe(false);
    if (batch.success) return;
    expect(batch.error.issues).toContainEqual(expect.objectContaining({ index: 3, path: `events[3].${c.path}` }));
  });
});
