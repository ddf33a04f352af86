import { z } from 'zod';
import type { Permission } from './auth.js';
import { EVENT_TYPE_NAMES, type EventType } from './events.js';
import {
  AlertsFilter,
  ComponentsFilter,
  CorrelationsFilter,
  EventsFilter,
  SystemFilter,
  ThreatsFilter,
} from './filters.js';

/**
 * How a channel's events are delivered and kept:
 * - `lossless`: never dropped for a live connection; a client that cannot keep up is closed (4008)
 *   and recovers from history;
 * - `latest`: latest value per key; under backpressure a pending older value for the same key is replaced;
 * - `ephemeral`: best effort, no history, dropped first under backpressure.
 */
export type DeliveryClass = 'lossless' | 'latest' | 'ephemeral';

/** How a channel's history is retained. */
export type HistorySpec =
  | { readonly kind: 'ring'; readonly size: number }
  | { readonly kind: 'latest'; readonly keyField: 'component'; readonly maxKeys: number }
  | { readonly kind: 'none' };

/** One row of the channel registry. */
export interface ChannelSpec<D extends string = string> {
  /** Event types of this channel are `<domain>.<verb>`. */
  readonly domain: D;
  readonly description: string;
  /** Permission needed to read the channel; `null` means anonymous access is allowed. */
  readonly readPermission: Permission | null;
  readonly delivery: DeliveryClass;
  readonly history: HistorySpec;
  /** The typed subscription filter of this channel. */
  readonly filter: z.ZodType;
}

/**
 * The channel registry (docs/protocol.md#channels): the one table every other package reads.
 */
export const CHANNELS = {
  threats: {
    domain: 'threat',
    description: 'Scored threats from the NetSentinel processor.',
    readPermission: 'read:events',
    delivery: 'lossless',
    history: { kind: 'ring', size: 1000 },
    filter: ThreatsFilter,
  },
  alerts: {
    domain: 'alert',
    description: 'Alerts raised, acknowledged and resolved.',
    readPermission: 'read:alerts',
    delivery: 'lossless',
    history: { kind: 'ring', size: 1000 },
    filter: AlertsFilter,
  },
  status: {
    domain: 'status',
    description: 'Component health; the latest value per component.',
    readPermission: null,
    delivery: 'latest',
    history: { kind: 'latest', keyField: 'component', maxKeys: 10_000 },
    filter: ComponentsFilter,
  },
  metrics: {
    domain: 'metrics',
    description: 'Component metrics; the latest value per component.',
    readPermission: 'read:events',
    delivery: 'latest',
    history: { kind: 'latest', keyField: 'component', maxKeys: 10_000 },
    filter: ComponentsFilter,
  },
  events: {
    domain: 'event',
    description: 'Raw honeypot events; best effort, no history.',
    readPermission: 'read:events',
    delivery: 'ephemeral',
    history: { kind: 'none' },
    filter: EventsFilter,
  },
  correlations: {
    domain: 'correlation',
    description: 'Correlations of events into attack patterns.',
    readPermission: 'read:events',
    delivery: 'lossless',
    history: { kind: 'ring', size: 500 },
    filter: CorrelationsFilter,
  },
  system: {
    domain: 'system',
    description: 'System-wide notices.',
    readPermission: null,
    delivery: 'lossless',
    history: { kind: 'ring', size: 100 },
    filter: SystemFilter,
  },
} as const satisfies Record<string, ChannelSpec>;

/** A channel name, e.g. `'threats'`. */
export type ChannelName = keyof typeof CHANNELS;

/** All channel names, in registry order. */
export const CHANNEL_NAMES = Object.keys(CHANNELS) as ChannelName[];

/** Zod schema of channel names. */
export const ChannelNameSchema = z.enum(CHANNEL_NAMES as [ChannelName, ...ChannelName[]]).meta({
  id: 'ChannelName',
  title: 'Channel',
  description: 'A channel of the registry.',
  examples: ['threats'],
});

type DomainOf<T extends string> = T extends `${infer D}.${string}` ? D : never;

/** The channel an event type belongs to, at the type level. */
export type ChannelOf<T extends EventType> = {
  [C in ChannelName]: (typeof CHANNELS)[C]['domain'] extends DomainOf<T> ? C : never;
}[ChannelName];

/** The event types carried by a channel, at the type level. */
export type EventTypeOf<C extends ChannelName> = Extract<EventType, `${(typeof CHANNELS)[C]['domain']}.${string}`>;

/** The filter type of a channel. */
export type FilterOf<C extends ChannelName> = z.infer<(typeof CHANNELS)[C]['filter']>;

const channelByDomain = new Map<string, ChannelName>(CHANNEL_NAMES.map((c) => [CHANNELS[c].domain, c]));

const channelByType = new Map<EventType, ChannelName>(
  EVENT_TYPE_NAMES.map((t) => {
    const c = channelByDomain.get(t.slice(0, t.indexOf('.')));
    if (c === undefined) throw new Error(`event type ${t} has no channel in the registry`);
    return [t, c];
  }),
);

/** The channel an event type is routed to (`threat.new` → `threats`). */
export function channelForType<T extends EventType>(type: T): ChannelOf<T> {
  return channelByType.get(type) as ChannelOf<T>;
}

/** The event types a channel carries. */
export function typesForChannel<C extends ChannelName>(channel: C): EventTypeOf<C>[] {
  return EVENT_TYPE_NAMES.filter((t) => channelByType.get(t) === channel) as EventTypeOf<C>[];
}

/** True when `name` is a channel of the registry. */
export function isChannelName(name: unknown): name is ChannelName {
  return typeof name === 'string' && Object.hasOwn(CHANNELS, name);
}

/**
 * The key under which a `latest` channel keeps an event (its `component`), or `undefined` for
 * channels without per-key history.
 */
export function latestKeyOf(channel: ChannelName, data: unknown): string | undefined {
  const spec: ChannelSpec = CHANNELS[channel];
  if (spec.history.kind !== 'latest') return undefined;
  const v = (data as Record<string, unknown> | null)?.[spec.history.keyField];
  return typeof v === 'string' ? v : undefined;
}

/** A history rule as plain snake_case JSON, for `schemas/channels.json` and non-TS consumers. */
export function historyToJson(history: HistorySpec): { kind: HistorySpec['kind']; size?: number; key_field?: string; max_keys?: number } {
  if (history.kind === 'ring') return { kind: 'ring', size: history.size };
  if (history.kind === 'latest') return { kind: 'latest', key_field: history.keyField, max_keys: history.maxKeys };
  return { kind: 'none' };
}
