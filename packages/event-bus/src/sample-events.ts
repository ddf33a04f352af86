import { channelForType, type EventType, type PublishEvent, type PublishEventOf } from '@ns/contracts';
import type { PendingEvent } from './engine.js';

/** Fixed timestamp of the sample events (2025-11-26T00:00:00Z), Unix seconds. */
export const SAMPLE_TS = 1764115200.123;

/** Valid publish inputs of every event type, for tests and benchmarks; `data` may be overridden. */
export const sampleEvents = {
  threat: (data: Partial<PublishEventOf<'threat.new'>['data']> = {}, id?: string): PublishEvent => ({
    type: 'threat.new',
    ...(id === undefined ? {} : { id }),
    data: { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: SAMPLE_TS, ...data },
  }),
  alert: (data: Partial<PublishEventOf<'alert.new'>['data']> = {}, id?: string): PublishEvent => ({
    type: 'alert.new',
    ...(id === undefined ? {} : { id }),
    data: { id: 'alert_1', severity: 'critical', message: 'High threat detected', timestamp: SAMPLE_TS, ...data },
  }),
  alertState: (type: 'alert.acknowledged' | 'alert.resolved', data: Partial<PublishEventOf<'alert.resolved'>['data']> = {}): PublishEvent => ({
    type,
    data: { id: 'alert_1', by: 'analyst1', timestamp: SAMPLE_TS, ...data },
  }),
  status: (component: string, data: Partial<PublishEventOf<'status.update'>['data']> = {}): PublishEvent => ({
    type: 'status.update',
    data: { component, status: 'healthy', ...data },
  }),
  metrics: (component: string, metrics: Record<string, number> = { events_per_second: 1 }): PublishEvent => ({
    type: 'metrics.update',
    data: { component, metrics, timestamp: SAMPLE_TS },
  }),
  raw: (data: Partial<PublishEventOf<'event.raw'>['data']> = {}): PublishEvent => ({
    type: 'event.raw',
    data: { logtype: 4002, src_host: '203.0.113.7', dst_host: '10.0.0.5', dst_port: 22, timestamp: SAMPLE_TS, ...data },
  }),
  correlation: (data: Partial<PublishEventOf<'correlation.new'>['data']> = {}): PublishEvent => ({
    type: 'correlation.new',
    data: { source_ip: '203.0.113.7', pattern: 'ssh_brute_force', correlation_score: 0.92, event_count: 57, timestamp: SAMPLE_TS, ...data },
  }),
  notice: (message = 'hello', data: Partial<PublishEventOf<'system.notice'>['data']> = {}): PublishEvent => ({
    type: 'system.notice',
    data: { level: 'info', message, timestamp: SAMPLE_TS, ...data },
  }),
};

let pendingCounter = 0;

/** A pending event (as the bus hands it to an engine) of `type`, with valid sample data. */
export function samplePending(
  type: EventType,
  data: Record<string, unknown> = {},
  options: { id?: string; idempotent?: boolean } = {},
): PendingEvent {
  const base: Record<EventType, Record<string, unknown>> = {
    'threat.new': sampleEvents.threat().data,
    'alert.new': sampleEvents.alert().data,
    'alert.acknowledged': sampleEvents.alertState('alert.acknowledged').data,
    'alert.resolved': sampleEvents.alertState('alert.resolved').data,
    'status.update': sampleEvents.status('event_processor').data,
    'metrics.update': sampleEvents.metrics('event_processor').data,
    'event.raw': sampleEvents.raw().data,
    'correlation.new': sampleEvents.correlation().data,
    'system.notice': sampleEvents.notice().data,
    'system.presence_joined': { channel: 'alerts', user: 'analyst1', connections: 1, timestamp: SAMPLE_TS },
    'system.presence_left': { channel: 'alerts', user: 'analyst1', connections: 0, timestamp: SAMPLE_TS },
  };
  return {
    id: options.id ?? `evt_sample_${++pendingCounter}`,
    type,
    channel: channelForType(type),
    ts: SAMPLE_TS,
    data: { ...base[type], ...data },
    idempotent: options.idempotent ?? options.id !== undefined,
  };
}
