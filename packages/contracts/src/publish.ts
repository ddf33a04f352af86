import { z } from 'zod';
import { ChannelNameSchema } from './channels.js';
import { EVENT_SCHEMAS } from './envelope.js';
import type { EventData, EventType } from './events.js';
import { EventId, Seq } from './primitives.js';

/** One event as a publisher sends it: `{type, data, id?}`. The gateway adds channel, seq, epoch and ts. */
export const PublishEvent = EVENT_SCHEMAS.PublishEvent;
export type PublishEvent = z.infer<typeof PublishEvent>;

/** A publish input of one known type (typed by `T`). */
export type PublishEventOf<T extends EventType> = { type: T; id?: string; data: EventData<T> };

/** `POST /v1/publish` batch body: at most 1000 events, validated all-or-nothing. */
export const PublishBatch = EVENT_SCHEMAS.PublishBatch;
export type PublishBatch = z.infer<typeof PublishBatch>;

/** `POST /v1/publish` body: one event or a batch. */
export const PublishRequest = EVENT_SCHEMAS.PublishRequest;
export type PublishRequest = z.infer<typeof PublishRequest>;

/** What the gateway assigned to one published event. */
export const PublishResult = z
  .strictObject({
    id: EventId,
    channel: ChannelNameSchema,
    seq: Seq,
    /**
     * Present (true) when the same event — same id, type and data — was already published within the
     * idempotency window: the result is the original one, and nothing was stored or delivered again.
     */
    duplicate: z.literal(true).optional(),
  })
  .meta({
    id: 'PublishResult',
    title: 'Publish result',
    description:
      'The id, channel and seq assigned to a published event. `duplicate: true` marks a repeat of an event already published within the idempotency window (same id, type and data): the original result, not delivered again.',
    examples: [
      { id: 'evt_01JD9K3V9Q1ZC8W7', channel: 'threats', seq: 42 },
      { id: 'alert_123', channel: 'alerts', seq: 7, duplicate: true },
    ],
  });
export type PublishResult = z.infer<typeof PublishResult>;

/**
 * `error.details` of a 503 `unavailable` whose outcome is unknown: the engine may or may not have
 * stored the events (e.g. Redis stopped answering after the request was sent). `ids` are the event
 * ids in request order, the gateway-assigned ones included; publishing the same events again with
 * these ids is safe: what was stored is answered `duplicate: true`, the rest is published.
 */
export const UnknownOutcomeDetails = z
  .strictObject({
    outcome: z.literal('unknown'),
    ids: z.array(EventId),
  })
  .meta({
    id: 'UnknownOutcomeDetails',
    title: 'Unknown publish outcome',
    description:
      'details of a 503 whose outcome is unknown: the events may have been stored. Retry with these ids (request order): stored events are answered duplicate: true, never delivered twice.',
    examples: [{ outcome: 'unknown', ids: ['alert_123', 'evt_01JD9K3V9Q1ZC8W7'] }],
  });
export type UnknownOutcomeDetails = z.infer<typeof UnknownOutcomeDetails>;

/** `202` body of `POST /v1/publish`: one result per event, in request order. */
export const PublishResponse = z
  .strictObject({
    results: z.array(PublishResult),
  })
  .meta({
    id: 'PublishResponse',
    title: 'Publish response',
    description: 'One result per published event, in request order.',
    examples: [{ results: [{ id: 'evt_01JD9K3V9Q1ZC8W7', channel: 'threats', seq: 42 }] }],
  });
export type PublishResponse = z.infer<typeof PublishResponse>;
