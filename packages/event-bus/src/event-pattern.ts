import {
  CHANNEL_NAMES,
  EVENT_TYPE_NAMES,
  NsError,
  channelForType,
  isChannelName,
  isEventType,
  typesForChannel,
  type ChannelName,
  type EventType,
} from '@ns/contracts';

/** What a subscription or transform pattern selects. */
export interface ResolvedPattern {
  readonly pattern: string;
  /** Every event type the pattern matches (never empty). */
  readonly types: readonly EventType[];
  /** The single channel all matched types belong to, or `undefined` when they span several. */
  readonly channel: ChannelName | undefined;
}

/**
 * Resolves a pattern against the registry: an exact type (`threat.new`), a domain wildcard
 * (`threat.*`), everything (`*`), or a channel name (`threats`). Unknown names throw, so a typo fails
 * loudly instead of silently matching nothing.
 */
export function resolvePattern(pattern: string): ResolvedPattern {
  let types: EventType[];
  if (pattern === '*') {
    types = [...EVENT_TYPE_NAMES];
  } else if (isEventType(pattern)) {
    types = [pattern];
  } else if (isChannelName(pattern)) {
    types = typesForChannel(pattern);
  } else if (typeof pattern === 'string' && pattern.endsWith('.*')) {
    const domain = pattern.slice(0, -1);
    types = EVENT_TYPE_NAMES.filter((t) => t.startsWith(domain));
    if (types.length === 0) throw new NsError('unknown_type', `pattern "${pattern.slice(0, 64)}" matches no event type`);
  } else if (typeof pattern === 'string' && pattern.includes('.')) {
    throw new NsError('unknown_type', `unknown event type "${pattern.slice(0, 64)}"`);
  } else {
    const message = `unknown channel "${String(pattern).slice(0, 64)}"; expected one of ${CHANNEL_NAMES.join(', ')}`;
    throw new NsError('unknown_channel', message);
  }
  const channels = new Set(types.map((t) => channelForType(t)));
  const channel = channels.size === 1 ? (channels.values().next().value as ChannelName) : undefined;
  return { pattern, types, channel };
}
