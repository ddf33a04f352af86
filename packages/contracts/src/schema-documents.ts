import type { z } from 'zod';
import { asyncApiDocument } from './asyncapi.js';
import { CHANNEL_NAMES, CHANNELS, historyToJson, type ChannelSpec } from './channels.js';
import { EVENT_SCHEMAS } from './envelope.js';
import { ErrorBody } from './errors.js';
import type { AnyEventSchemas, EventTypeRow } from './event-schemas.js';
import { ConnectionsQuery, ConnectionsResponse, DisconnectQuery, DisconnectRequest, DisconnectResponse, PresenceResponse } from './admin.js';
import { AlertActionRequest, AlertActionResponse } from './alert-actions.js';
import { Revocation, RevocationList, RevocationRequest } from './revocation.js';
import { ChannelInfo, ChannelsResponse, HealthResponse, HistoryQuery, HistoryResponse, ReadyResponse, SchemaIndex } from './http.js';
import { toJsonSchemaDocument, type JsonObject } from './json-schema.js';
import { openApiDocument } from './openapi.js';
import { CLIENT_MESSAGES, ClientMessage, SERVER_CONTROL_MESSAGES, ServerMessage, serverMessageOf } from './protocol.js';
import { PublishResponse, PublishResult } from './publish.js';
import { StreamQuery, StreamTicketResponse } from './stream.js';
import { channelOfTypeName, wireDocument } from './wire.js';

/** Where each JSON Schema file comes from: its path under `schemas/`, the contract, and which side. */
export interface SchemaFileSpec {
  /** Path under `schemas/`, e.g. `data/threat.new.json`; also the tail of its `$id`. */
  path: string;
  schema: z.ZodType;
  /** `input` for what senders write (requests, filters, payloads), `output` for what the gateway sends. */
  io: 'input' | 'output';
}

/** Every JSON Schema file under `schemas/`, in a fixed order. */
export function schemaFileSpecs(events: AnyEventSchemas = EVENT_SCHEMAS): SchemaFileSpec[] {
  const specs: SchemaFileSpec[] = [];
  const rows = events.table;
  const envelopes = events.envelopes;
  for (const type of events.names) specs.push({ path: `data/${type}.json`, schema: (rows[type] as EventTypeRow).data, io: 'input' });
  for (const type of events.names) specs.push({ path: `events/${type}.json`, schema: envelopes[type] as z.ZodType, io: 'output' });
  specs.push({ path: 'envelope.json', schema: events.EventEnvelope, io: 'output' });
  for (const [type, schema] of Object.entries(CLIENT_MESSAGES)) specs.push({ path: `messages/client/${type}.json`, schema, io: 'input' });
  for (const [type, schema] of Object.entries(SERVER_CONTROL_MESSAGES)) {
    specs.push({ path: `messages/server/${type}.json`, schema, io: 'output' });
  }
  specs.push({ path: 'messages/client-message.json', schema: ClientMessage, io: 'input' });
  specs.push({ path: 'messages/server-message.json', schema: events === (EVENT_SCHEMAS as AnyEventSchemas) ? ServerMessage : serverMessageOf(events.EventEnvelope), io: 'output' });
  specs.push(
    { path: 'publish/publish-event.json', schema: events.PublishEvent, io: 'input' },
    { path: 'publish/publish-batch.json', schema: events.PublishBatch, io: 'input' },
    { path: 'publish/publish-request.json', schema: events.PublishRequest, io: 'input' },
    { path: 'publish/publish-response.json', schema: PublishResponse, io: 'output' },
    { path: 'publish/publish-result.json', schema: PublishResult, io: 'output' },
    { path: 'publish/error-body.json', schema: ErrorBody, io: 'output' },
  );
  for (const channel of CHANNEL_NAMES) specs.push({ path: `filters/${channel}.json`, schema: CHANNELS[channel].filter, io: 'input' });
  specs.push(
    { path: 'http/history-query.json', schema: HistoryQuery, io: 'input' },
    { path: 'http/history-response.json', schema: HistoryResponse, io: 'output' },
    { path: 'http/channel-info.json', schema: ChannelInfo, io: 'output' },
    { path: 'http/channels-response.json', schema: ChannelsResponse, io: 'output' },
    { path: 'http/health-response.json', schema: HealthResponse, io: 'output' },
    { path: 'http/ready-response.json', schema: ReadyResponse, io: 'output' },
    { path: 'http/schema-index.json', schema: SchemaIndex, io: 'output' },
    { path: 'http/alert-action-request.json', schema: AlertActionRequest, io: 'input' },
    { path: 'http/alert-action-response.json', schema: AlertActionResponse, io: 'output' },
    { path: 'http/revocation-request.json', schema: RevocationRequest, io: 'input' },
    { path: 'http/revocation.json', schema: Revocation, io: 'output' },
    { path: 'http/revocation-list.json', schema: RevocationList, io: 'output' },
    { path: 'http/presence-response.json', schema: PresenceResponse, io: 'output' },
    { path: 'http/connections-query.json', schema: ConnectionsQuery, io: 'input' },
    { path: 'http/connections-response.json', schema: ConnectionsResponse, io: 'output' },
    { path: 'http/disconnect-query.json', schema: DisconnectQuery, io: 'input' },
    { path: 'http/disconnect-request.json', schema: DisconnectRequest, io: 'input' },
    { path: 'http/disconnect-response.json', schema: DisconnectResponse, io: 'output' },
    { path: 'http/stream-query.json', schema: StreamQuery, io: 'input' },
    { path: 'http/stream-ticket-response.json', schema: StreamTicketResponse, io: 'output' },
  );
  return specs;
}

/** The channel registry as plain data (`schemas/channels.json`), for consumers that cannot import TS. */
export function channelsDocument(events: AnyEventSchemas = EVENT_SCHEMAS): JsonObject {
  return {
    $comment: 'Generated from @ns/contracts by `npm run schemas`; do not edit.',
    version: 1,
    channels: CHANNEL_NAMES.map((name) => {
      const spec: ChannelSpec = CHANNELS[name];
      return {
        name,
        description: spec.description,
        event_types: events.names.filter((t) => channelOfTypeName(t) === name),
        read_permission: spec.readPermission,
        delivery: spec.delivery,
        history: historyToJson(spec.history),
        filter_schema: `filters/${name}.json`,
      };
    }),
  };
}

/**
 * Every generated document under `schemas/` (JSON Schemas, `channels.json`, `asyncapi.json`, `openapi.json`), keyed by
 * path, sorted. `npm run schemas` writes exactly these; the gateway may serve them from memory.
 */
export function schemaDocuments(events: AnyEventSchemas = EVENT_SCHEMAS): Record<string, JsonObject> {
  const docs: Record<string, JsonObject> = {};
  for (const spec of schemaFileSpecs(events)) docs[spec.path] = toJsonSchemaDocument(spec.schema, spec.path, spec.io);
  docs['channels.json'] = channelsDocument(events);
  docs['asyncapi.json'] = asyncApiDocument(events);
  docs['openapi.json'] = openApiDocument(events);
  docs['wire.json'] = wireDocument() as unknown as JsonObject;
  return Object.fromEntries(Object.entries(docs).sort(([a], [b]) => (a < b ? -1 : 1)));
}
