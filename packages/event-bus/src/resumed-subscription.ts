import type { ChannelName } from '@ns/contracts';
import type { BusEvent } from './bus-event.js';
import type { EventPredicate } from './filter-compiler.js';
import { invokeHandler, type DeliveryReporter, type Subscription } from './subscription.js';

/** A subscription resumed from a cursor; returned paused by {@link EventBus.resume}. */
export interface ResumedSubscription {
  channel: ChannelName;
  /** The channel's epoch at resume time (the epoch of `replay`). */
  epoch: string;
  /** The channel's seq when history was read; `replay` ends at or before it, live events follow it. */
  seq: number;
  /** True when `replay` holds every event after `since` (see `Engine.readSince`). */
  recovered: boolean;
  /** Filtered history or latest-per-key snapshot, in seq order, to send before live events. */
  replay: BusEvent[];
  /** Delivers the live events buffered since resume (seq > `seq`), then goes live. Idempotent. */
  start(): void;
  /** Ends the subscription (buffered events are discarded). Idempotent. */
  unsubscribe(): void;
}

/**
 * The live half of a resume: registered before history is read, it buffers events until `start()`,
 * then delivers them and every later event, skipping anything at or before the last seq delivered in
 * the same epoch. Because the engine reads history atomically with the head, buffered events with
 * seq > head are exactly the ones the replay lacks, so the handler sees no gap and no duplicate.
 */
export class ResumeSubscription implements Subscription {
  readonly pattern: string;
  #mode: 'buffering' | 'live' | 'closed' = 'buffering';
  #buffer: BusEvent[] = [];
  #epoch: string | undefined;
  #seq = 0;

  constructor(
    readonly channel: ChannelName,
    readonly filter: EventPredicate | undefined,
    private readonly handler: (event: BusEvent) => void,
    private readonly reporter: DeliveryReporter,
  ) {
    this.pattern = channel;
  }

  get active(): boolean {
    return this.#mode !== 'closed';
  }

  /** Sets the position the replay ends at: only events after it go to the handler. */
  setCursor(epoch: string, seq: number): void {
    this.#epoch = epoch;
    this.#seq = seq;
  }

  deliver(event: BusEvent): void {
    if (this.#mode === 'buffering') this.#buffer.push(event);
    else if (this.#mode === 'live') this.#emit(event);
  }

  start(): void {
    if (this.#mode !== 'buffering') return;
    // Index loop: a handler may publish, and events it causes land in the buffer while we drain it.
    for (let i = 0; i < this.#buffer.length && this.#mode === 'buffering'; i++) this.#emit(this.#buffer[i] as BusEvent);
    this.#buffer = [];
    if (this.#mode === 'buffering') this.#mode = 'live';
  }

  close(): void {
    this.#mode = 'closed';
    this.#buffer = [];
  }

  #emit(event: BusEvent): void {
    const { epoch, seq } = event.envelope;
    // A new epoch voids earlier seqs, so its events always pass; within one epoch, only forward.
    if (epoch === this.#epoch && seq <= this.#seq) return;
    this.#epoch = epoch;
    this.#seq = seq;
    this.reporter.delivered(this.channel, 1);
    invokeHandler(this.handler, event, this.channel, this.pattern, this.reporter);
  }
}
