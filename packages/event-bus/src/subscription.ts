import type { ChannelName } from '@ns/contracts';
import type { BusEvent } from './bus-event.js';
import type { EventPredicate } from './filter-compiler.js';
import { MicroBatcher, type MicroBatchOptions } from './micro-batcher.js';

/** What a subscription reports back to its bus (counters and logs). */
export interface DeliveryReporter {
  delivered(channel: ChannelName, count: number): void;
  dropped(channel: ChannelName, count: number): void;
  failed(channel: ChannelName, error: unknown, pattern: string): void;
}

/** One registered subscription, as the bus's dispatch sees it. */
export interface Subscription {
  readonly pattern: string;
  /** Compiled filter; `undefined` delivers everything. */
  readonly filter: EventPredicate | undefined;
  /** False once unsubscribed: a dispatch already under way skips it. */
  readonly active: boolean;
  /** Receives an event that passed the filter. */
  deliver(event: BusEvent): void;
  /** Ends the subscription; `flush` hands pending micro-batches over instead of dropping them. */
  close(flush: boolean): void;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';

/**
 * Calls a handler without letting it disturb the caller: a throw is reported, a returned promise is
 * not awaited (a slow handler never delays the next one) and its rejection is reported.
 */
export function invokeHandler<A>(
  handler: (arg: A) => unknown,
  arg: A,
  channel: ChannelName,
  pattern: string,
  reporter: DeliveryReporter,
): void {
  let result: unknown;
  try {
    result = handler(arg);
  } catch (err) {
    reporter.failed(channel, err, pattern);
    return;
  }
  if (isThenable(result)) result.then(undefined, (err: unknown) => reporter.failed(channel, err, pattern));
}

/** Delivers each event to its handler as it is dispatched. */
export class HandlerSubscription implements Subscription {
  active = true;

  constructor(
    readonly pattern: string,
    readonly filter: EventPredicate | undefined,
    private readonly handler: (event: BusEvent) => unknown,
    private readonly reporter: DeliveryReporter,
  ) {}

  deliver(event: BusEvent): void {
    const channel = event.channel;
    this.reporter.delivered(channel, 1);
    invokeHandler(this.handler, event, channel, this.pattern, this.reporter);
  }

  close(): void {
    this.active = false;
  }
}

/** Delivers events in micro-batches (`maxEvents` / `maxDelayMs`). */
export class BatchSubscription implements Subscription {
  active = true;
  readonly #batcher: MicroBatcher<BusEvent>;

  constructor(
    readonly pattern: string,
    readonly filter: EventPredicate | undefined,
    options: MicroBatchOptions,
    handler: (events: BusEvent[]) => unknown,
    private readonly reporter: DeliveryReporter,
  ) {
    this.#batcher = new MicroBatcher(options, (batch) => {
      for (const e of batch) reporter.delivered(e.channel, 1);
      invokeHandler(handler, batch, (batch[0] as BusEvent).channel, pattern, reporter);
    });
  }

  deliver(event: BusEvent): void {
    this.#batcher.push(event);
  }

  close(flush: boolean): void {
    if (!this.active) return;
    this.active = false;
    if (flush) this.#batcher.flush();
    else for (const e of this.#batcher.discard()) this.reporter.dropped(e.channel, 1);
  }
}
