import { z } from 'zod';
import type { EventTypeTable } from './event-schemas.js';
import { ComponentHealth, IpAddress, Port, ShortText, ThreatLevel, Timestamp } from './primitives.js';

// Payloads are loose objects: unknown extra fields inside `data` are accepted and passed through
// (forward compatibility with newer processors); the seed's fields are required.

const finiteNonNegative = z.number().nonnegative();

/**
 * `threat.new`: a scored threat from the NetSentinel processor. Since contracts 0.2.0 a threat whose
 * source is not an IP address (the processor's `"unknown"` when a sensor sent no `src_host`, a host
 * name, a scoped `fe80::1%eth0`) is delivered with `source_ip: null` and the reported text in
 * `source`, instead of being refused; CIDR filters never match it.
 */
export const ThreatData = z
  .looseObject({
    /** The source's IP address, or `null` when the reported source is not one (then `source` says what it was). */
    source_ip: IpAddress.nullable(),
    /** The source as the sensor reported it (`"unknown"`, a host name, an address with a zone id); required when `source_ip` is null. */
    source: ShortText.optional(),
    threat_score: finiteNonNegative,
    threat_level: ThreatLevel,
    timestamp: Timestamp,
    event_type: ShortText.optional(),
    indicators: z.array(z.string().max(1024)).max(256).optional(),
    /** Classifier confidence, 0..1. */
    confidence: z.number().min(0).max(1).optional(),
    dst_port: Port.optional(),
    correlation_id: ShortText.optional(),
  })
  .refine((d) => d.source_ip !== null || d.source !== undefined, {
    path: ['source'],
    message: 'source is required when source_ip is null (say what the sensor reported, e.g. "unknown")',
  })
  .meta({
    id: 'ThreatData',
    title: 'threat.new data',
    description: 'A scored threat detected by the NetSentinel processor.',
    examples: [
      { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1764115200.101 },
      { source_ip: null, source: 'unknown', threat_score: 6.2, threat_level: 'medium', timestamp: 1764115202.25, event_type: 'ssh_login' },
      {
        source_ip: '2001:db8::7',
        threat_score: 9.7,
        threat_level: 'critical',
        timestamp: 1764115201.5,
        event_type: 'ssh_login',
        indicators: ['brute_force', 'known_bad_ip'],
        confidence: 0.93,
        dst_port: 22,
        correlation_id: 'corr_77',
      },
    ],
    // The one rule JSON Schema states apart from the fields: no address means the reported source is given.
    if: { properties: { source_ip: { type: 'null' } }, required: ['source_ip'] },
    then: { properties: { source: { type: 'string', minLength: 1 } }, required: ['source'] },
  });
export type ThreatData = z.infer<typeof ThreatData>;

/** `alert.new`: an alert raised for analysts. */
export const AlertData = z
  .looseObject({
    id: ShortText,
    severity: ThreatLevel,
    message: z.string().min(1).max(4096),
    timestamp: Timestamp,
    title: z.string().max(512).optional(),
    description: z.string().max(16_384).optional(),
    source: ShortText.optional(),
    source_ip: IpAddress.optional(),
    tags: z.array(z.string().min(1).max(128)).max(64).optional(),
    threat_id: ShortText.optional(),
  })
  .meta({
    id: 'AlertData',
    title: 'alert.new data',
    description: 'An alert raised for analysts.',
    examples: [
      { id: 'alert_123', severity: 'critical', message: 'High threat detected', timestamp: 1764115200.123 },
      {
        id: 'alert_124',
        severity: 'high',
        message: 'SSH brute force from 203.0.113.7',
        timestamp: 1764115230.25,
        title: 'SSH brute force',
        description: '57 failed logins in 30 s on canary-1.',
        source: 'correlator',
        source_ip: '203.0.113.7',
        tags: ['ssh', 'brute_force'],
        threat_id: 'evt_01JD9K3V9Q1ZC8W7',
      },
    ],
  });
export type AlertData = z.infer<typeof AlertData>;

/** `alert.acknowledged` / `alert.resolved`: a change in an alert's state. */
export const AlertStateData = z
  .looseObject({
    /** The alert's id. */
    id: ShortText,
    by: ShortText,
    timestamp: Timestamp,
    note: z.string().max(4096).optional(),
  })
  .meta({
    id: 'AlertStateData',
    title: 'alert.acknowledged / alert.resolved data',
    description: 'An alert was acknowledged or resolved by an analyst.',
    examples: [
      { id: 'alert_123', by: 'analyst1', timestamp: 1764115260.5 },
      { id: 'alert_123', by: 'analyst1', timestamp: 1764115260.5, note: 'investigating' },
    ],
  });
