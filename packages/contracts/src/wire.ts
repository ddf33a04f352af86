/**
 * `@ns/contracts/wire`: the protocol's plain data — subprotocol, limits, permissions, channel names
 * and their rules, close codes with what a client does about each, error codes with their HTTP status —
 * as `as const` tables with no runtime dependency (no zod), for browsers and clients that only need
 * the constants. The Zod schemas in the main entry are built on these same tables, and
 * `schemas/wire.json` carries them for non-TypeScript consumers.
 */
import { DEFAULT_HEARTBEAT_S, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_SUBSCRIPTIONS, IDEMPOTENCY_WINDOW_MS, MAX_BATCH_EVENTS, MAX_EVENT_DATA_BYTES, MAX_FILTER_VALUES, MAX_JSON_DEPTH, PROTOCOL_VERSION, SUBPROTOCOL } from './limits.js';

export * from './limits.js';

/** Every protocol limit, by its snake_case name in `schemas/wire.json`. */
export const LIMITS = {
  max_batch_events: MAX_BATCH_EVENTS,
  max_event_data_bytes: MAX_EVENT_DATA_BYTES,
  default_max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
  default_max_subscriptions: DEFAULT_MAX_SUBSCRIPTIONS,
  default_heartbeat_s: DEFAULT_HEARTBEAT_S,
  idempotency_window_ms: IDEMPOTENCY_WINDOW_MS,
  max_filter_values: MAX_FILTER_VALUES,
  max_json_depth: MAX_JSON_DEPTH,
} as const;

// ---------------------------------------------------------------------------------------------------
// Permissions

/** Permission names, as in NetSentinel's auth service. `admin` implies every other permission. */
export const PERMISSIONS = ['read:events', 'read:alerts', 'write:events', 'write:alerts', 'admin'] as const;
// The main entry exports `Permission` as a Zod schema and type of the same name.
type PermissionName = (typeof PERMISSIONS)[number];

// ---------------------------------------------------------------------------------------------------
// Channels

/**
 * How a channel's events are delivered and kept:
 * - `lossless`: never dropped for a live connection; a client that cannot keep up is closed (4008)
 *   and recovers from history;
 * - `latest`: latest value per key; under backpressure a pending older value for the same key is replaced;
 * - `ephemeral`: best effort, no history, dropped first under backpressure.
 */
export type DeliveryClass = 'lossless' | 'latest' | 'ephemeral';

/** How a channel's history is retained. */
export type HistorySpec =
  | { readonly kind: 'ring'; readonly size: number }
  | { readonly kind: 'latest'; readonly keyField: 'component'; readonly maxKeys: number }
  | { readonly kind: 'none' };

/** The plain part of one channel registry row (the typed filter is added in the main entry). */
export interface ChannelRule<D extends string = string> {
  /** Event types of this channel are `<domain>.<verb>`. */
  readonly domain: D;
  readonly description: string;
  /** Permission needed to read the channel; `null` means anonymous access is allowed. */
  readonly readPermission: PermissionName | null;
  readonly delivery: DeliveryClass;
  readonly history: HistorySpec;
}

/**
 * The channel registry's rules (docs/protocol.md#channels). `CHANNELS` in the main entry adds each
 * channel's filter schema; nothing else lists channels.
 */
