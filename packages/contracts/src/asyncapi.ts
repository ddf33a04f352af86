import type { z } from 'zod';
import { CHANNEL_NAMES, CHANNELS, historyToJson, type ChannelName, type ChannelSpec } from './channels.js';
import { EVENT_SCHEMAS } from './envelope.js';
import { ErrorBody } from './errors.js';
import type { AnyEventSchemas, EventTypeRow } from './event-schemas.js';
import { DEFAULT_HEARTBEAT_S, MAX_BATCH_EVENTS, PROTOCOL_VERSION, SUBPROTOCOL } from './limits.js';
import { CLIENT_MESSAGES, SERVER_CONTROL_MESSAGES, type ClientMessageType, type ServerControlMessageType } from './protocol.js';
import { PublishResponse } from './publish.js';
import { mapRefs, toJsonSchemaParts, type JsonObject, type JsonValue } from './json-schema.js';
import { channelOfTypeName, CLOSE_CODE_TABLE, ERROR_CODE_NAMES, ERROR_CODES, type CloseCodeName } from './wire.js';

// A message's one description is its schema's `.meta({ description })`.
const summaryOf = (schema: z.ZodType): string => {
  const d = schema.meta()?.description;
  if (typeof d !== 'string') throw new Error(`message ${idOf(schema)} needs a .meta({ description })`);
  return d;
};
const CONTROL_SCHEMAS: Record<ClientMessageType | ServerControlMessageType, z.ZodType> = { ...CLIENT_MESSAGES, ...SERVER_CONTROL_MESSAGES };
const controlText = (type: ClientMessageType | ServerControlMessageType): string => summaryOf(CONTROL_SCHEMAS[type]);

const ref = ($ref: string): JsonObject => ({ $ref });
const schemaRef = (id: string) => ref(`#/components/schemas/${id}`);
const messageRef = (name: string) => ref(`#/components/messages/${name}`);
const channelRef = (name: string) => ref(`#/channels/${name}`);

const idOf = (schema: z.ZodType): string => {
  const id = schema.meta()?.id;
  if (typeof id !== 'string') throw new Error('every AsyncAPI payload schema needs a .meta({ id })');
  return id;
};

const examplesOf = (schema: z.ZodType): JsonValue[] => (schema.meta()?.examples as JsonValue[] | undefined) ?? [];

/**
 * Collects contracts as `components.schemas` of an AsyncAPI (draft-07 Schema Objects) or OpenAPI 3.1
 * (draft 2020-12) document, refs between them rewritten to `#/components/schemas/<id>`. A schema id
 * converted twice must convert the same way.
 */
export class SchemaComponents {
  readonly schemas: Record<string, JsonObject> = {};

  constructor(private readonly target: 'draft-7' | 'draft-2020-12' = 'draft-7') {}

  add(schema: z.ZodType, io: 'input' | 'output'): JsonObject {
    const id = idOf(schema);
    const { root, defs } = toJsonSchemaParts(schema, { io, target: this.target });
    const defsPrefix = this.target === 'draft-7' ? /^#\/definitions\// : /^#\/\$defs\//;
    const rewrite = (r: string) => (r === '#' ? `#/components/schemas/${id}` : r.replace(defsPrefix, '#/components/schemas/'));
    this.put(id, mapRefs(root, rewrite));
    for (const [name, def] of Object.entries(defs)) this.put(name, mapRefs(def, rewrite));
    return schemaRef(id);
  }

  private put(id: string, schema: JsonObject): void {
    const existing = this.schemas[id];
    if (existing !== undefined && JSON.stringify(existing) !== JSON.stringify(schema)) {
      throw new Error(`schema ${id} converts differently in two places; give the variants distinct ids`);
    }
    this.schemas[id] = schema;
  }
}

function message(name: string, schema: z.ZodType, payload: JsonObject, text: string, extra: JsonObject = {}): JsonObject {
  const meta = schema.meta();
  const out: JsonObject = { name, title: typeof meta?.title === 'string' ? meta.title : name, summary: text };
  if (typeof meta?.description === 'string' && meta.description !== text) out.description = meta.description;
  Object.assign(out, { contentType: 'application/json', payload }, extra);
  const examples = examplesOf(schema);
  if (examples.length > 0) out.examples = examples.map((p) => ({ payload: p }));
  return out;
}

