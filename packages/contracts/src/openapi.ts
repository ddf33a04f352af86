import type { z } from 'zod';
import { ConnectionsQuery, ConnectionsResponse, DisconnectQuery, DisconnectRequest, DisconnectResponse, PresenceResponse } from './admin.js';
import { ALERT_ACTIONS, AlertActionRequest, AlertActionResponse, type AlertAction } from './alert-actions.js';
import { SchemaComponents } from './asyncapi.js';
import { EVENT_SCHEMAS } from './envelope.js';
import { ErrorBody } from './errors.js';
import type { AnyEventSchemas } from './event-schemas.js';
import { ChannelsResponse, HealthResponse, HistoryQuery, HistoryResponse, ReadyResponse, SchemaIndex } from './http.js';
import { toJsonSchemaParts, type JsonObject } from './json-schema.js';
import { MAX_BATCH_EVENTS, PROTOCOL_VERSION } from './limits.js';
import { PublishResponse } from './publish.js';
import { Revocation, RevocationList, RevocationRequest } from './revocation.js';
import { STREAM_TICKET_TTL_S, StreamQuery, StreamTicketResponse } from './stream.js';
import { CHANNEL_NAMES, ERROR_CODE_NAMES, ERROR_CODES } from './wire.js';

/** One response of a route: its description and, for JSON bodies, the contract. */
export interface HttpResponseSpec {
  description: string;
  /** The JSON body's contract; absent for non-JSON bodies (`contentType`). */
  schema?: z.ZodType;
  contentType?: string;
}

/** One route of the HTTP API, as the OpenAPI document and the gateway's route tests read it. */
export interface HttpRouteSpec {
  method: 'get' | 'post' | 'delete';
  /** OpenAPI path, e.g. `/v1/channels/{channel}/history`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  /** Who may call it: publishers, readers (like a subscription), holders of `write:alerts`, of `admin`, or anyone. */
  auth: 'publish' | 'read' | 'alerts' | 'admin' | 'stream' | 'none';
  body?: z.ZodType;
  /** The body may be left out (as if `{}`). */
  bodyOptional?: boolean;
  query?: z.ZodType;
  /** The path parameter: a channel name, an alert id or a connection id. */
  pathParams?: 'channel' | 'alert' | 'connection';
  /** Status → response. Error statuses are added from `errors`. */
  responses: Record<number, HttpResponseSpec>;
  /** HTTP statuses of `ErrorBody` responses this route can answer. */
  errors: number[];
}

