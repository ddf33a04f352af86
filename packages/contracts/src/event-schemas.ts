import { z } from 'zod';
import { MAX_BATCH_EVENTS } from './limits.js';
import { Epoch, EventId, Seq, Timestamp } from './primitives.js';
import { channelOfTypeName, type ChannelOfTypeName } from './wire.js';

/** One row of an event-type table: payload schema, description, and the id of its delivered form. */
export interface EventTypeRow {
  /** Schema of `data`; its `.meta({ id })` names it in the generated documents. */
  readonly data: z.ZodType;
  readonly description: string;
  /** Schema id of the delivered envelope of this type (e.g. `ThreatNewEvent`). */
  readonly envelope: string;
}

/** An event-type table: type name (`<domain>.<verb>`, routed by its domain) → row. */
export type EventTypeTable = Readonly<Record<string, EventTypeRow>>;

const firstExample = (schema: z.ZodType): unknown => (schema.meta()?.examples as unknown[] | undefined)?.[0];

function envelopeOf<T extends string, C extends string, D extends z.ZodType>(type: T, channel: C, row: { data: D; description: string; envelope: string }) {
  // The example envelope wraps the payload's own first example, so both stay in step.
  const example = { type, channel, id: 'evt_01JD9K3V9Q1ZC8W7', seq: 42, epoch: 'k3v9q1', ts: 1764115200.123, data: firstExample(row.data) };
  return z
    .strictObject({
      type: z.literal(type),
      channel: z.literal(channel),
      id: EventId,
      seq: Seq,
      epoch: Epoch,
      /** When the gateway accepted the event. */
      ts: Timestamp,
      data: row.data,
    })
    .meta({
      id: row.envelope,
      title: `${type} event`,
      description: `${row.description} Delivered on the \`${channel}\` channel.`,
      examples: [example],
    });
}

function publishOf<T extends string, D extends z.ZodType>(type: T, data: D) {
  return z.strictObject({
    type: z.literal(type),
    /** Optional id; a repeat within the idempotency window returns the first result and is not re-delivered. */
    id: EventId.optional(),
    data,
  });
}

type TypeOf<Tbl extends EventTypeTable> = keyof Tbl & string;
/** The envelope schema of type `T` of table `Tbl`. */
export type EnvelopeSchema<Tbl extends EventTypeTable, T extends TypeOf<Tbl>> = ReturnType<typeof envelopeOf<T, ChannelOfTypeName<T>, Tbl[T]['data']>>;
/** The publish-event schema of type `T` of table `Tbl`. */
export type PublishEventSchema<Tbl extends EventTypeTable, T extends TypeOf<Tbl>> = ReturnType<typeof publishOf<T, Tbl[T]['data']>>;

/** Hand-picked examples for the generated documents (otherwise derived from the first rows). */
export interface EventSchemaExamples {
  publishBatch?: unknown[];
  publishRequest?: unknown[];
}

/**
 * Everything derived from an event-type table: the envelope of every type and their union, the
 * publish event of every type and their union, the batch and the request body. The contracts call it
 * once with `EVENT_TYPES`; a test calls it with a copy plus a fixture type to prove that one table row
 * is all a new event type takes.
 */
export function eventSchemas<const Tbl extends EventTypeTable>(table: Tbl, examples: EventSchemaExamples = {}) {
  type T = TypeOf<Tbl>;
  const names = Object.keys(table) as T[];
  if (names.length === 0) throw new Error('an event-type table needs at least one type');
  const envelopes = {} as { [K in T]: EnvelopeSchema<Tbl, K> };
  const publishEvents = {} as { [K in T]: PublishEventSchema<Tbl, K> };
  for (const type of names) {
    const channel = channelOfTypeName(type);
    if (channel === undefined) throw new Error(`event type ${type} has no channel in the registry (its domain names none)`);
    const row = table[type] as Tbl[T];
    envelopes[type] = envelopeOf(type, channel, row) as unknown as EnvelopeSchema<Tbl, typeof type>;
    publishEvents[type] = publishOf(type, row.data) as unknown as PublishEventSchema<Tbl, typeof type>;
  }
  // Mapped over each type, then indexed: a union of per-type schemas, not one schema of unions.
  type AnyEnvelope = { [K in T]: EnvelopeSchema<Tbl, K> }[T];
  type AnyPublish = { [K in T]: PublishEventSchema<Tbl, K> }[T];
  const envelopeList = names.map((t) => envelopes[t]) as [AnyEnvelope, ...AnyEnvelope[]];
  const publishList = names.map((t) => publishEvents[t]) as [AnyPublish, ...AnyPublish[]];
  const first = names[0] as T;
  const firstData = firstExample((table[first] as EventTypeRow).data);

  const EventEnvelope = z.discriminatedUnion('type', envelopeList).meta({
    id: 'EventEnvelope',
    title: 'Event envelope',
    description: 'An event as delivered to WebSocket clients and served by the history endpoint.',
    examples: [firstExample(envelopes[first])],
  });
  const PublishEvent = z.discriminatedUnion('type', publishList).meta({
    id: 'PublishEvent',
    title: 'Publish event',
    description: 'One event as sent by a publisher; `data` is checked by the schema of `type`.',
    examples: [{ type: first, data: firstData }],
  });
  const PublishBatch = z
    .strictObject({
      events: z.array(PublishEvent).min(1).max(MAX_BATCH_EVENTS),
    })
    .meta({
      id: 'PublishBatch',
      title: 'Publish batch',
      description: `Up to ${MAX_BATCH_EVENTS} events; if any is invalid, none is published.`,
      examples: examples.publishBatch ?? [{ events: [{ type: first, data: firstData }] }],
    });
  const PublishRequest = z.union([PublishBatch, PublishEvent]).meta({
    id: 'PublishRequest',
    title: 'Publish request',
    description: 'Body of POST /v1/publish: one event `{type, data, id?}` or a batch `{events: [...]}`.',
    examples: examples.publishRequest ?? [{ type: first, data: firstData }],
  });
  const isType = (type: unknown): type is T => typeof type === 'string' && Object.hasOwn(table, type);
  return { table, names, envelopes, publishEvents, EventEnvelope, PublishEvent, PublishBatch, PublishRequest, isType };
}

/** What {@link eventSchemas} derives from a table. */
export type EventSchemas<Tbl extends EventTypeTable = EventTypeTable> = ReturnType<typeof eventSchemas<Tbl>>;

/** The shape of any {@link eventSchemas} result, as the document generators read it. */
export interface AnyEventSchemas {
  readonly table: EventTypeTable;
  readonly names: readonly string[];
  readonly envelopes: Readonly<Record<string, z.ZodType>>;
  readonly EventEnvelope: z.ZodType;
  readonly PublishEvent: z.ZodType;
  readonly PublishBatch: z.ZodType;
  readonly PublishRequest: z.ZodType;
  isType(type: unknown): boolean;
}