export type AlertStateData = z.infer<typeof AlertStateData>;

/** `status.update`: the health of one component (latest value per `component`). */
export const StatusData = z
  .looseObject({
    component: ShortText,
    status: ComponentHealth,
    state: z.string().max(256).optional(),
    message: z.string().max(4096).optional(),
    metrics: z.record(z.string().max(256), z.union([z.number(), z.string().max(4096), z.boolean()])).optional(),
  })
  .meta({
    id: 'StatusData',
    title: 'status.update data',
    description: 'Health of one NetSentinel component; the gateway keeps the latest value per component.',
    examples: [
      { component: 'event_processor', status: 'healthy' },
      {
        component: 'event_processor',
        status: 'degraded',
        state: 'catching_up',
        message: 'consumer lag above 10 s',
        metrics: { queue_depth: 1200, kafka_connected: true, mode: 'batch' },
      },
    ],
  });
export type StatusData = z.infer<typeof StatusData>;

/** `metrics.update`: numeric metrics of one component (latest value per `component`). */
export const MetricsData = z
  .looseObject({
    component: ShortText,
    metrics: z.record(z.string().max(256), z.number()),
    timestamp: Timestamp,
  })
  .meta({
    id: 'MetricsData',
    title: 'metrics.update data',
    description: 'Numeric metrics of one component; the gateway keeps the latest value per component.',
    examples: [
      { component: 'event_processor', metrics: { events_per_second: 412.5 }, timestamp: 1764115200.2 },
      { component: 'event_processor', metrics: { events_per_second: 412.5, p99_ms: 7.2, queue_depth: 3 }, timestamp: 1764115200.2 },
    ],
  });
export type MetricsData = z.infer<typeof MetricsData>;