export const CHANNEL_RULES = {
  threats: {
    domain: 'threat',
    description: 'Scored threats from the NetSentinel processor.',
    readPermission: 'read:events',
    delivery: 'lossless',
    history: { kind: 'ring', size: 1000 },
  },
  alerts: {
    domain: 'alert',
    description: 'Alerts raised, acknowledged and resolved.',
    readPermission: 'read:alerts',
    delivery: 'lossless',
    history: { kind: 'ring', size: 1000 },
  },
  status: {
    domain: 'status',
    description: 'Component health; the latest value per component.',
    readPermission: null,
    delivery: 'latest',
    history: { kind: 'latest', keyField: 'component', maxKeys: 10_000 },
  },
  metrics: {
    domain: 'metrics',
    description: 'Component metrics; the latest value per component.',
    readPermission: 'read:events',
    delivery: 'latest',
    history: { kind: 'latest', keyField: 'component', maxKeys: 10_000 },
  },
  events: {
    domain: 'event',
    description: 'Raw honeypot events; best effort, no history.',
    readPermission: 'read:events',
    delivery: 'ephemeral',
    history: { kind: 'none' },
  },
  correlations: {
    domain: 'correlation',
    description: 'Correlations of events into attack patterns.',
    readPermission: 'read:events',
    delivery: 'lossless',
    history: { kind: 'ring', size: 500 },
  },
  system: {
    domain: 'system',
    description: 'System-wide notices.',
    readPermission: null,
    delivery: 'lossless',
    history: { kind: 'ring', size: 100 },
  },
} as const satisfies Record<string, ChannelRule>;

/** A channel name, e.g. `'threats'`. */
export type ChannelName = keyof typeof CHANNEL_RULES;
/** All channel names, in registry order. */
export const CHANNEL_NAMES = Object.keys(CHANNEL_RULES) as ChannelName[];

/** True when `name` is a channel of the registry. */
export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.hasOwn(CHANNEL_RULES, name);
}

type DomainOf<T extends string> = T extends `${infer D}.${string}` ? D : never;
/** The channel an event type name (`<domain>.<verb>`) belongs to, at the type level. */
export type ChannelOfTypeName<T extends string> = {
  [C in ChannelName]: (typeof CHANNEL_RULES)[C]['domain'] extends DomainOf<T> ? C : never;
}[ChannelName];

const channelByDomain = new Map<string, ChannelName>(CHANNEL_NAMES.map((c) => [CHANNEL_RULES[c].domain, c]));

/** The channel of an event type name by its domain (`threat.new` → `threats`), or `undefined`. */
export function channelOfTypeName(type: string): ChannelName | undefined {
  const dot = type.indexOf('.');
  return dot <= 0 ? undefined : channelByDomain.get(type.slice(0, dot));
}

// ---------------------------------------------------------------------------------------------------
// Close codes

/** What a client does after a close: reconnect at once, after backoff, only with a new token, or never. */
export type CloseAction = 'immediate' | 'backoff' | 'token' | 'stop';

/** One WebSocket close code: its number, what it means, and what a client does about it. */
export interface CloseCodeRule {
  readonly code: number;
  readonly meaning: string;
  readonly clientAction: CloseAction;
}

/** Every WebSocket close code the gateway uses (docs/protocol.md#close-codes). */
export const CLOSE_CODE_TABLE = {
  NORMAL: { code: 1000, meaning: 'Normal closure.', clientAction: 'backoff' },
  GOING_AWAY: {
    code: 1001,
    meaning: 'The gateway is shutting down; reconnect (to another instance) right away and resume with `since`.',
    clientAction: 'immediate',
  },
  POLICY: { code: 1008, meaning: 'Policy violation, e.g. a disallowed Origin.', clientAction: 'stop' },
  TOO_BIG: {
    code: 1009,
    meaning: `A message exceeded the size limit (\`max_message_bytes\` in \`welcome\`, default ${DEFAULT_MAX_MESSAGE_BYTES}).`,
    clientAction: 'backoff',
  },
  INTERNAL: { code: 1011, meaning: 'Unexpected server error.', clientAction: 'backoff' },
  PROTOCOL_ABUSE: { code: 4000, meaning: 'Repeated protocol abuse (invalid frames, binary frames, floods).', clientAction: 'backoff' },
  UNAUTHORIZED: { code: 4001, meaning: 'Unauthorized, token expired or revoked, or no `auth` message within the auth timeout.', clientAction: 'token' },
  RATE_LIMITED: { code: 4002, meaning: 'The connection sent too many messages.', clientAction: 'backoff' },
  FORBIDDEN: {
    code: 4003,
    meaning: 'The principal lacks a permission the connection needs, or an administrator closed the connection (the reason says so).',
    clientAction: 'token',
  },
  SLOW_CONSUMER: {
    code: 4008,
    meaning: 'The client could not keep up with a lossless channel; reconnect and resume with `since`.',
    clientAction: 'immediate',
  },
} as const satisfies Record<string, CloseCodeRule>;

