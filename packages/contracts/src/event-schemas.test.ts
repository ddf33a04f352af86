import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { EVENT_SCHEMAS } from './envelope.js';
import { eventSchemas } from './event-schemas.js';
import { EVENT_TYPES } from './events.js';
import type { JsonObject } from './json-schema.js';
import { envelopeParser, parsePublishRequest, publishRequestParser } from './parse.js';
import { IpAddress, ShortText, Timestamp } from './primitives.js';
import { schemaDocuments } from './schema-documents.js';

// Adding an event type is one row in EVENT_TYPES: this test adds a fixture row to a copy of the table
// and checks that everything derived from it — the envelope union, publish parsing, the JSON Schema
// files, channels.json and the AsyncAPI document — picks the new type up, on the channel its domain names.

const EscalatedData = z
  .looseObject({ source_ip: IpAddress, reason: ShortText, timestamp: Timestamp })
  .meta({ id: 'ThreatEscalatedData', title: 'threat.escalated data', examples: [{ source_ip: '203.0.113.9', reason: 'repeat offender', timestamp: 1764115200.5 }] });

const table = {
  ...EVENT_TYPES,
  'threat.escalated': { data: EscalatedData, description: 'A threat was escalated.', envelope: 'ThreatEscalatedEvent' },
} as const;
const fixture = eventSchemas(table);

const data = { source_ip: '203.0.113.9', reason: 'repeat offender', timestamp: 1764115200.5 };
const envelope = { type: 'threat.escalated', channel: 'threats', id: 'evt_1', seq: 7, epoch: 'k3v9q1', ts: 1764115200.6, data };

const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats.default(ajv);

describe('eventSchemas: one table row is all a new event type takes', () => {
  const docs = schemaDocuments(fixture);

  it('adds the type to the envelope union, on the channel of its domain', () => {
    expect(fixture.EventEnvelope.safeParse(envelope).success).toBe(true);
    expect(fixture.EventEnvelope.safeParse({ ...envelope, channel: 'alerts' }).success).toBe(false);
    expect(fixture.EventEnvelope.safeParse({ ...envelope, data: { ...data, source_ip: 'nope' } }).success).toBe(false);
    expect(envelopeParser(fixture)(JSON.stringify(envelope))).toMatchObject({ success: true, data: { type: 'threat.escalated' } });
    // The real contracts do not know the fixture type.
    expect(EVENT_SCHEMAS.EventEnvelope.safeParse(envelope).success).toBe(false);
  });

  it('adds the type to publish parsing, single and batched, with per-field errors', () => {
    const parse = publishRequestParser(fixture);
    expect(parse({ type: 'threat.escalated', data })).toMatchObject({ success: true, data: { batch: false, events: [{ type: 'threat.escalated', data }] } });
    expect(parse({ events: [{ type: 'status.update', data: { component: 'x', status: 'healthy' } }, { type: 'threat.escalated', data }] })).toMatchObject({
      success: true,
    });
    const bad = parse({ events: [{ type: 'threat.escalated', data: { ...data, reason: '' } }] });
    expect(bad.success).toBe(false);
    if (!bad.success) expect(bad.error.issues?.[0]).toMatchObject({ index: 0, path: 'events[0].data.reason' });
    const unknown = parsePublishRequest({ type: 'threat.escalated', data });
    expect(unknown.success).toBe(false);
    if (!unknown.success) expect(unknown.error.code).toBe('unknown_type');
  });

  it('adds the JSON Schema files, and the generated envelope schema accepts the event', () => {
    expect(docs['data/threat.escalated.json']).toMatchObject({ $id: 'https://netsentinel.dev/schemas/v1/data/threat.escalated.json', required: ['source_ip', 'reason', 'timestamp'] });
    expect(docs['events/threat.escalated.json']).toBeDefined();
    const validate = ajv.compile(docs['envelope.json'] as JsonObject);
    expect(validate(envelope)).toBe(true);
    expect(validate({ ...envelope, channel: 'alerts' })).toBe(false);
    const publish = ajv.compile(docs['publish/publish-request.json'] as JsonObject);
    expect(publish({ events: [{ type: 'threat.escalated', data }] })).toBe(true);
    expect(ajv.compile(docs['messages/server-message.json'] as JsonObject)(envelope)).toBe(true);
  });

  it('lists the type on its channel in channels.json and the AsyncAPI document', () => {
    const channels = (docs['channels.json'] as { channels: { name: string; event_types: string[] }[] }).channels;
    expect(channels.find((c) => c.name === 'threats')?.event_types).toEqual(['threat.new', 'threat.escalated']);
    expect(channels.find((c) => c.name === 'alerts')?.event_types).not.toContain('threat.escalated');
    const asyncapi = docs['asyncapi.json'] as { channels: Record<string, { messages: JsonObject }>; components: { schemas: JsonObject; messages: JsonObject } };
    expect(Object.keys(asyncapi.channels.threats?.messages ?? {})).toEqual(['threat.new', 'threat.escalated']);
    expect(asyncapi.components.schemas.ThreatEscalatedEvent).toBeDefined();
    expect(asyncapi.components.messages['threat.escalated']).toMatchObject({ summary: 'A threat was escalated.' });
  });

  it('adds the type to the OpenAPI document\'s publish body', () => {
    const openapi = docs['openapi.json'] as { components: { schemas: Record<string, JsonObject> } };
    const body = ajv.compile({ ...(openapi.components.schemas.PublishRequest as JsonObject), components: openapi.components } as JsonObject);
    expect(body({ type: 'threat.escalated', data })).toBe(true);
    expect(body({ type: 'threat.escalated', data: { ...data, source_ip: 'nope' } })).toBe(false);
    expect(JSON.stringify(openapi.components.schemas)).toContain('"threat.escalated"');
  });

  it('refuses a type whose domain names no channel', () => {
    expect(() => eventSchemas({ 'nothing.new': { data: EscalatedData, description: 'x', envelope: 'NothingNewEvent' } })).toThrow(/no channel/);
  });

  it('derives exactly the contracts of EVENT_TYPES for the real table', () => {
    expect(schemaDocuments(eventSchemas(EVENT_TYPES, { publishBatch: (EVENT_SCHEMAS.PublishBatch.meta()?.examples as unknown[]) ?? [], publishRequest: (EVENT_SCHEMAS.PublishRequest.meta()?.examples as unknown[]) ?? [] }))).toEqual(schemaDocuments());
  });
});
