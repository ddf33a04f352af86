import type { EventEnvelope } from '@ns/contracts';
import { levelOf, summaryOf } from '../event-summary.js';

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

/** One readable line per event: time, channel#seq, type, level (coloured when `color`), summary (shared with the console). */
export function formatEvent(e: EventEnvelope, color: boolean): string {
  const t = new Date(e.ts * 1000).toISOString().slice(11, 23);
  const level = levelOf(e);
  const shownLevel = level.toUpperCase().padEnd(9);
  const paint = color && COLORS[level] !== undefined ? `${COLORS[level]}${shownLevel}${RESET}` : shownLevel;
  const where = `${e.channel}#${e.seq}`.padEnd(16);
  return `${color ? DIM : ''}${t}${color ? RESET : ''} ${where} ${e.type.padEnd(18)} ${paint} ${summaryOf(e)}`;
}