/** The name of a close code, e.g. `'SLOW_CONSUMER'`. */
export type CloseCodeName = keyof typeof CLOSE_CODE_TABLE;
/** Close codes by name (`CLOSE_CODES.SLOW_CONSUMER === 4008`). */
export const CLOSE_CODES = Object.fromEntries(Object.entries(CLOSE_CODE_TABLE).map(([name, row]) => [name, row.code])) as {
  readonly [K in CloseCodeName]: (typeof CLOSE_CODE_TABLE)[K]['code'];
};
/** One of the {@link CLOSE_CODES} values. */
export type CloseCode = (typeof CLOSE_CODES)[CloseCodeName];

// ---------------------------------------------------------------------------------------------------
// Error codes

/**
 * Every error code, with the HTTP status and the WebSocket close code it maps to (when the error is
 * fatal for a connection). The one place where codes meet statuses.
 */
export const ERROR_CODES = {
  invalid_json: { http: 400, close: null, description: 'The body or frame is not valid JSON.' },
  invalid_message: { http: 400, close: null, description: 'The message does not match its schema.' },
  unknown_type: { http: 400, close: null, description: 'The message or event type is not known.' },
  unknown_channel: { http: 404, close: null, description: 'The channel is not in the registry.' },
  not_found: { http: 404, close: null, description: 'The resource (e.g. a connection id) does not exist on any gateway instance.' },
  unauthorized: { http: 401, close: CLOSE_CODE_TABLE.UNAUTHORIZED.code, description: 'Missing or invalid credentials.' },
  forbidden: { http: 403, close: CLOSE_CODE_TABLE.FORBIDDEN.code, description: 'The principal lacks the permission.' },
  token_expired: { http: 401, close: CLOSE_CODE_TABLE.UNAUTHORIZED.code, description: 'The token has expired.' },
  rate_limited: { http: 429, close: CLOSE_CODE_TABLE.RATE_LIMITED.code, description: 'Too many requests or messages.' },
  message_too_large: { http: 413, close: CLOSE_CODE_TABLE.TOO_BIG.code, description: 'Over the size limit.' },
  too_many_subscriptions: { http: 400, close: null, description: 'Over the per-connection subscription cap.' },
  id_conflict: {
    http: 409,
    close: null,
    description: 'The event id was already used within the idempotency window for a different event (another type or other data); nothing was published.',
  },
  unavailable: { http: 503, close: null, description: 'The engine is down or the gateway is draining.' },
  internal: { http: 500, close: CLOSE_CODE_TABLE.INTERNAL.code, description: 'An unexpected server error.' },
  slow_consumer: {
    http: 503,
    close: CLOSE_CODE_TABLE.SLOW_CONSUMER.code,
    description: 'The client could not keep up with a lossless channel and is disconnected; resume with `since` (the last `error` of a Server-Sent Events stream).',
  },
} as const satisfies Record<string, { http: number; close: CloseCode | null; description: string }>;

/** A stable error code, e.g. `'invalid_message'`. */
export type ErrorCode = keyof typeof ERROR_CODES;
/** All error codes, in table order. */
export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as ErrorCode[];

// ---------------------------------------------------------------------------------------------------
// Server-Sent Events stream cursors

// The resume cursor of a Server-Sent Events stream (`GET /v1/stream`): one `id:` carries the position
// of every lossless channel the stream reads, so a browser EventSource, which keeps only the last
// event id, resumes all of them with one `Last-Event-ID`. Zod-free, for browsers and thin clients.

/** One channel's position in a stream cursor: the last `epoch` and `seq` delivered. */
export interface StreamPosition {
  readonly epoch: string;
  readonly seq: number;
}

/** A stream cursor: per channel, the last position delivered. */
export type StreamCursor = Partial<Record<ChannelName, StreamPosition>>;

