import { z } from 'zod';
import { channelForType, type ChannelName } from './channels.js';
import {
  AlertData,
  AlertStateData,
  CorrelationData,
  EVENT_TYPES,
  MetricsData,
  RawEventData,
  StatusData,
  SystemNoticeData,
  ThreatData,
  type EventType,
} from './events.js';
import { Epoch, EventId, Seq, Timestamp } from './primitives.js';

function envelopeOf<T extends EventType, D extends z.ZodType>(type: T, data: D, id: string) {
  const channel = channelForType(type);
  // The example envelope wraps the payload's own first example, so both stay in step.
  const payload = (data.meta()?.examples as unknown[] | undefined)?.[0];
  const example = { type, channel, id: 'evt_01JD9K3V9Q1ZC8W7', seq: 42, epoch: 'k3v9q1', ts: 1764115200.123, data: payload };
  return z
    .strictObject({
      type: z.literal(type),
      channel: z.literal(channel),
      id: EventId,
      seq: Seq,
      epoch: Epoch,
      /** When the gateway accepted the event. */
      ts: Timestamp,
      data,
    })
    .meta({
      id,
      title: `${type} event`,
      description: `${EVENT_TYPES[type].description} Delivered on the \`${channel}\` channel.`,
      examples: [example],
    });
}

/** Delivered `threat.new` event. */
export const ThreatNewEvent = envelopeOf('threat.new', ThreatData, 'ThreatNewEvent');
export type ThreatNewEvent = z.infer<typeof ThreatNewEvent>;
/** Delivered `alert.new` event. */
export const AlertNewEvent = envelopeOf('alert.new', AlertData, 'AlertNewEvent');
export type AlertNewEvent = z.infer<typeof AlertNewEvent>;
/** Delivered `alert.acknowledged` event. */
export const AlertAcknowledgedEvent = envelopeOf('alert.acknowledged', AlertStateData, 'AlertAcknowledgedEvent');
export type AlertAcknowledgedEvent = z.infer<typeof AlertAcknowledgedEvent>;
/** Delivered `alert.resolved` event. */
export const AlertResolvedEvent = envelopeOf('alert.resolved', AlertStateData, 'AlertResolvedEvent');
export type AlertResolvedEvent = z.infer<typeof AlertResolvedEvent>;
/** Delivered `status.update` event. */
export const StatusUpdateEvent = envelopeOf('status.update', StatusData, 'StatusUpdateEvent');
export type StatusUpdateEvent = z.infer<typeof StatusUpdateEvent>;
/** Delivered `metrics.update` event. */
export const MetricsUpdateEvent = envelopeOf('metrics.update', MetricsData, 'MetricsUpdateEvent');
export type MetricsUpdateEvent = z.infer<typeof MetricsUpdateEvent>;
/** Delivered `event.raw` event. */
export const RawEvent = envelopeOf('event.raw', RawEventData, 'RawEvent');
export type RawEvent = z.infer<typeof RawEvent>;
/** Delivered `correlation.new` event. */
export const CorrelationNewEvent = envelopeOf('correlation.new', CorrelationData, 'CorrelationNewEvent');
export type CorrelationNewEvent = z.infer<typeof CorrelationNewEvent>;
/** Delivered `system.notice` event. */
export const SystemNoticeEvent = envelopeOf('system.notice', SystemNoticeData, 'SystemNoticeEvent');
export type SystemNoticeEvent = z.infer<typeof SystemNoticeEvent>;

/** Envelope schema per event type. */
export const ENVELOPES = {
  'threat.new': ThreatNewEvent,
  'alert.new': AlertNewEvent,
  'alert.acknowledged': AlertAcknowledgedEvent,
  'alert.resolved': AlertResolvedEvent,
  'status.update': StatusUpdateEvent,
  'metrics.update': MetricsUpdateEvent,
  'event.raw': RawEvent,
  'correlation.new': CorrelationNewEvent,
  'system.notice': SystemNoticeEvent,
} as const satisfies Record<EventType, z.ZodType>;

/**
 * Every event as delivered to clients: one JSON text frame, discriminated on `type` so that the `data`
 * of each type is checked by its own schema.
 */
export const EventEnvelope = z
  .discriminatedUnion('type', [
    ThreatNewEvent,
    AlertNewEvent,
    AlertAcknowledgedEvent,
    AlertResolvedEvent,
    StatusUpdateEvent,
    MetricsUpdateEvent,
    RawEvent,
    CorrelationNewEvent,
    SystemNoticeEvent,
  ])
  .meta({
    id: 'EventEnvelope',
    title: 'Event envelope',
    description: 'An event as delivered to WebSocket clients and served by the history endpoint.',
    examples: [
      {
        type: 'threat.new',
        channel: 'threats',
        id: 'evt_01JD9K3V9Q1ZC8W7',
        seq: 42,
        epoch: 'k3v9q1',
        ts: 1764115200.123,
        data: { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1764115200.101 },
      },
    ],
  });
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/** The envelope of one event type. */
export type EnvelopeOf<T extends EventType> = Extract<EventEnvelope, { type: T }>;
/** Any envelope delivered on channel `C`. */
export type ChannelEvent<C extends ChannelName> = Extract<EventEnvelope, { channel: C }>;
