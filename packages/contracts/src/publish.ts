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
  })
  .meta({
    id: 'PublishResult',
    title: 'Publish result',
    description: 'The id, channel and seq assigned to a published event.',
    examples: [{ id: 'evt_01JD9K3V9Q1ZC8W7', channel: 'threats', seq: 42 }],
  });
export type PublishResult = z.infer<typeof PublishResult>;

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
