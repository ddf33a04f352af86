import type { ChannelName, EventEnvelope, SinceCursor } from '@ns/contracts';

/** A handler of one channel's events, as the registry stores it (the public API narrows the type). */
export type EventHandler = (event: EventEnvelope) => void;

/** One channel the app subscribed to; the gateway holds one subscription per channel per connection. */
export interface Subscription {
  readonly channel: ChannelName;
  readonly filter: object | undefined;
  /** Canonical JSON of the filter, to tell "same filter, another handler" from a conflicting one. */
  readonly filterKey: string;
  readonly handlers: Set<{ readonly fn: EventHandler }>;
  /** The `since` sent with the pending subscribe on the current connection, to judge its reply. */
  sentSince: SinceCursor | undefined;
  /** True once `subscribed` arrived on the current connection; events before it are stale and dropped. */
  live: boolean;
}

/** JSON with object keys sorted, so `{a, b}` and `{b, a}` compare equal. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  ) ?? '';
}

/**
 * The app's subscriptions, one per channel, each with any number of handlers. A second `subscribe()`
 * to a channel shares the gateway subscription when its filter is the same and is refused otherwise:
 * silently widening or narrowing the first caller's stream would be a worse surprise.
 */
export class SubscriptionRegistry {
  readonly #byChannel = new Map<ChannelName, Subscription>();

  get(channel: ChannelName): Subscription | undefined {
    return this.#byChannel.get(channel);
  }

  all(): IterableIterator<Subscription> {
    return this.#byChannel.values();
  }

  /**
   * Adds a handler; `created` tells the caller to send a subscribe. Returns the function that removes
   * the handler and tells whether that emptied the subscription (the caller then sends unsubscribe).
   */
  add(channel: ChannelName, filter: object | undefined, fn: EventHandler): { subscription: Subscription; created: boolean; remove: () => boolean } {
    const filterKey = filter === undefined ? '' : canonicalJson(filter);
    let subscription = this.#byChannel.get(channel);
    let created = false;
    if (subscription === undefined) {
      subscription = { channel, filter, filterKey, handlers: new Set(), sentSince: undefined, live: false };
      this.#byChannel.set(channel, subscription);
      created = true;
    } else if (subscription.filterKey !== filterKey) {
      throw new TypeError(
        `already subscribed to "${channel}" with filter ${subscription.filterKey || '{}'}; ` +
          'unsubscribe first to change the filter (the gateway keeps one subscription per channel)',
      );
    }
    const registration = { fn };
    const sub = subscription;
    sub.handlers.add(registration);
    let removed = false;
    const remove = (): boolean => {
      if (removed) return false;
      removed = true;
      sub.handlers.delete(registration);
      if (sub.handlers.size > 0 || this.#byChannel.get(channel) !== sub) return false;
      this.#byChannel.delete(channel);
      return true;
    };
    return { subscription: sub, created, remove };
  }

  /** Marks every subscription as not yet confirmed (the connection ended). */
  markAllPending(): void {
    for (const sub of this.#byChannel.values()) {
      sub.live = false;
      sub.sentSince = undefined;
    }
  }
}
