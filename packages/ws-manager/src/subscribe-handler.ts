import {
  CHANNELS,
  readDenial,
  toNsError,
  type ChannelName,
  type ErrorCode,
  type ErrorMessage,
  type PingMessage,
  type SubscribeMessage,
  type UnsubscribeMessage,
} from '@ns/contracts';
import { compileFilter, type EventBus } from '@ns/event-bus';
import type { FrameSink } from './frame-sink.js';
import type { Logger } from '@ns/contracts/support';
import { ReplayBudget } from './replay-budget.js';
import type { EnvelopeFilter, Subscriptions } from './subscriptions.js';

/** Messages the manager answers itself (`auth` belongs to the endpoint). */
export type ManagedMessage = SubscribeMessage | UnsubscribeMessage | PingMessage;

/** What {@link SubscribeHandler} works with. */
export interface SubscribeHandlerOptions {
  bus: EventBus;
  subscriptions: Subscriptions;
  maxSubscriptions: number;
  replayBytesPerS: number;
  logger: Logger;
}

/** An access decision: why a sink may not read a channel. */
export interface Denial {
  code: ErrorCode;
  message: string;
}

/**
 * The subscribe protocol (docs/protocol.md#messages): checks and replies for `subscribe`, `unsubscribe`
 * and `ping`. Permission, the per-sink cap, the replay budget and the filter are checked here; the
 * subscription itself (replay buffer, cursor, going live) is the {@link Subscriptions} owner's.
 */
export class SubscribeHandler {
  readonly #bus: EventBus;
  readonly #subscriptions: Subscriptions;
  readonly #max: number;
  readonly #replayBytesPerS: number;
  readonly #logger: Logger;
  readonly #budgets = new WeakMap<FrameSink, ReplayBudget>();
  /** Subscribes refused (`rate_limited`) because the sink's replay budget was spent. */
  replaysRefused = 0;

  constructor(options: SubscribeHandlerOptions) {
    this.#bus = options.bus;
    this.#subscriptions = options.subscriptions;
    this.#max = options.maxSubscriptions;
    this.#replayBytesPerS = options.replayBytesPerS;
    this.#logger = options.logger;
  }

  /** Answers `subscribe`, `unsubscribe` and `ping`. Never throws: failures become `error` replies. */
  async handle(sink: FrameSink, message: ManagedMessage): Promise<void> {
    try {
      switch (message.type) {
        case 'subscribe':
          await this.subscribe(sink, message);
          return;
        case 'unsubscribe':
          this.#subscriptions.endChannel(sink, message.channel);
          sink.send({ type: 'unsubscribed', ...(message.id === undefined ? {} : { id: message.id }), channel: message.channel });
          return;
        case 'ping':
          sink.send({ type: 'pong', ...(message.id === undefined ? {} : { id: message.id }), server_time: Date.now() / 1000 });
          return;
      }
    } catch (err) {
      this.#logger.error({ connection_id: sink.id, err }, 'message handling failed');
      replyError(sink, 'internal', 'internal error', message.id);
    }
  }

