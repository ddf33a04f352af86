import { z } from 'zod';
import { ChannelNameSchema } from './channels.js';
import {
  AlertData,
  AlertStateData,
  CorrelationData,
  MetricsData,
  RawEventData,
  StatusData,
  SystemNoticeData,
  ThreatData,
  type EventData,
  type EventType,
} from './events.js';
import { MAX_BATCH_EVENTS } from './limits.js';
import { EventId, Seq } from './primitives.js';

function publishOf<T extends EventType, D extends z.ZodType>(type: T, data: D) {
  return z.strictObject({
    type: z.literal(type),
    /** Optional id; a repeat within the idempotency window returns the first result and is not re-delivered. */
    id: EventId.optional(),
    data,
  });
}

/** One event as a publisher sends it: `{type, data, id?}`. The gateway adds channel, seq, epoch and ts. */
export const PublishEvent = z
  .discriminatedUnion('type', [
    publishOf('threat.new', ThreatData),
    publishOf('alert.new', AlertData),
    publishOf('alert.acknowledged', AlertStateData),
    publishOf('alert.resolved', AlertStateData),
    publishOf('status.update', StatusData),
    publishOf('metrics.update', MetricsData),
    publishOf('event.raw', RawEventData),
    publishOf('correlation.new', CorrelationData),
    publishOf('system.notice', SystemNoticeData),
  ])
  .meta({
    id: 'PublishEvent',
    title: 'Publish event',
    description: 'One event as sent by a publisher; `data` is checked by the schema of `type`.',
    examples: [
      {
        type: 'threat.new',
        data: { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1764115200.101 },
      },
    ],
  });
export type PublishEvent = z.infer<typeof PublishEvent>;

/** A publish input of one known type (typed by `T`). */
export type PublishEventOf<T extends EventType> = { type: T; id?: string; data: EventData<T> };

/** `POST /v1/publish` batch body: at most 1000 events, validated all-or-nothing. */
export const PublishBatch = z
  .strictObject({
    events: z.array(PublishEvent).min(1).max(MAX_BATCH_EVENTS),
  })
  .meta({
    id: 'PublishBatch',
    title: 'Publish batch',
    description: `Up to ${MAX_BATCH_EVENTS} events; if any is invalid, none is published.`,
    examples: [
      {
        events: [
          { type: 'alert.new', id: 'alert_123', data: { id: 'alert_123', severity: 'critical', message: 'High threat detected', timestamp: 1764115200.123 } },
          { type: 'status.update', data: { component: 'event_processor', status: 'healthy' } },
        ],
      },
    ],
  });
export type PublishBatch = z.infer<typeof PublishBatch>;

/** `POST /v1/publish` body: one event or a batch. */
export const PublishRequest = z.union([PublishBatch, PublishEvent]).meta({
  id: 'PublishRequest',
  title: 'Publish request',
  description: 'Body of POST /v1/publish: one event `{type, data, id?}` or a batch `{events: [...]}`.',
  examples: [
    { type: 'status.update', id: 'st_1', data: { component: 'event_processor', status: 'healthy' } },
    { events: [{ type: 'system.notice', data: { level: 'info', message: 'processor restarted', timestamp: 1764115300.0 } }] },
  ],
});
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