function historyText(spec: ChannelSpec): string {
  const h = spec.history;
  if (h.kind === 'ring') return `the last ${h.size} events`;
  if (h.kind === 'latest') return `the latest event per \`${h.keyField}\` (a snapshot on subscribe)`;
  return 'none';
}

function channelText(name: ChannelName): string {
  const spec: ChannelSpec = CHANNELS[name];
  const permission = spec.readPermission === null ? 'none (anonymous connections may subscribe when allowed)' : `\`${spec.readPermission}\``;
  return [
    `${spec.description} Multiplexed over \`/ws\`: join with \`{"type":"subscribe","channel":"${name}"}\`; every event frame carries \`"channel":"${name}"\`.`,
    '',
    `- read permission: ${permission}`,
    `- delivery: \`${spec.delivery}\``,
    `- history: ${historyText(spec)}`,
    `- filter: \`${idOf(spec.filter)}\` (in \`subscribe.filter\`)`,
  ].join('\n');
}

function infoDescription(): string {
  const errorRows = ERROR_CODE_NAMES.map((c) => {
    const e = ERROR_CODES[c];
    return `| \`${c}\` | ${e.http} | ${e.close ?? '—'} | ${e.description} |`;
  });
  const closeRows = (Object.keys(CLOSE_CODE_TABLE) as CloseCodeName[]).map((k) => {
    const c = CLOSE_CODE_TABLE[k];
    return `| ${c.code} | \`${k}\` | ${c.meaning} | \`${c.clientAction}\` |`;
  });
  return [
    'Real-time layer of NetSentinel: backends publish events over HTTP (`POST /v1/publish`), clients',
    'subscribe to channels over one WebSocket connection (`GET /ws`).',
    '',
    `WebSocket: subprotocol \`${SUBPROTOCOL}\` (accepted when offered; absent is accepted too); \`?subscribe=threats,alerts\``,
    'auto-subscribes. Credentials: `Authorization: Bearer <jwt>`, an `auth` message as the first frame, or `?token=`.',
    `Every client message may carry \`id\`, echoed in its reply. Protocol pings every \`heartbeat_s\` (default ${DEFAULT_HEARTBEAT_S} s).`,
    'All timestamps are Unix epoch seconds as floats. Per channel, `seq` increases by 1 per event; `epoch` names one',
    'unbroken history. Resume with `subscribe.since` `{epoch, seq}`: `subscribed.recovered` tells whether every later',
    'event was replayed.',
    '',
    '## Error codes',
    '',
    '| code | HTTP status | close code when fatal | meaning |',
    '|---|---|---|---|',
    ...errorRows,
    '',
    '## Close codes',
    '',
    '| code | name | meaning | client action |',
    '|---|---|---|---|',
    ...closeRows,
  ].join('\n');
}

/**
 * The AsyncAPI 3.0 document of the gateway, generated from the contracts: the `/ws` endpoint (one
 * channel per registry channel plus the connection's control channel; auth, subscribe, unsubscribe
 * and ping as request/reply operations; filters; error and close codes) and `POST /v1/publish`.
 * Written from the gateway's side: it `receive`s requests and `send`s events.
 */