/** `event.raw`: an OpenCanary-style honeypot log event. */
export const RawEventData = z
  .looseObject({
    logtype: z.int(),
    src_host: IpAddress,
    dst_host: IpAddress,
    dst_port: Port,
    timestamp: Timestamp,
    src_port: Port.optional(),
    node_id: ShortText.optional(),
    logdata: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({
    id: 'RawEventData',
    title: 'event.raw data',
    description: 'An OpenCanary-style honeypot event, as read from Kafka.',
    examples: [
      { logtype: 4002, src_host: '203.0.113.7', dst_host: '10.0.0.5', dst_port: 22, timestamp: 1764115200.05 },
      {
        logtype: 4002,
        src_host: '203.0.113.7',
        dst_host: '10.0.0.5',
        dst_port: 22,
        src_port: 51234,
        node_id: 'canary-1',
        timestamp: 1764115200.05,
        logdata: { USERNAME: 'root', PASSWORD: 'hunter2' },
      },
    ],
  });
export type RawEventData = z.infer<typeof RawEventData>;

/** `correlation.new`: several events correlated into one pattern. */
export const CorrelationData = z
  .looseObject({
    source_ip: IpAddress,
    pattern: ShortText,
    correlation_score: finiteNonNegative,
    event_count: z.int().min(0),
    timestamp: Timestamp,
    correlation_id: ShortText.optional(),
    event_types: z.array(z.string().max(128)).max(256).optional(),
  })
  .meta({
    id: 'CorrelationData',
    title: 'correlation.new data',
    description: 'Events from one source correlated into a pattern (e.g. brute force, port scan).',
    examples: [
      { source_ip: '203.0.113.7', pattern: 'ssh_brute_force', correlation_score: 0.92, event_count: 57, timestamp: 1764115230.0 },
      {
        source_ip: '203.0.113.7',
        pattern: 'port_scan_then_login',
        correlation_score: 0.81,
        event_count: 212,
        timestamp: 1764115290.75,
        correlation_id: 'corr_77',
        event_types: ['port_scan', 'ssh_login'],
      },
    ],
  });
export type CorrelationData = z.infer<typeof CorrelationData>;

/** `system.notice`: a gateway- or system-wide notice (e.g. shutdown). */
export const SystemNoticeData = z
  .looseObject({
    level: z.enum(['info', 'warning', 'error']),
    message: z.string().min(1).max(4096),
    timestamp: Timestamp,
    code: ShortText.optional(),
  })
  .meta({
    id: 'SystemNoticeData',
    title: 'system.notice data',
    description: 'A system-wide notice, such as the gateway shutting down.',
    examples: [
      { level: 'info', message: 'maintenance window starts at 02:00 UTC', timestamp: 1764115300.0 },
      { level: 'warning', message: 'gateway shutting down', code: 'shutdown', timestamp: 1764115300.0 },
    ],
  });
export type SystemNoticeData = z.infer<typeof SystemNoticeData>;

/**
 * `system.presence_joined` / `system.presence_left`: a user's first connection on one gateway instance
 * subscribed to a channel, or its last one there left it (`NS_PRESENCE_NOTICES`, off by default). The
 * `system` channel is readable without a token, so the data names only the channel and the token's
 * subject — never an address, a connection id, a username or a token.
 */
export const PresenceNoticeData = z
  .looseObject({
    channel: ShortText,
    /** The token's subject (`sub`); anonymous connections get no notices. */
    user: ShortText,
    /** That user's connections to `channel` on the announcing instance after the change (0 when left). */
    connections: z.number().int().nonnegative(),
    timestamp: Timestamp,
  })
  .meta({
    id: 'PresenceNoticeData',
    title: 'system.presence_joined / system.presence_left data',
    description: "A user joined or left a channel on one gateway instance (optional notices, off by default).",
    examples: [
      { channel: 'alerts', user: 'analyst1', connections: 1, timestamp: 1764115300.0 },
      { channel: 'alerts', user: 'analyst1', connections: 0, timestamp: 1764115360.5 },
    ],
  });
export type PresenceNoticeData = z.infer<typeof PresenceNoticeData>;

/**
 * Every event type the gateway accepts — the one table a new event type is added to: its payload
 * schema, its description and the schema id of its delivered envelope. Its channel follows from its
 * domain (`threat.*` → `threats`) by the channel registry, never written twice. The envelope union,
 * the publish schemas, the parsers, `schemas/` and the AsyncAPI and OpenAPI documents are all derived
 * from this table (`eventSchemas`).
 */
export const EVENT_TYPES = {
  'threat.new': { data: ThreatData, description: 'A new threat was detected.', envelope: 'ThreatNewEvent' },
  'alert.new': { data: AlertData, description: 'A new alert was raised.', envelope: 'AlertNewEvent' },
  'alert.acknowledged': { data: AlertStateData, description: 'An alert was acknowledged.', envelope: 'AlertAcknowledgedEvent' },
  'alert.resolved': { data: AlertStateData, description: 'An alert was resolved.', envelope: 'AlertResolvedEvent' },
  'status.update': { data: StatusData, description: 'A component reported its health.', envelope: 'StatusUpdateEvent' },
  'metrics.update': { data: MetricsData, description: 'A component reported metrics.', envelope: 'MetricsUpdateEvent' },
  'event.raw': { data: RawEventData, description: 'A raw honeypot event.', envelope: 'RawEvent' },
  'correlation.new': { data: CorrelationData, description: 'A new correlation of events.', envelope: 'CorrelationNewEvent' },
  'system.notice': { data: SystemNoticeData, description: 'A system-wide notice.', envelope: 'SystemNoticeEvent' },
  'system.presence_joined': { data: PresenceNoticeData, description: "A user's first connection on a gateway instance subscribed to a channel.", envelope: 'PresenceJoinedEvent' },
  'system.presence_left': { data: PresenceNoticeData, description: "A user's last connection on a gateway instance left a channel.", envelope: 'PresenceLeftEvent' },
} as const satisfies EventTypeTable;

/** Names of all event types, e.g. `'threat.new'`. */
export type EventType = keyof typeof EVENT_TYPES;
/** The payload type of an event type. */
export type EventData<T extends EventType> = z.infer<(typeof EVENT_TYPES)[T]['data']>;

/** All event type names, in registry order. */
export const EVENT_TYPE_NAMES = Object.keys(EVENT_TYPES) as EventType[];

/** Zod schema of the event type names. */
export const EventTypeName = z.enum(EVENT_TYPE_NAMES as [EventType, ...EventType[]]).meta({
  id: 'EventType',
  title: 'Event type',
  description: 'Event type, `<domain>.<verb>`.',
  examples: ['threat.new'],
});

/** True when `type` names a known event type. */
export function isEventType(type: unknown): type is EventType {
  return typeof type === 'string' && Object.hasOwn(EVENT_TYPES, type);
}
