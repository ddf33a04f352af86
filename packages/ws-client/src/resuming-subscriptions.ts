import type { ChannelName, ClientMessage, EventEnvelope, SinceCursor, SubscribedMessage } from '@ns/contracts';
import { CursorStore } from './cursor-store.js';
import { SubscriptionRegistry, type EventHandler, type Subscription } from './subscriptions.js';
import type { ClientEvents } from './types.js';

/** What the subscriptions tell the client: events for `on()`, and handler failures to report. */
export interface SubscriptionHooks {
  emit<K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]): void;
  handlerFailed(channel: ChannelName, cause: unknown): void;
}

/**
 * The app's subscriptions across connections: handlers per channel, each channel's resume cursor, the
 * subscribe requests in flight, and the deduplicated delivery of events (counted for `stats()`). The
 * client owns the connection; this owns what survives it.
 */
export class ResumingSubscriptions {
  readonly #registry = new SubscriptionRegistry();
  readonly #cursors = new CursorStore();
  /** Which channel each pending subscribe request id was for, to attach server errors to it. */
  readonly #requests = new Map<string, ChannelName>();
  readonly #hooks: SubscriptionHooks;
  #delivered = 0;
  #duplicates = 0;

  constructor(hooks: SubscriptionHooks) {
    this.#hooks = hooks;
  }

  get delivered(): number {
    return this.#delivered;
  }

  get duplicates(): number {
    return this.#duplicates;
  }

  /**
   * Adds a handler; `created` tells the caller to send a subscribe. `remove` removes the handler and
   * tells whether that emptied the subscription (the caller then sends unsubscribe); the channel's
   * cursor is forgotten with it.
   */
  add(
    channel: ChannelName,
    since: SinceCursor | undefined,
    filter: object | undefined,
    handler: EventHandler,
  ): { subscription: Subscription; created: boolean; remove: () => boolean } {
    const { subscription, created, remove } = this.#registry.add(channel, filter, handler);
    if (created && since !== undefined) this.#cursors.set(channel, since);
    return {
      subscription,
      created,
      remove: () => {
        if (!remove()) return false;
        this.#cursors.delete(channel);
        return true;
      },
    };
  }

  all(): IterableIterator<Subscription> {
    return this.#registry.all();
  }

  cursor(channel: ChannelName): SinceCursor | undefined {
    return this.#cursors.get(channel);
  }

  cursors(): Partial<Record<ChannelName, SinceCursor>> {
    return this.#cursors.snapshot();
  }

  /** The `subscribe` request for `subscription` on a new or current connection, resuming from its cursor. */
  subscribeRequest(subscription: Subscription, id: string): ClientMessage {
    const since = this.#cursors.get(subscription.channel);
    subscription.sentSince = since;
    subscription.live = false;
    this.#requests.set(id, subscription.channel);
    const message: Record<string, unknown> = { type: 'subscribe', id, channel: subscription.channel };
    if (subscription.filter !== undefined) message.filter = subscription.filter;
    if (since !== undefined) message.since = since;
    return message as ClientMessage;
  }

  /** The channel a request id was for (consumed: an id is answered once). */
  takeRequest(id: string | undefined): ChannelName | undefined {
    if (id === undefined) return undefined;
    const channel = this.#requests.get(id);
    this.#requests.delete(id);
    return channel;
  }

  /** The connection ended: every subscription waits for its next `subscribed`. */
  connectionLost(): void {
    this.#registry.markAllPending();
    this.#requests.clear();
  }

  onSubscribed(message: SubscribedMessage): void {
    const subscription = this.#registry.get(message.channel);
    if (message.id !== undefined) this.#requests.delete(message.id);
    if (subscription === undefined) return; // unsubscribed while the request was in flight
    const since = subscription.sentSince;
    subscription.live = true;
    const { gap } = this.#cursors.subscribed(message, since);
    this.#hooks.emit('subscribed', message);
    if (gap) {
      this.#hooks.emit('gap', { channel: message.channel, reason: 'not_recovered', ...(since && { since }), epoch: message.epoch, seq: message.seq });
    }
  }

  onEvent(event: EventEnvelope): void {
    const subscription = this.#registry.get(event.channel);
    // Events before `subscribed` belong to an earlier subscription of this channel: the replay that
    // follows `subscribed` covers them.
    if (subscription === undefined || !subscription.live) return;
    const acceptance = this.#cursors.accept(event);
    if (acceptance === 'duplicate') {
      this.#duplicates += 1;
      return;
    }
    if (acceptance === 'new_epoch') {
      this.#hooks.emit('gap', { channel: event.channel, reason: 'epoch_changed', epoch: event.epoch, seq: event.seq });
    }
    this.#deliver(subscription, event);
  }

  #deliver(subscription: Subscription, event: EventEnvelope): void {
    this.#delivered += 1;
    for (const registration of [...subscription.handlers]) {
      if (!subscription.handlers.has(registration)) continue;
      try {
        registration.fn(event);
      } catch (err) {
        this.#hooks.handlerFailed(subscription.channel, err);
      }
    }
  }
}
