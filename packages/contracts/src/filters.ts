import { z } from 'zod';
import { MAX_FILTER_VALUES } from './limits.js';
import { Cidr, IpAddress, Port, ThreatLevel } from './primitives.js';

// Filters are strict: a misspelt field must fail loudly rather than silently select everything.

const list = <T extends z.ZodType>(item: T) => z.array(item).min(1).max(MAX_FILTER_VALUES);

/** Filter for the `threats` channel. Every given field must match (AND); list fields match any value (OR). */
export const ThreatsFilter = z
  .strictObject({
    min_score: z.number().nonnegative().optional(),
    levels: list(ThreatLevel).optional(),
    /** Networks (CIDR) or single addresses the threat's `source_ip` must fall in. */
    source_cidrs: list(z.union([Cidr, IpAddress])).optional(),
    event_types: list(z.string().min(1).max(128)).optional(),
  })
  .meta({
    id: 'ThreatsFilter',
    title: 'threats filter',
    description: 'Server-side filter for threat events.',
    examples: [{ min_score: 7, levels: ['high', 'critical'], source_cidrs: ['192.168.0.0/16'] }],
  });
export type ThreatsFilter = z.infer<typeof ThreatsFilter>;

/** Filter for the `alerts` channel; `tags` matches alerts carrying any of the tags. */
export const AlertsFilter = z
  .strictObject({
    severities: list(ThreatLevel).optional(),
    tags: list(z.string().min(1).max(128)).optional(),
  })
  .meta({
    id: 'AlertsFilter',
    title: 'alerts filter',
    description: 'Server-side filter for alert events.',
    examples: [{ severities: ['critical'], tags: ['ssh'] }],
  });
export type AlertsFilter = z.infer<typeof AlertsFilter>;

/** Filter for the `status` and `metrics` channels. */
export const ComponentsFilter = z
  .strictObject({
    components: list(z.string().min(1).max(256)).optional(),
  })
  .meta({
    id: 'ComponentsFilter',
    title: 'status / metrics filter',
    description: 'Server-side filter selecting components.',
    examples: [{ components: ['event_processor'] }],
  });
export type ComponentsFilter = z.infer<typeof ComponentsFilter>;

/** Filter for the `events` channel (raw honeypot events). */
export const EventsFilter = z
  .strictObject({
    logtypes: list(z.int()).optional(),
    dst_ports: list(Port).optional(),
  })
  .meta({
    id: 'EventsFilter',
    title: 'events filter',
    description: 'Server-side filter for raw honeypot events.',
    examples: [{ logtypes: [4002], dst_ports: [22, 2222] }],
  });
export type EventsFilter = z.infer<typeof EventsFilter>;

/** Filter for the `correlations` channel. */
export const CorrelationsFilter = z
  .strictObject({
    patterns: list(z.string().min(1).max(256)).optional(),
    min_score: z.number().nonnegative().optional(),
  })
  .meta({
    id: 'CorrelationsFilter',
    title: 'correlations filter',
    description: 'Server-side filter for correlations.',
    examples: [{ patterns: ['ssh_brute_force'], min_score: 0.5 }],
  });
export type CorrelationsFilter = z.infer<typeof CorrelationsFilter>;

/** The `system` channel takes no filter fields. */
export const SystemFilter = z.strictObject({}).meta({
  id: 'SystemFilter',
  title: 'system filter',
  description: 'The system channel has no filter fields.',
  examples: [{}],
});
export type SystemFilter = z.infer<typeof SystemFilter>;