/** Longest stream cursor accepted (`Last-Event-ID` or `?since=`): seven channels with 64-character epochs fit. */
export const MAX_STREAM_CURSOR_CHARS = 2048;

/**
 * `threats:<epoch>:<seq>,alerts:<epoch>:<seq>` — channels in registry order, the epoch
 * percent-encoded (it may hold `:` or `,`). The text of an SSE `id:` and of `?since=`.
 */
export function formatStreamCursor(cursor: StreamCursor): string {
  const parts: string[] = [];
  for (const channel of Object.keys(CHANNEL_RULES) as ChannelName[]) {
    const p = cursor[channel];
    if (p !== undefined) parts.push(`${channel}:${encodeURIComponent(p.epoch)}:${p.seq}`);
  }
  return parts.join(',');
}

/** What {@link parseStreamCursor} found wrong, naming the part. */
export class StreamCursorError extends Error {
  override readonly name = 'StreamCursorError';
}

/**
 * Parses a stream cursor (see {@link formatStreamCursor}); the empty string is the empty cursor.
 * Throws {@link StreamCursorError} naming the first bad part: unknown channel, a channel twice, an
 * epoch that is empty, over 64 characters or badly encoded, a seq that is not an integer ≥ 0.
 */
export function parseStreamCursor(text: string): StreamCursor {
  if (text.length > MAX_STREAM_CURSOR_CHARS) throw new StreamCursorError(`cursor is over ${MAX_STREAM_CURSOR_CHARS} characters`);
  const cursor: StreamCursor = {};
  if (text.trim() === '') return cursor;
  for (const raw of text.split(',')) {
    const part = raw.trim();
    const first = part.indexOf(':');
    const last = part.lastIndexOf(':');
    const shown = JSON.stringify(part.slice(0, 80));
    if (first <= 0 || last === first) throw new StreamCursorError(`${shown} is not <channel>:<epoch>:<seq>`);
    const channel = part.slice(0, first);
    if (!isChannelName(channel)) throw new StreamCursorError(`${shown}: unknown channel "${channel.slice(0, 64)}"`);
    if (cursor[channel] !== undefined) throw new StreamCursorError(`${shown}: channel ${channel} given twice`);
    let epoch: string;
    try {
      epoch = decodeURIComponent(part.slice(first + 1, last));
    } catch {
      throw new StreamCursorError(`${shown}: the epoch is not percent-encoded text`);
    }
    if (epoch.length < 1 || epoch.length > 64) throw new StreamCursorError(`${shown}: the epoch must be 1–64 characters`);
    const seqText = part.slice(last + 1);
    if (!/^\d{1,15}$/.test(seqText)) throw new StreamCursorError(`${shown}: the seq must be an integer ≥ 0`);
    cursor[channel] = { epoch, seq: Number(seqText) };
  }
  return cursor;
}

// ---------------------------------------------------------------------------------------------------
// Everything above as one JSON document

/**
 * The wire constants as one JSON-ready object (`schemas/wire.json`): what a Python or shell client
 * reads instead of retyping limits and codes.
 */
export function wireDocument() {
  return {
    $comment: 'Generated from @ns/contracts/wire by `npm run schemas`; do not edit.',
    protocol_version: PROTOCOL_VERSION,
    subprotocol: SUBPROTOCOL,
    limits: LIMITS,
    permissions: PERMISSIONS,
    channels: CHANNEL_NAMES.map((name) => {
      const c: ChannelRule = CHANNEL_RULES[name];
      return { name, domain: c.domain, read_permission: c.readPermission, delivery: c.delivery };
    }),
    close_codes: (Object.keys(CLOSE_CODE_TABLE) as CloseCodeName[]).map((name) => {
      const c = CLOSE_CODE_TABLE[name];
      return { code: c.code, name, meaning: c.meaning, client_action: c.clientAction };
    }),
    error_codes: ERROR_CODE_NAMES.map((code) => ({ code, http_status: ERROR_CODES[code].http, close_code: ERROR_CODES[code].close, description: ERROR_CODES[code].description })),
  };
}
