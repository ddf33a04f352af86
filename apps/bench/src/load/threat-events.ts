import type { PublishEvent } from '@ns/contracts';
import { clockMs } from '../measure/clock.js';

/**
 * The ten `event_type` values published round-robin. A subscriber filtering on one of them selects
 * exactly 10 % of the events (scenario b).
 */
export const EVENT_TYPES = [
  'ssh_bruteforce',
  'http_scan',
  'ftp_login',
  'smb_probe',
  'telnet_login',
  'mysql_login',
  'rdp_probe',
  'vnc_login',
  'sip_invite',
  'port_scan',
] as const;

/**
 * Event number `n` as a publisher sends it. `data.timestamp` is the publish time on the shared clock
 * (`clockMs`, in seconds like Python's `time.time()`), so a sampling client in any process computes
 * publish → receive latency from the event alone. Sized so that the delivered envelope is ~250 bytes.
 */
export function threatEvent(n: number, sentMs: number = clockMs()): PublishEvent {
  return {
    type: 'threat.new',
    data: {
      source_ip: `198.51.${(n >> 8) & 255}.${n & 255}`,
      threat_score: 8.5,
      threat_level: 'high',
      timestamp: sentMs / 1000,
      event_type: EVENT_TYPES[n % EVENT_TYPES.length] as string,
    },
  };
}

/** The filter that selects events of `EVENT_TYPES[k]` (gateway threats filter shape, docs/protocol.md#filters). */
export function eventTypeFilter(k: number): { event_types: string[] } {
  return { event_types: [EVENT_TYPES[k % EVENT_TYPES.length] as string] };
}

/**
 * The filters of a fan-out run: `none`; `types` — subscriber i filters on event type i % 10 (ten
 * distinct filters, 10 % each); `distinct` — one of 1,000 distinct filters (event type i % 10 and a
 * `min_score` from 0 to 4.95 that every published event, scored 8.5, passes: still 10 % each);
 * `identical` — every subscriber the same filter, which every published event passes (100 %).
 */
export type FilterMode = 'none' | 'types' | 'distinct' | 'identical';

/** Subscriber `i`'s filter under `mode` (undefined: no filter). */
export function subscriberFilter(mode: FilterMode, i: number): Record<string, unknown> | undefined {
  switch (mode) {
    case 'none':
      return undefined;
    case 'types':
      return eventTypeFilter(i);
    case 'distinct':
      return { ...eventTypeFilter(i), min_score: Math.floor((i % 1000) / 10) * 0.05 };
    case 'identical':
      return { levels: ['high', 'critical'], min_score: 5 };
  }
}

/** Whether subscriber `i` receives event `n` (see {@link threatEvent}) under `mode`. */
export const selects = (mode: FilterMode, i: number, n: number): boolean =>
  mode === 'none' || mode === 'identical' || i % EVENT_TYPES.length === n % EVENT_TYPES.length;