export function asyncApiDocument(events: AnyEventSchemas = EVENT_SCHEMAS): JsonObject {
  const components = new SchemaComponents('draft-7');
  const messages: Record<string, JsonObject> = {};
  const channels: Record<string, JsonObject> = {};
  const operations: Record<string, JsonObject> = {};
  const correlationId = { location: '$message.payload#/id', description: 'The client-chosen request `id`, echoed in the reply.' };

  // Control messages of a connection.
  const control: JsonObject = {};
  for (const [type, schema] of Object.entries(CLIENT_MESSAGES) as [ClientMessageType, z.ZodType][]) {
    messages[type] = message(type, schema, components.add(schema, 'input'), controlText(type), { correlationId });
    control[type] = messageRef(type);
  }
  for (const [type, schema] of Object.entries(SERVER_CONTROL_MESSAGES) as [ServerControlMessageType, z.ZodType][]) {
    const extra: JsonObject = type === 'welcome' || type === 'auth_expiring' ? {} : { correlationId };
    messages[type] = message(type, schema, components.add(schema, 'output'), controlText(type), extra);
    control[type] = messageRef(type);
  }
  channels.connection = {
    address: '/ws',
    title: 'Connection control',
    description: 'Requests and replies of one WebSocket connection, and the frames the gateway sends unasked (`welcome`, `auth_expiring`, `error`).',
    servers: [ref('#/servers/ws')],
    messages: control,
    bindings: {
      ws: {
        method: 'GET',
        query: {
          type: 'object',
          properties: {
            subscribe: { type: 'string', description: 'Comma-separated channels to subscribe to on open, e.g. `threats,alerts`.' },
            token: { type: 'string', description: 'JWT, for clients that cannot set headers (compatibility; redacted from logs).' },
          },
        },
        headers: {
          type: 'object',
          properties: {
            Authorization: { type: 'string', description: '`Bearer <jwt>`.' },
            'Sec-WebSocket-Protocol': { type: 'string', const: SUBPROTOCOL },
          },
        },
        bindingVersion: '0.1.0',
      },
    },
  };
  const requestReply = (type: ClientMessageType, replies: ServerControlMessageType[]): JsonObject => ({
    action: 'receive',
    channel: channelRef('connection'),
    summary: controlText(type),
    messages: [ref(`#/channels/connection/messages/${type}`)],
    reply: { channel: channelRef('connection'), messages: replies.map((r) => ref(`#/channels/connection/messages/${r}`)) },
  });
  operations.auth = requestReply('auth', ['authenticated', 'error']);
  operations.subscribe = requestReply('subscribe', ['subscribed', 'error']);
  operations.unsubscribe = requestReply('unsubscribe', ['unsubscribed', 'error']);
  operations.ping = requestReply('ping', ['pong']);
  for (const [name, type] of [
    ['welcome', 'welcome'],
    ['authExpiring', 'auth_expiring'],
    ['error', 'error'],
  ] as const) {
    operations[name] = {
      action: 'send',
      channel: channelRef('connection'),
      summary: controlText(type),
      messages: [ref(`#/channels/connection/messages/${type}`)],
    };
  }

  // One channel per registry channel, carrying its event envelopes.
  for (const name of CHANNEL_NAMES) {
    const spec: ChannelSpec = CHANNELS[name];
    const channelMessages: JsonObject = {};
    for (const type of events.names.filter((t) => channelOfTypeName(t) === name)) {
      const envelope = events.envelopes[type] as z.ZodType;
      const row = events.table[type] as EventTypeRow;
      messages[type] = message(type, envelope, components.add(envelope, 'output'), row.description);
      channelMessages[type] = messageRef(type);
    }
    components.add(spec.filter, 'input');
    channels[name] = {
      address: '/ws',
      title: name,
      description: channelText(name),
      servers: [ref('#/servers/ws')],
      messages: channelMessages,
      'x-ns-channel': {
        name,
        read_permission: spec.readPermission,
        delivery: spec.delivery,
        history: historyToJson(spec.history),
        filter: schemaRef(idOf(spec.filter)),
      },
    };
    operations[`deliver${name[0]?.toUpperCase()}${name.slice(1)}`] = {
      action: 'send',
      channel: channelRef(name),
      summary: `Deliver \`${name}\` events to subscribed connections, filtered per subscription.`,
      messages: Object.keys(channelMessages).map((t) => ref(`#/channels/${name}/messages/${t}`)),
    };
  }

  // HTTP publish.
  messages.publishRequest = message(
    'publishRequest',
    events.PublishRequest,
    components.add(events.PublishRequest, 'input'),
    `Body of \`POST /v1/publish\`: one event \`{type, data, id?}\` or \`{events: [...]}\` (at most ${MAX_BATCH_EVENTS}), validated all or nothing.`,
  );
  messages.publishResponse = message(
    'publishResponse',
    PublishResponse,
    components.add(PublishResponse, 'output'),
    '`202 Accepted`: the assigned `{id, channel, seq}` of every event, in request order.',
    { bindings: { http: { statusCode: 202, bindingVersion: '0.3.0' } } },
  );
  messages.errorResponse = message(
    'errorResponse',
    ErrorBody,
    components.add(ErrorBody, 'output'),
    'Any 4xx/5xx: 400 invalid (per-index issues; nothing published), 401/403 bad key, 413 too large, 429 rate limited, 503 engine down.',
  );
  channels.publish = {
    address: '/v1/publish',
    title: 'Publish',
    description: 'HTTP endpoint where backends (the NetSentinel processor) publish events. Authenticate with an API key or a JWT holding `write:events`.',
    servers: [ref('#/servers/http')],
    messages: {
      publishRequest: messageRef('publishRequest'),
      publishResponse: messageRef('publishResponse'),
      errorResponse: messageRef('errorResponse'),
    },
  };
  operations.publish = {
    action: 'receive',
    channel: channelRef('publish'),
    summary: 'Publish one event or a batch.',
    description: 'A repeated event `id` within 5 minutes returns the first result and is not delivered again.',
    bindings: { http: { method: 'POST', bindingVersion: '0.3.0' } },
    messages: [ref('#/channels/publish/messages/publishRequest')],
    reply: {
      channel: channelRef('publish'),
      messages: [ref('#/channels/publish/messages/publishResponse'), ref('#/channels/publish/messages/errorResponse')],
    },
  };

  const sortKeys = <T>(r: Record<string, T>) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    asyncapi: '3.0.0',
    id: 'urn:netsentinel:realtime-gateway',
    info: {
      title: 'NetSentinel real-time gateway',
      version: `${PROTOCOL_VERSION}.0.0`,
      description: infoDescription(),
      license: { name: 'MIT' },
    },
    defaultContentType: 'application/json',
    servers: {
      ws: {
        host: 'localhost:8080',
        protocol: 'ws',
        title: 'Gateway WebSocket endpoint',
        description: `Clients connect to \`/ws\` (subprotocol \`${SUBPROTOCOL}\`); use \`wss\` behind TLS. NS_HOST/NS_PORT choose the address.`,
        security: [ref('#/components/securitySchemes/jwtBearer'), ref('#/components/securitySchemes/queryToken')],
      },
      http: {
        host: 'localhost:8080',
        protocol: 'http',
        title: 'Gateway HTTP API',
        security: [ref('#/components/securitySchemes/publishKey'), ref('#/components/securitySchemes/jwtBearer')],
      },
    },
    channels,
    operations,
    components: {
      schemas: sortKeys(components.schemas),
      messages: sortKeys(messages),
      securitySchemes: {
        jwtBearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'NetSentinel JWT (HS256, RS256 or ES256): `sub`/`user_id`, `roles`, `permissions`, `exp`. Browsers send it in an `auth` message instead.',
        },
        queryToken: { type: 'httpApiKey', name: 'token', in: 'query', description: 'The same JWT as `?token=` (compatibility).' },
        publishKey: { type: 'http', scheme: 'bearer', description: 'A publish API key (`NS_PUBLISH_KEYS`).' },
      },
    },
    'x-ns-error-codes': Object.fromEntries(
      ERROR_CODE_NAMES.map((c) => [c, { http: ERROR_CODES[c].http, close: ERROR_CODES[c].close, description: ERROR_CODES[c].description }]),
    ),
    'x-ns-close-codes': Object.fromEntries(
      (Object.keys(CLOSE_CODE_TABLE) as CloseCodeName[]).map((k) => {
        const c = CLOSE_CODE_TABLE[k];
        return [String(c.code), { name: k, description: c.meaning, client_action: c.clientAction }];
      }),
    ),
  };
}