/** Every route of the HTTP API (docs/protocol.md#http-api) for a given event-type set. */
export function httpRoutes(events: AnyEventSchemas = EVENT_SCHEMAS): HttpRouteSpec[] {
  return [
    {
      method: 'post',
      path: '/v1/publish',
      operationId: 'publish',
      summary: 'Publish one event or a batch.',
      description: `One event \`{type, data, id?}\` or \`{events: [...]}\` (at most ${MAX_BATCH_EVENTS}). Every event is validated first; if any is invalid nothing is published. A repeated \`id\` within 5 minutes returns the first result and is not delivered again.`,
      auth: 'publish',
      body: events.PublishRequest,
      responses: { 202: { description: 'Accepted: the assigned `{id, channel, seq}` of every event, in request order.', schema: PublishResponse } },
      errors: [400, 401, 403, 409, 413, 415, 429, 503],
    },
    {
      method: 'get',
      path: '/v1/channels',
      operationId: 'listChannels',
      summary: 'The channel registry with live subscriber counts and each channel\'s epoch and seq.',
      auth: 'none',
      responses: { 200: { description: 'Every channel.', schema: ChannelsResponse } },
      errors: [503],
    },
    {
      method: 'get',
      path: '/v1/channels/{channel}/history',
      operationId: 'channelHistory',
      summary: 'Retained events of a channel, authorized like a subscription.',
      auth: 'read',
      pathParams: 'channel',
      query: HistoryQuery,
      responses: { 200: { description: 'A page of retained events.', schema: HistoryResponse } },
      errors: [400, 401, 403, 404, 503],
    },
    ...(Object.keys(ALERT_ACTIONS) as AlertAction[]).map(
      (action): HttpRouteSpec => ({
        method: 'post',
        path: `/v1/alerts/{id}/${action}`,
        operationId: `${action}Alert`,
        summary: `${action === 'acknowledge' ? 'Acknowledge' : 'Resolve'} an alert: publishes \`${ALERT_ACTIONS[action]}\` on the \`alerts\` channel.`,
        description: `Needs \`write:alerts\`. \`by\` is the token's user (\`username\`, else its id), \`timestamp\` the gateway's clock; the body only adds an optional \`note\`. Idempotent: an alert already ${action === 'acknowledge' ? 'acknowledged' : 'resolved'} is answered with the first \`${ALERT_ACTIONS[action]}\` and \`duplicate: true\`, nothing is published again.`,
        auth: 'alerts',
        pathParams: 'alert',
        body: AlertActionRequest,
        bodyOptional: true,
        responses: { 200: { description: `The \`${ALERT_ACTIONS[action]}\` event recording the action.`, schema: AlertActionResponse } },
        errors: [400, 401, 403, 429, 503],
      }),
    ),
    {
      method: 'post',
      path: '/v1/revocations',
      operationId: 'revoke',
      summary: 'Revoke one token (`jti`) or every token of a user issued before a time.',
      description:
        'Needs `admin`. The revoked credentials are refused from now on at connect, `auth`, refresh and on HTTP, and live connections holding them are closed with 4001 on every gateway instance. The record expires with the token (`expires_at`; for a user, `issued_before` plus the longest accepted token lifetime). A new revocation past `NS_MAX_REVOCATIONS` active ones is refused with 429.',
      auth: 'admin',
      body: RevocationRequest,
      responses: { 201: { description: 'The revocation, as recorded (a repeat replaces the earlier record).', schema: Revocation } },
      errors: [400, 401, 403, 429, 503],
    },
    {
      method: 'get',
      path: '/v1/revocations',
      operationId: 'listRevocations',
      summary: 'The active revocations, soonest expiry first.',
      description: 'Needs `admin`.',
      auth: 'admin',
      responses: { 200: { description: 'Every active revocation and the limit on their number.', schema: RevocationList } },
      errors: [401, 403, 503],
    },
    {
      method: 'get',
      path: '/v1/presence/{channel}',
      operationId: 'channelPresence',
      summary: 'Who is subscribed to a channel, on every instance: counts and users with connection count and since-when.',
      description: 'Needs `admin`. Counts cover every gateway instance sharing the engine (Redis: entries of an instance that stopped refreshing them expire within 5 s).',
      auth: 'admin',
      pathParams: 'channel',
      responses: { 200: { description: 'The channel\'s presence.', schema: PresenceResponse } },
      errors: [401, 404, 503],
    },
    {
      method: 'get',
      path: '/v1/connections',
      operationId: 'listConnections',
      summary: 'Live connections on every instance: id, user, address, channels, queued bytes, since, instance, transport.',
      description: 'Needs `admin`.',
      auth: 'admin',
      query: ConnectionsQuery,
      responses: { 200: { description: 'Connections, oldest first.', schema: ConnectionsResponse } },
      errors: [400, 401, 503],
    },
    {
      method: 'delete',
      path: '/v1/connections/{id}',
      operationId: 'disconnectConnection',
      summary: 'Close one connection, on whichever instance holds it (close code 4003 with the reason).',
      description: 'Needs `admin`. `404` `not_found` when no instance holds the connection.',
      auth: 'admin',
      pathParams: 'connection',
      query: DisconnectQuery,
      responses: { 200: { description: 'The connection was told to close.', schema: DisconnectResponse } },
      errors: [400, 401, 404, 503],
    },
    {
      method: 'post',
      path: '/v1/disconnects',
      operationId: 'disconnectUser',
      summary: 'Close every connection of a user on every instance (close code 4003 with the reason).',
      description: 'Needs `admin`. Answers with the connections found; a user without connections is `200` with none.',
      auth: 'admin',
      body: DisconnectRequest,
      responses: { 200: { description: 'The user\'s connections were told to close.', schema: DisconnectResponse } },
      errors: [400, 401, 503],
    },
    {
      method: 'get',
      path: '/v1/stream',
      operationId: 'stream',
      summary: 'Server-Sent Events: the messages of /ws, one SSE event each, for networks that block WebSocket.',
      description:
        'Answers `text/event-stream`: `welcome`, then per channel `subscribed` (or an `error`, as a refused subscribe on /ws), replayed events, live events. Every message is one SSE event whose `data:` is the JSON message; events of lossless channels carry `id: <channel>:<epoch>:<seq>,…`, the position of every lossless channel the stream reads, so a reconnect with `Last-Event-ID` (or `?since=`) resumes without a gap or is told `recovered: false`. Heartbeats are SSE comments. A stream that must end (slow consumer, token expired, shutdown) gets a last `error` message first. Credentials: `Authorization: Bearer <JWT>`, or `?ticket=` from `POST /v1/stream-tickets`; never a JWT in the URL.',
      auth: 'stream',
      query: StreamQuery,
      responses: { 200: { description: 'The event stream.', contentType: 'text/event-stream' } },
      errors: [400, 401, 404, 429, 503],
    },
    {
      method: 'post',
      path: '/v1/stream-tickets',
      operationId: 'createStreamTicket',
      summary: `A single-use ticket for \`GET /v1/stream?ticket=\`, valid ${STREAM_TICKET_TTL_S} s.`,
      description: 'For browsers\' EventSource, which cannot send an Authorization header: the ticket stands for the JWT that obtained it (its principal and expiry) without putting the JWT in a URL. No body.',
      auth: 'stream',
      responses: { 201: { description: 'The ticket.', schema: StreamTicketResponse } },
      errors: [401, 429, 503],
    },
    {
      method: 'get',
      path: '/healthz',
      operationId: 'liveness',
      summary: 'Liveness: the process answers.',
      auth: 'none',
      responses: { 200: { description: 'Alive.', schema: HealthResponse } },
      errors: [],
    },
    {
      method: 'get',
      path: '/readyz',
      operationId: 'readiness',
      summary: 'Readiness: the engine is connected and the gateway is not draining.',
      auth: 'none',
      responses: { 200: { description: 'Ready.', schema: ReadyResponse } },
      errors: [503],
    },
    {
      method: 'get',
      path: '/metrics',
      operationId: 'metrics',
      summary: 'Prometheus metrics (text exposition format).',
      auth: 'none',
      responses: { 200: { description: 'Metrics.', contentType: 'text/plain' } },
      errors: [],
    },
    {
      method: 'get',
      path: '/schemas/',
      operationId: 'schemaIndex',
      summary: 'The generated contract files.',
      auth: 'none',
      responses: { 200: { description: 'The index.', schema: SchemaIndex } },
      errors: [503],
    },
    {
      method: 'get',
      path: '/asyncapi.json',
      operationId: 'asyncapi',
      summary: 'The AsyncAPI 3.0 document of the WebSocket protocol.',
      auth: 'none',
      responses: { 200: { description: 'The document.', contentType: 'application/json' } },
      errors: [404, 503],
    },
    {
      method: 'get',
      path: '/openapi.json',
      operationId: 'openapi',
      summary: 'This OpenAPI 3.1 document.',
      auth: 'none',
      responses: { 200: { description: 'The document.', contentType: 'application/json' } },
      errors: [404, 503],
    },
  ];
}

