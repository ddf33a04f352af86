import { z } from 'zod';
import { EVENT_TYPE_NAMES, type EventType } from './events.js';
import {
  AlertsFilter,
  ComponentsFilter,
  CorrelationsFilter,
  EventsFilter,
  SystemFilter,
  ThreatsFilter,
} from './filters.js';
// Re-exported so this module still reads as the registry's home.
export { CHANNEL_NAMES, isChannelName, type ChannelName, type DeliveryClass, type HistorySpec } from './wire.js';
import { CHANNEL_NAMES, CHANNEL_RULES, channelOfTypeName, type ChannelName, type ChannelOfTypeName, type ChannelRule, type HistorySpec } from './wire.js';

/** One row of the channel registry: the plain rules of `CHANNEL_RULES` plus the channel's typed filter. */
export interface ChannelSpec<D extends string = string> extends ChannelRule<D> {
  /** The typed subscription filter of this channel. */
  readonly filter: z.ZodType;
}

// The filter of each channel; `satisfies` makes a channel added to CHANNEL_RULES fail to compile here
// until it has one.
const CHANNEL_FILTERS = {
  threats: ThreatsFilter,
  alerts: AlertsFilter,
  status: ComponentsFilter,
  metrics: ComponentsFilter,
  events: EventsFilter,
  correlations: CorrelationsFilter,
  system: SystemFilter,
} as const satisfies Record<ChannelName, z.ZodType>;

/** The filter schema of each channel, by channel name. */
export type ChannelFilterSchemas = typeof CHANNEL_FILTERS;

type Channels = { readonly [C in ChannelName]: (typeof CHANNEL_RULES)[C] & { readonly filter: (typeof CHANNEL_FILTERS)[C] } };

/**
 * The channel registry (docs/protocol.md#channels): the one table every other package reads — the
 * rules of `CHANNEL_RULES` (`@ns/contracts/wire`) with each channel's filter schema.
 */
export const CHANNELS: Channels = Object.fromEntries(
  CHANNEL_NAMES.map((c) => [c, { ...CHANNEL_RULES[c], filter: CHANNEL_FILTERS[c] }]),
) as unknown as Channels;

/** Zod schema of channel names. */
export const ChannelNameSchema = z.enum(CHANNEL_NAMES as [ChannelName, ...ChannelName[]]).meta({
  id: 'ChannelName',
  title: 'Channel',
  description: 'A channel of the registry.',
  examples: ['threats'],
});

/** The channel an event type belongs to, at the type level. */
export type ChannelOf<T extends EventType> = ChannelOfTypeName<T>;

/** The event types carried by a channel, at the type level. */
export type EventTypeOf<C extends ChannelName> = Extract<EventType, `${(typeof CHANNELS)[C]['domain']}.${string}`>;

/** The filter type of a channel. */
export type FilterOf<C extends ChannelName> = z.infer<(typeof CHANNELS)[C]['filter']>;

const channelByType = new Map<EventType, ChannelName>(
  EVENT_TYPE_NAMES.map((t) => {
    const c = channelOfTypeName(t);
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
