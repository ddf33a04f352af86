import type { EventEnvelope } from '@ns/contracts';

const COLORS: Record<string, string> = {
  low: '\x1b[32m',
  healthy: '\x1b[32m',
  info: '\x1b[36m',
  medium: '\x1b[33m',
  degraded: '\x1b[33m',
  warning: '\x1b[33m',
  high: '\x1b[38;5;208m',
  critical: '\x1b[1;31m',
  unhealthy: '\x1b[1;31m',
  error: '\x1b[1;31m',
};
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

function levelOf(data: Record<string, unknown>): string {
  for (const k of ['threat_level', 'severity', 'level', 'status']) if (typeof data[k] === 'string') return data[k] as string;
  return '';
}

/** A threat's source: its address, or (contracts 0.2.0, `source_ip: null`) what the sensor reported. */
export function threatSource(d: { source_ip: string | null; source?: string | undefined }): string {
  return d.source_ip ?? `${d.source ?? '?'} (no IP)`;
}

function summaryOf(e: EventEnvelope): string {
  const d = e.data as Record<string, unknown>;
  switch (e.type) {
    case 'threat.new':
      return `${threatSource(e.data)} score ${e.data.threat_score}${e.data.event_type ? ` ${e.data.event_type}` : ''}`;
    case 'alert.new':
      return `[${e.data.id}] ${e.data.message}`;
    case 'alert.acknowledged':
    case 'alert.resolved':
      return `${e.data.id} by ${e.data.by}`;
    case 'status.update':
      return `${e.data.component}${e.data.message ? `: ${e.data.message}` : ''}`;
    case 'metrics.update':
      return `${e.data.component} ${Object.entries(e.data.metrics).slice(0, 4).map(([k, v]) => `${k}=${v}`).join(' ')}`;
    case 'event.raw':
      return `${e.data.src_host} → ${e.data.dst_host}:${e.data.dst_port} logtype ${e.data.logtype}`;
    case 'correlation.new':
      return `${e.data.pattern} from ${e.data.source_ip} score ${e.data.correlation_score} (${e.data.event_count} events)`;
    case 'system.notice':
      return e.data.message;
    default:
      return JSON.stringify(d);
  }
}

/** One readable line per event: time, channel#seq, type, level (coloured when `color`), summary. */
export function formatEvent(e: EventEnvelope, color: boolean): string {
  const t = new Date(e.ts * 1000).toISOString().slice(11, 23);
  const level = levelOf(e.data as Record<string, unknown>);
  const shownLevel = level.toUpperCase().padEnd(9);
  const paint = color && COLORS[level] !== undefined ? `${COLORS[level]}${shownLevel}${RESET}` : shownLevel;
  const where = `${e.channel}#${e.seq}`.padEnd(16);
  return `${color ? DIM : ''}${t}${color ? RESET : ''} ${where} ${e.type.padEnd(18)} ${paint} ${summaryOf(e)}`;
}