  /**
   * Subscribes `sink` to a channel: replies `subscribed` {channel, epoch, seq, recovered, replayed},
   * queues the replayed events (history after `since`, or the latest-per-key snapshot of
   * `status`/`metrics`), then live events — seq strictly increasing, no gap, no duplicate. Resolves with
   * true when subscribed; a refusal is an `error` reply naming the reason.
   */
  async subscribe(sink: FrameSink, message: SubscribeMessage): Promise<boolean> {
    const { channel, id } = message;
    const denied = denial(sink, channel);
    if (denied !== undefined) {
      replyError(sink, denied.code, denied.message, id, { channel });
      return false;
    }
    const subscriptions = this.#subscriptions;
    if (!subscriptions.has(sink, channel) && subscriptions.count(sink) >= this.#max) {
      replyError(sink, 'too_many_subscriptions', `at most ${this.#max} subscriptions per connection`, id, { limit: this.#max });
      return false;
    }
    // A subscribe that replays (a snapshot, or history after `since`) spends the sink's replay budget;
    // while it is in debt such a subscribe is refused and the current subscription stays.
    const replays = message.since !== undefined || CHANNELS[channel].delivery === 'latest';
    const budget = replays ? this.#budget(sink) : undefined;
    const waitMs = budget?.waitMs() ?? 0;
    if (waitMs > 0) {
      this.replaysRefused++;
      const rate = this.#replayBytesPerS;
      replyError(sink, 'rate_limited', `replays (snapshots and history) are limited to ${rate} bytes per second per connection; retry in ${waitMs} ms`, id, {
        channel,
        retry_after_ms: waitMs,
      });
      return false;
    }
    let filter: EnvelopeFilter = null;
    try {
      if (message.filter !== undefined && Object.keys(message.filter).length > 0) filter = compileFilter(channel, message.filter);
    } catch (err) {
      const e = toNsError(err);
      replyError(sink, e.code, e.message, id);
      return false;
    }

    // Join the fan-out (buffering) before reading, so nothing published during the read is missed.
    const subscription = subscriptions.begin(sink, channel, filter, message.filter);
    let read;
    try {
      // A live-only subscribe (no cursor, lossless channel) needs the channel's head alone: a history
      // page of no events is one small read, where readSince reads every retained event (up to the
      // whole ring, from Redis too) only for the replay below to drop them.
      // (Built key by key: a literal that starts with a spread and adds a key gets a hidden class of its
      // own on Node 20's V8, one more map per subscribe.)
      if (replays) read = await this.#bus.readSince(channel, message.since);
      else {
        const head = await this.#bus.history(channel, { limit: 0 });
        read = { epoch: head.epoch, seq: head.seq, events: head.events, recovered: false };
      }
    } catch (err) {
      subscriptions.end(subscription);
      const e = toNsError(err);
      replyError(sink, e.code, e.message, id);
      return false;
    }
    if (subscription.state !== 'replaying' || sink.state !== 'open') {
      subscriptions.end(subscription);
      return false;
    }
    // Without a cursor, lossless channels start live (history is served over HTTP); latest-per-key
    // channels always start with their snapshot.
    const replay = replays ? read.events.filter((e) => filter === null || filter(e.envelope)) : [];
    sink.send({
      type: 'subscribed',
      ...(id === undefined ? {} : { id }),
      channel,
      epoch: read.epoch,
      seq: read.seq,
      recovered: read.recovered,
      replayed: replay.length,
    });
    const bytes = subscriptions.goLive(subscription, read.epoch, read.seq, replay);
    if (bytes === undefined) return false;
    budget?.spend(bytes);
    // The replay may have overflowed the sink's byte cap (closed as a slow consumer).
    if (sink.state !== 'open') return false;
    this.#logger.debug?.({ connection_id: sink.id, channel, since: message.since, replayed: replay.length }, 'subscribed');
    return true;
  }

  /**
   * Re-checks `sink`'s subscriptions after its principal changed: each one it may no longer read is
   * ended with a `forbidden` (or `unauthorized`) error naming the channel.
   */
  recheck(sink: FrameSink): void {
    for (const subscription of this.#subscriptions.of(sink)) {
      const denied = denial(sink, subscription.channel);
      if (denied === undefined) continue;
      this.#subscriptions.end(subscription);
      replyError(sink, denied.code, `${denied.message}; unsubscribed`, undefined, { channel: subscription.channel });
    }
  }

  #budget(sink: FrameSink): ReplayBudget {
    let budget = this.#budgets.get(sink);
    if (budget === undefined) this.#budgets.set(sink, (budget = new ReplayBudget(this.#replayBytesPerS)));
    return budget;
  }
}

/**
 * Why `sink` may not read `channel` now, or `undefined` when it may: a sink not yet open (still
 * authenticating) reads nothing; an open one follows the channel-read rule HTTP follows too
 * (`readDenial` in @ns/contracts), with the same messages.
 */
export function denial(sink: FrameSink, channel: ChannelName): Denial | undefined {
  if (sink.state !== 'open') return { code: 'unauthorized', message: 'authenticate first' };
  return readDenial(sink.principal, channel) ?? undefined;
}

/** Sends an `error` reply. */
export function replyError(sink: FrameSink, code: ErrorCode, message: string, id?: string, details?: Record<string, unknown>): void {
  const reply: ErrorMessage = { type: 'error', code, message };
  if (id !== undefined) reply.id = id;
  if (details !== undefined) reply.details = details;
  sink.send(reply);
}
