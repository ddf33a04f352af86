import type { z } from 'zod';
import type { ChannelName } from './channels.js';
import { eventSchemas } from './event-schemas.js';
import { EVENT_TYPES, type EventType } from './events.js';

/** Everything derived from `EVENT_TYPES`: envelopes, publish events and their unions. */
export const EVENT_SCHEMAS = eventSchemas(EVENT_TYPES, {
  publishBatch: [
    {
      events: [
        { type: 'alert.new', id: 'alert_123', data: { id: 'alert_123', severity: 'critical', message: 'High threat detected', timestamp: 1764115200.123 } },
        { type: 'status.update', data: { component: 'event_processor', status: 'healthy' } },
      ],
    },
  ],
  publishRequest: [
    { type: 'status.update', id: 'st_1', data: { component: 'event_processor', status: 'healthy' } },
    { events: [{ type: 'system.notice', data: { level: 'info', message: 'processor restarted', timestamp: 1764115300.0 } }] },
  ],
});

/** Envelope schema per event type. */
export const ENVELOPES = EVENT_SCHEMAS.envelopes;

/** Delivered `threat.new` event. */
export const ThreatNewEvent = ENVELOPES['threat.new'];
export type ThreatNewEvent = z.infer<typeof ThreatNewEvent>;
/** Delivered `alert.new` event. */
export const AlertNewEvent = ENVELOPES['alert.new'];
export type AlertNewEvent = z.infer<typeof AlertNewEvent>;
/** Delivered `alert.acknowledged` event. */
export const AlertAcknowledgedEvent = ENVELOPES['alert.acknowledged'];
export type AlertAcknowledgedEvent = z.infer<typeof AlertAcknowledgedEvent>;
/** Delivered `alert.resolved` event. */
export const AlertResolvedEvent = ENVELOPES['alert.resolved'];
export type AlertResolvedEvent = z.infer<typeof AlertResolvedEvent>;
/** Delivered `status.update` event. */
export const StatusUpdateEvent = ENVELOPES['status.update'];
export type StatusUpdateEvent = z.infer<typeof StatusUpdateEvent>;
/** Delivered `metrics.update` event. */
export const MetricsUpdateEvent = ENVELOPES['metrics.update'];
export type MetricsUpdateEvent = z.infer<typeof MetricsUpdateEvent>;
/** Delivered `event.raw` event. */
export const RawEvent = ENVELOPES['event.raw'];
export type RawEvent = z.infer<typeof RawEvent>;
/** Delivered `correlation.new` event. */
export const CorrelationNewEvent = ENVELOPES['correlation.new'];
export type CorrelationNewEvent = z.infer<typeof CorrelationNewEvent>;
/** Delivered `system.notice` event. */
export const SystemNoticeEvent = ENVELOPES['system.notice'];
export type SystemNoticeEvent = z.infer<typeof SystemNoticeEvent>;
/** Delivered `system.presence_joined` event. */
export const PresenceJoinedEvent = ENVELOPES['system.presence_joined'];
export type PresenceJoinedEvent = z.infer<typeof PresenceJoinedEvent>;
/** Delivered `system.presence_left` event. */
export const PresenceLeftEvent = ENVELOPES['system.presence_left'];
export type PresenceLeftEvent = z.infer<typeof PresenceLeftEvent>;

/**
 * Every event as delivered to clients: one JSON text frame, discriminated on `type` so that the `data`
 * of each type is checked by its own schema.
 */
export const EventEnvelope = EVENT_SCHEMAS.EventEnvelope;
export type EventEnvelope = z.infer<typeof EventEnvelope>;

/** The envelope of one event type. */
export type EnvelopeOf<T extends EventType> = Extract<EventEnvelope, { type: T }>;
/** Any envelope delivered on channel `C`. */
export type ChannelEvent<C extends ChannelName> = Extract<EventEnvelope, { channel: C }>;
