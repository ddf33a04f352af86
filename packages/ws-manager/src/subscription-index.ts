import { CHANNEL_NAMES, type ChannelName, type EventEnvelope } from '@ns/contracts';
import type { Connection } from './connection.js';

/** One connection's subscription to one channel. */
export interface Subscription {
  readonly connection: Connection;
  readonly channel: ChannelName;
  /** Compiled typed filter, or `null` for "everything". */
  readonly filter: ((event: EventEnvelope) => boolean) | null;
  /** Epoch and seq of the last event handed to the connection; guards the replay → live boundary. */
  epoch: string;
  lastSeq: number;
}

/**
 * Channel → live subscriptions, the set the fan-out walks for every event. Sets keep removal O(1) and
 * are safe to modify while being iterated (a connection closing during a fan-out).
 */
export class SubscriptionIndex {
  readonly #byChannel = new Map<ChannelName, Set<Subscription>>(CHANNEL_NAMES.map((c) => [c, new Set()]));

  /** Live subscriptions of `channel`. */
  of(channel: ChannelName): ReadonlySet<Subscription> {
    return this.#byChannel.get(channel) as Set<Subscription>;
  }

  add(subscription: Subscription): void {
    this.#set(subscription.channel).add(subscription);
    subscription.connection.subscriptions.set(subscription.channel, subscription);
  }

  /** Removes `subscription` from the index and from its connection; true when it was there. */
  remove(subscription: Subscription): boolean {
    const connection = subscription.connection;
    if (connection.subscriptions.get(subscription.channel) === subscription) connection.subscriptions.delete(subscription.channel);
    return this.#set(subscription.channel).delete(subscription);
  }

  /** Drops a connection from every channel (on close). */
  removeConnection(connection: Connection): void {
    for (const s of connection.subscriptions.values()) this.#set(s.channel).delete(s);
    connection.subscriptions.clear();
  }

  /** Number of subscriptions per channel. */
  counts(): Record<ChannelName, number> {
    const out = {} as Record<ChannelName, number>;
    for (const [c, set] of this.#byChannel) out[c] = set.size;
    return out;
  }

  #set(channel: ChannelName): Set<Subscription> {
    return this.#byChannel.get(channel) as Set<Subscription>;
  }
}
