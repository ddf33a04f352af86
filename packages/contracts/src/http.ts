import { z } from 'zod';
import { Permission } from './auth.js';
import { ChannelNameSchema } from './channels.js';
import { EventEnvelope } from './envelope.js';
import { EventTypeName } from './events.js';
import { Epoch } from './primitives.js';

// The bodies and queries of the HTTP API besides publishing (publish.ts) and errors (errors.ts). Each is
// emitted to schemas/http/… and into schemas/openapi.json; the gateway's routes use these types and
// its route tests validate real responses against the generated files.

/** Largest page of `GET /v1/channels/{channel}/history`. */
export const MAX_HISTORY_LIMIT = 1000;
/** Page size of `GET /v1/channels/{channel}/history` when `limit` is not given. */
export const DEFAULT_HISTORY_LIMIT = 100;

/** Query of `GET /v1/channels/{channel}/history`; query strings are text, so numbers are coerced. */
export const HistoryQuery = z
  .strictObject({
    /** Events with a seq above this one; 0 (the default) means from the oldest retained. */
    since_seq: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_HISTORY_LIMIT).default(DEFAULT_HISTORY_LIMIT),
  })
  .meta({
    id: 'HistoryQuery',
    title: 'History query',
    description: `\`since_seq\`: return events after this seq (default 0); \`limit\`: at most this many (1–${MAX_HISTORY_LIMIT}, default ${DEFAULT_HISTORY_LIMIT}).`,
    examples: [{ since_seq: 41, limit: 100 }],
  });
export type HistoryQuery = z.infer<typeof HistoryQuery>;

/** `200` body of `GET /v1/channels/{channel}/history`. */
export const HistoryResponse = z
  .strictObject({
    channel: ChannelNameSchema,
    epoch: Epoch,
    /** The channel's current seq (the last assigned). */
    seq: z.int().min(0),
    /** Retained events after `since_seq`, oldest first. */
    events: z.array(EventEnvelope),
  })
  .meta({
    id: 'HistoryResponse',
    title: 'History page',
    description: 'Retained events of a channel after `since_seq`, oldest first, with the channel\'s current epoch and seq.',
    examples: [{ channel: 'system', epoch: 'k3v9q1', seq: 42, events: [] }],
  });
export type HistoryResponse = z.infer<typeof HistoryResponse>;

/** A channel's history rule as plain snake_case JSON (as in `schemas/channels.json`). */
export const ChannelHistoryInfo = z
  .strictObject({
    kind: z.enum(['ring', 'latest', 'none']),
    /** Events kept, for `ring`. */
    size: z.int().positive().optional(),
    /** The field a `latest` channel keys on. */
    key_field: z.string().optional(),
    /** Most keys a `latest` channel keeps. */
    max_keys: z.int().positive().optional(),
  })
  .meta({
    id: 'ChannelHistoryInfo',
    title: 'History rule',
    description: '`ring`: the last `size` events; `latest`: the latest event per `key_field` (at most `max_keys`); `none`: no history.',
    examples: [{ kind: 'ring', size: 1000 }, { kind: 'latest', key_field: 'component', max_keys: 10000 }],
  });
export type ChannelHistoryInfo = z.infer<typeof ChannelHistoryInfo>;

/** One row of `GET /v1/channels`: the registry row with live counts. */
export const ChannelInfo = z
  .strictObject({
    name: ChannelNameSchema,
    description: z.string(),
    types: z.array(EventTypeName),
    read_permission: Permission.nullable(),
    delivery: z.enum(['lossless', 'latest', 'ephemeral']),
    history: ChannelHistoryInfo,
    /** Connections subscribed to the channel: on every instance sharing the engine (Redis presence), else on this one. */
    subscribers: z.int().min(0),
    /** Distinct authenticated users among the subscribers (same scope). */
    users: z.int().min(0).optional(),
    /** The channel's current epoch, or null before its first event. */
    epoch: Epoch.nullable(),
    seq: z.int().min(0),
  })
  .meta({
    id: 'ChannelInfo',
    title: 'Channel info',
    description: 'A channel of the registry with its live subscriber count and current epoch and seq.',
    examples: [
      {
        name: 'threats',
        description: 'Scored threats from the NetSentinel processor.',
        types: ['threat.new'],
        read_permission: 'read:events',
        delivery: 'lossless',
        history: { kind: 'ring', size: 1000 },
        subscribers: 3,
        users: 2,
        epoch: 'k3v9q1',
        seq: 42,
      },
    ],
  });
export type ChannelInfo = z.infer<typeof ChannelInfo>;

/** `200` body of `GET /v1/channels`. */
export const ChannelsResponse = z.strictObject({ channels: z.array(ChannelInfo) }).meta({
  id: 'ChannelsResponse',
  title: 'Channels',
  description: 'Every channel of the registry, in registry order.',
  examples: [{ channels: ChannelInfo.meta()?.examples ?? [] }],
});
export type ChannelsResponse = z.infer<typeof ChannelsResponse>;

/** `200` body of `GET /healthz`. */
export const HealthResponse = z.strictObject({ status: z.literal('ok') }).meta({
  id: 'HealthResponse',
  title: 'Liveness',
  description: 'The process answers.',
  examples: [{ status: 'ok' }],
});
export type HealthResponse = z.infer<typeof HealthResponse>;

/** `200` body of `GET /readyz` (a `503` carries an `ErrorBody` with `details: {engine, draining}`). */
export const ReadyResponse = z.strictObject({ status: z.literal('ready'), engine: z.string() }).meta({
  id: 'ReadyResponse',
  title: 'Readiness',
  description: 'The engine is connected and the gateway is not draining.',
  examples: [{ status: 'ready', engine: 'memory' }],
});
export type ReadyResponse = z.infer<typeof ReadyResponse>;

/** `200` body of `GET /schemas/`: the generated files the gateway serves. */
export const SchemaIndex = z
  .strictObject({ schemas: z.array(z.strictObject({ name: z.string(), url: z.string() })) })
  .meta({
    id: 'SchemaIndex',
    title: 'Schema index',
    description: 'The generated contract files served under `/schemas/`.',
    examples: [{ schemas: [{ name: 'envelope.json', url: '/schemas/envelope.json' }] }],
  });
export type SchemaIndex = z.infer<typeof SchemaIndex>;