/** Error statuses every route can answer: the Host/Origin guard's 403 and an unexpected 500. */
export const COMMON_ERRORS = [403, 500] as const;

// Which error codes each HTTP status carries, from the one error table (415 is Fastify's own).
function errorText(status: number): string {
  if (status === 415) return 'Unsupported media type (`invalid_message`).';
  const codes = ERROR_CODE_NAMES.filter((c) => ERROR_CODES[c].http === status);
  return `${codes.map((c) => `\`${c}\`: ${ERROR_CODES[c].description}`).join(' ')}`;
}

/**
 * The OpenAPI 3.1 document of the gateway's HTTP API (`schemas/openapi.json`, served at
 * `/openapi.json`), generated from the same contracts as the AsyncAPI document.
 */
export function openApiDocument(events: AnyEventSchemas = EVENT_SCHEMAS): JsonObject {
  const components = new SchemaComponents('draft-2020-12');
  const errorRef = components.add(ErrorBody, 'output');
  const paths: Record<string, JsonObject> = {};
  for (const route of httpRoutes(events)) {
    const op: JsonObject = { operationId: route.operationId, summary: route.summary };
    if (route.description !== undefined) op.description = route.description;
    if (route.auth === 'publish') op.security = [{ publishKey: [] }, { jwtBearer: [] }];
    else if (route.auth === 'read') op.security = [{ jwtBearer: [] }, {}];
    else if (route.auth === 'alerts' || route.auth === 'admin') op.security = [{ jwtBearer: [] }];
    else if (route.auth === 'stream') op.security = [{ jwtBearer: [] }, {}];
    else op.security = [];
    const parameters: JsonObject[] = [];
    if (route.pathParams === 'channel') {
      parameters.push({ name: 'channel', in: 'path', required: true, schema: { type: 'string', enum: [...CHANNEL_NAMES] } });
    } else if (route.pathParams === 'alert') {
      parameters.push({ name: 'id', in: 'path', required: true, description: 'The alert\'s id (`alert.new` data), URL-encoded.', schema: { type: 'string', minLength: 1, maxLength: 256 } });
    } else if (route.pathParams === 'connection') {
      parameters.push({ name: 'id', in: 'path', required: true, description: 'The connection\'s id (`welcome.connection_id`).', schema: { type: 'string', minLength: 1, maxLength: 128 } });
    }
    if (route.query !== undefined) {
      const { root } = toJsonSchemaParts(route.query, { io: 'input', target: 'draft-2020-12' });
      const required = new Set((root.required as string[] | undefined) ?? []);
      for (const [name, schema] of Object.entries((root.properties ?? {}) as Record<string, JsonObject>)) {
        const { description, ...rest } = schema;
        const p: JsonObject = { name, in: 'query', required: required.has(name), schema: rest };
        if (typeof description === 'string') p.description = description;
        parameters.push(p);
      }
    }
    if (parameters.length > 0) op.parameters = parameters;
    if (route.body !== undefined) {
      op.requestBody = { required: route.bodyOptional !== true, content: { 'application/json': { schema: components.add(route.body, 'input') } } };
    }
    const responses: JsonObject = {};
    for (const [status, r] of Object.entries(route.responses)) {
      const content =
        r.schema !== undefined ? { 'application/json': { schema: components.add(r.schema, 'output') } } : { [r.contentType ?? 'application/json']: {} };
      responses[status] = { description: r.description, content };
    }
    // Any route may meet the Host/Origin guard (403) or an unexpected failure (500).
    for (const status of [...new Set([...route.errors, ...COMMON_ERRORS])].sort()) {
      responses[String(status)] = { description: errorText(status), content: { 'application/json': { schema: errorRef } } };
    }
    paths[route.path] = { ...(paths[route.path] ?? {}), [route.method]: { ...op, responses } };
  }
  const sortKeys = <T>(r: Record<string, T>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    openapi: '3.1.0',
    info: {
      title: 'NetSentinel real-time gateway — HTTP API',
      version: `${PROTOCOL_VERSION}.0.0`,
      description:
        'Backends publish events over HTTP; the WebSocket side is described by `/asyncapi.json`. Every 4xx/5xx answers with an `ErrorBody`. Generated from @ns/contracts by `npm run schemas`; do not edit.',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: 'http://localhost:8080', description: 'NS_HOST/NS_PORT choose the address; use https behind TLS.' }],
    paths,
    components: {
      schemas: sortKeys(components.schemas),
      securitySchemes: {
        publishKey: { type: 'http', scheme: 'bearer', description: 'A publish API key (`NS_PUBLISH_KEYS`).' },
        jwtBearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A NetSentinel JWT; publishing needs `write:events`, history the channel\'s read permission, alert actions `write:alerts`, the admin API `admin`.' },
      },
    },
  };
}
