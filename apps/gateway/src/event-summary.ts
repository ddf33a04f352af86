import type { EventEnvelope } from '@ns/contracts';

// One readable summary per event, shared by `ns-gateway tail` (a terminal line) and the console (a
// table cell, served as part of its browser bundle): type-only imports, no Node or DOM APIs.

/** An event's level word: threat level, alert severity, notice level or component health; `''` if none. */
export function levelOf(e: Pick<EventEnvelope, 'data'>): string {
  const data = e.data as Record<string, unknown>;
  for (const k of ['threat_level', 'severity', 'level', 'status']) if (typeof data[k] === 'string') return data[k] as string;
  return '';
}

/** Levels shown as an alarm: critical threats and alerts, error notices, unhealthy components. */
export function isAlarming(level: string): boolean {
  return level === 'critical' || level === 'error' || level === 'unhealthy';
}

/** A threat's source: its address, or (contracts 0.2.0, `source_ip: null`) what the sensor reported. */
export function threatSource(d: { source_ip: string | null; source?: string | undefined }): string {
  return d.source_ip ?? `${d.source ?? '?'} (no IP)`;
}

/** Rounds a metric for display: at most two decimals, no trailing zeros. */
export function formatNumber(v: number): string {
  return String(Math.round(v * 100) / 100);
}

const parts = (...xs: (string | false | undefined)[]): string => xs.filter((x): x is string => typeof x === 'string' && x !== '').join(' · ');

/** One line saying what the event is about, without its time, channel, type or level. */
export function summaryOf(e: EventEnvelope): string {
  switch (e.type) {
    case 'threat.new': {
      const d = e.data;
      return parts(`${threatSource(d)} score ${d.threat_score}`, d.event_type, d.dst_port !== undefined && `port ${d.dst_port}`);
    }
    case 'alert.new':
      return parts(`[${e.data.id}] ${e.data.message}`, e.data.source_ip);
    case 'alert.acknowledged':
    case 'alert.resolved':
      return parts(`${e.data.id} by ${e.data.by}`, e.data.note);
    case 'status.update':
      return parts(`${e.data.component}: ${e.data.status}`, e.data.message);
    case 'metrics.update':
      return parts(
        e.data.component,
        Object.entries(e.data.metrics)
          .slice(0, 5)
          .map(([k, v]) => `${k}=${formatNumber(v)}`)
          .join(' '),
      );
    case 'event.raw': {
      const d = e.data;
      const user = (d.logdata as Record<string, unknown> | undefined)?.USERNAME;
      return parts(`${d.src_host}${d.src_port !== undefined ? `:${d.src_port}` : ''} → ${d.dst_host}:${d.dst_port}`, `logtype ${d.logtype}`, typeof user === 'string' && `user ${user}`);
    }
    case 'correlation.new':
      return parts(`${e.data.pattern} from ${e.data.source_ip}`, `score ${e.data.correlation_score}`, `${e.data.event_count} events`);
    case 'system.notice':
      return `${e.data.message}${e.data.code ? ` (${e.data.code})` : ''}`;
    case 'system.presence_joined':
      return `${e.data.user} joined ${e.data.channel} (${e.data.connections} connection${e.data.connections === 1 ? '' : 's'})`;
    case 'system.presence_left':
      return `${e.data.user} left ${e.data.channel}`;
    default:
      return JSON.stringify((e as { data: unknown }).data).slice(0, 200);
  }
}
