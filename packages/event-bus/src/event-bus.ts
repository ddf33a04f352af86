import type { Logger } from '@ns/contracts/support';
import {
  CHANNEL_NAMES,
  NsError,
  channelForType,
  isChannelName,
  type ChannelName,
  type EventType,
  type PublishEvent,
  type PublishEventOf,
  type PublishResult,
  type SinceCursor,
  type ValidPublishEvent,
  validDataJson,
} from '@ns/contracts';
import { BusEvent } from './bus-event.js';
import { BusMetrics, type BusMetricsSnapshot } from './bus-metrics.js';
import type { AppendResult, ChannelHead, Engine, PendingEvent, StoredEvent } from './engine.js';
import { generateEventId } from './event-id.js';
import { resolvePattern } from './event-pattern.js';
import { compileFilter, type EventPredicate } from './filter-compiler.js';
import { MemoryEngine } from './memory-engine.js';
import type { MicroBatchOptions } from './micro-batcher.js';
import { PatternRouter } from './pattern-router.js';
import { validatePublishBatch, validatePublishEvent } from './publish-validation.js';
import { advanceCursor, startCursor, type SeqCursor } from './seq-cursor.js';
import { BatchSubscription, HandlerSubscription, type DeliveryReporter, type Subscription } from './subscription.js';
import { TransformChain, type EventTransform } from './transform-chain.js';

/** Options of {@link EventBus}. */
export interface EventBusOptions {
  /** Sequencing, history and fan-out; default a new {@link MemoryEngine}, closed with the bus. */
  engine?: Engine;
  logger?: Logger;
  /** Clock for `ts`, Unix seconds (float); default `Date.now() / 1000`. */
  now?: () => number;
}

/** A handler of single events. Its return value is ignored; a rejected promise is counted and logged. */
export type EventHandler = (event: BusEvent) => unknown;
/** A handler of micro-batches. */
export type BatchHandler = (events: BusEvent[]) => unknown;

/**
 * A subscription filter: the channel's typed filter object (docs/protocol.md#filters) (e.g. `{ min_score: 7 }`,
 * validated and compiled once) or a predicate `(envelope) => boolean`.
 */
export type SubscriptionFilter = EventPredicate | object;

/** Options of {@link EventBus.subscribe}. */
export interface SubscribeOptions {
  /** Typed filter (the pattern must then lie within one channel) or predicate. Compiled once. */
  filter?: SubscriptionFilter | undefined;
  /** Opt into micro-batches: the handler then receives `BusEvent[]`. */
  batch?: MicroBatchOptions;
}

/**
 * The in-process backbone between publishers and the WebSocket fan-out: validates and transforms
 * published events, has the {@link Engine} sequence, store and fan them out, and routes every event
 * the engine delivers to matching subscriptions (by type, wildcard or channel; filtered; one by one
 * or micro-batched). Handlers never disturb publishers or each other.
 */
export class EventBus {
  readonly engine: Engine;
  readonly #ownsEngine: boolean;
  readonly #logger: Logger | undefined;
  readonly #now: () => number;
  readonly #router = new PatternRouter<Subscription>();
  readonly #subscriptions = new Set<Subscription>();
  readonly #transforms = new TransformChain();
  readonly #metrics = new BusMetrics();
  /** Per channel, the last event this bus dispatched: repeats from the engine feed are discarded. */
  readonly #lastSeen: Record<ChannelName, SeqCursor>;
  readonly #detachEngine: () => void;
  readonly #reporter: DeliveryReporter;
  #closed = false;

  constructor(options: EventBusOptions = {}) {
    this.engine = options.engine ?? new MemoryEngine({ logger: options.logger });
    this.#ownsEngine = options.engine === undefined;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => Date.now() / 1000);
    this.#lastSeen = Object.fromEntries(CHANNEL_NAMES.map((c) => [c, startCursor()])) as Record<ChannelName, SeqCursor>;
    const metrics = this.#metrics;
    const logger = this.#logger;
    this.#reporter = {
      delivered: (channel, count) => {
        metrics.delivered[channel] += count;
      },
      dropped: (channel, count) => {
        metrics.dropped[channel] += count;
      },
      failed: (channel, err, pattern) => {
        metrics.handlerErrors[channel]++;
        logger?.error({ err, channel, pattern }, 'event handler failed');
      },
    };
    this.#detachEngine = this.engine.subscribe((event) => this.#dispatch(event));
  }

  /**
   * Validates `event` with `@ns/contracts` (`NsError` `invalid_message` / `unknown_type` naming the
   * field) — unless it is a {@link ValidPublishEvent} the contracts' parser returned, which is trusted
   * as it is — applies the transforms once, appends it through the engine and resolves with
   * `{id, channel, seq}`. The same event again (publisher id, type and data) within the idempotency
   * window resolves with the original result and `duplicate: true`, and is not delivered again; its
   * id on a different event rejects `id_conflict` (path `id`). Engine down → `NsError('unavailable')`.
   */
  async publish(event: PublishEvent | PublishEventOf<EventType>): Promise<PublishResult> {
    const started = performance.now();
    const pending = this.#prepare([validatePublishEvent(event)]);
    let result: PublishResult | undefined;
    try {
      [result] = await this.#append(pending);
    } catch (err) {
      throw err instanceof NsError && err.code === 'id_conflict' ? singleEventError(err) : err;
    }
    this.#metrics.observeLatency((performance.now() - started) / 1000);
    return result as PublishResult;
  }

  /**
   * Publishes up to 1000 events atomically: all are validated (and transformed) first — a batch of
   * {@link ValidPublishEvent}s (the publish route's) is trusted as it is, no second pass — any invalid
   * one rejects the whole batch with per-index issues and nothing is published — then appended in
   * one engine call. Results are in input order. Repeats are answered as by {@link publish}; one
   * id held by a different event rejects the whole batch `id_conflict` (issues `events[i].id`) and
   * nothing of it is published.
   */
  async publishBatch(events: readonly (PublishEvent | PublishEventOf<EventType>)[]): Promise<PublishResult[]> {
    const started = performance.now();
    const valid = validatePublishBatch(events);
    if (valid.length === 0) return [];
    const results = await this.#append(this.#prepare(valid));
    this.#metrics.observeLatency((performance.now() - started) / 1000);
    return results;
  }

  /**
   * Calls `handler` for every event matching `pattern`: an exact type (`threat.new`), a wildcard
   * (`threat.*`, `*`) or a channel (`threats`), optionally filtered. Returns the unsubscribe function.
   * Handlers run synchronously in seq order; a returned promise is not awaited, and a throw or
   * rejection is counted in `handlerErrors` and logged, never thrown into publishers.
   */
  subscribe(pattern: string, handler: BatchHandler, options: SubscribeOptions & { batch: MicroBatchOptions }): () => void;
  subscribe(pattern: string, handler: EventHandler, options?: SubscribeOptions & { batch?: undefined }): () => void;
  subscribe(pattern: string, handler: EventHandler | BatchHandler, options: SubscribeOptions = {}): () => void {
    this.#assertOpen();
    if (typeof handler !== 'function') throw new NsError('invalid_message', 'handler must be a function');
    const resolved = resolvePattern(pattern);
    const filter = this.#compile(resolved.channel, options.filter);
    const subscription: Subscription =
      options.batch === undefined
        ? new HandlerSubscription(pattern, filter, handler as EventHandler, this.#reporter)
        : new BatchSubscription(pattern, filter, options.batch, handler as BatchHandler, this.#reporter);
    return this.#register(resolved.types, subscription);
  }

  /**
   * Reads what a subscriber resuming after `since` must be sent (see `Engine.readSince`): the channel's
   * head (`epoch`, `seq`), whether everything after `since` is still there (`recovered`), and the
   * history or latest-per-key snapshot as bus events sharing their JSON. The caller joins the live
   * feed before reading and delivers only events past the head afterwards (`@ns/ws-manager` does).
   */
  async readSince(
    channel: ChannelName,
    since: SinceCursor | undefined,
  ): Promise<{ epoch: string; seq: number; recovered: boolean; events: BusEvent[] }> {
    this.#assertOpen();
    if (!isChannelName(channel)) throw new NsError('unknown_channel', `unknown channel "${String(channel).slice(0, 64)}"`);
    try {
      const read = await this.engine.readSince(channel, since);
      return { epoch: read.epoch, seq: read.seq, recovered: read.recovered, events: read.events.map(toBusEvent) };
    } catch (err) {
      throw this.#engineError(err);
    }
  }

  /** Retained events of `channel` (see `Engine.history`), as bus events sharing their JSON. */
  async history(
    channel: ChannelName,
    options: { sinceSeq?: number; limit?: number } = {},
  ): Promise<{ epoch: string; seq: number; events: BusEvent[] }> {
    if (!isChannelName(channel)) throw new NsError('unknown_channel', `unknown channel "${String(channel).slice(0, 64)}"`);
    try {
      const page = await this.engine.history(channel, options);
      return { epoch: page.epoch, seq: page.seq, events: page.events.map(toBusEvent) };
    } catch (err) {
      throw this.#engineError(err);
    }
  }

  /** Current epoch and seq of every channel. */
  async heads(): Promise<Record<ChannelName, ChannelHead>> {
    try {
      return await this.engine.heads();
    } catch (err) {
      throw this.#engineError(err);
    }
  }

  /**
   * Adds a pure transform for events matching `pattern`, run in registration order, once per event
   * before it is sequenced. Returns its removal function.
   */
  use(pattern: string, transform: EventTransform): () => void {
    return this.#transforms.use(pattern, transform);
  }

  /** A copy of the bus's counters and publish-latency histogram. */
  metrics(): BusMetricsSnapshot {
    return this.#metrics.snapshot();
  }

  /**
   * Detaches from the engine, flushes pending micro-batches and ends every subscription; later
   * publishes reject with `unavailable`. Closes the engine only when the bus created it.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#detachEngine();
    for (const s of this.#subscriptions) s.close(true);
    this.#subscriptions.clear();
    this.#router.clear();
    if (this.#ownsEngine) await this.engine.close();
  }

  #register(types: readonly EventType[], subscription: Subscription): () => void {
    const unroute = this.#router.add(types, subscription);
    this.#subscriptions.add(subscription);
    return () => {
      unroute();
      this.#subscriptions.delete(subscription);
      subscription.close(false);
    };
  }

  #compile(channel: ChannelName | undefined, filter: unknown): EventPredicate | undefined {
    if (filter === undefined) return undefined;
    if (typeof filter === 'function') return filter as EventPredicate;
    if (channel === undefined) {
      throw new NsError('invalid_message', 'filter: a typed filter needs a pattern within one channel; use a predicate', {
        issues: [{ path: 'filter', code: 'invalid_pattern', message: 'typed filters apply to one channel' }],
      });
    }
    return compileFilter(channel, filter);
  }

  #prepare(events: readonly ValidPublishEvent[]): PendingEvent[] {
    const ts = this.#now();
    return events.map((e) => {
      const id = e.id ?? generateEventId();
      const data = e.data as Record<string, unknown>;
      const untransformed = this.#transforms.isEmptyFor(e.type);
      return {
        id,
        type: e.type,
        channel: channelForType(e.type),
        ts,
        data: untransformed ? data : this.#transforms.apply(e.type, id, data),
        idempotent: e.id !== undefined,
        // The parser's serialization of `data` becomes the envelope's, unless a transform changed `data`.
        dataJson: untransformed ? validDataJson(e) : undefined,
      };
    });
  }

  async #append(pending: PendingEvent[]): Promise<PublishResult[]> {
    this.#assertOpen();
    // Readiness is the engine's to decide: a down engine rejects the append with `unavailable`.
    let appended: AppendResult[];
    try {
      appended = await this.engine.append(pending);
    } catch (err) {
      throw this.#engineError(err);
    }
    return appended.map((r, i) => {
      if (r.duplicate) {
        this.#metrics.duplicates++;
        return { id: r.id, channel: r.channel, seq: r.seq, duplicate: true };
      }
      this.#metrics.countPublished((pending[i] as PendingEvent).type, r.channel);
      return { id: r.id, channel: r.channel, seq: r.seq };
    });
  }

  #dispatch(stored: StoredEvent): void {
    const event = toBusEvent(stored);
    const { channel, seq, epoch } = event.envelope;
    if (!advanceCursor(this.#lastSeen[channel], epoch, seq)) {
      this.#metrics.dropped[channel]++;
      return;
    }
    let filteredOut = 0;
    for (const subscription of this.#router.get(event.type)) {
      if (!subscription.active) continue;
      const filter = subscription.filter;
      if (filter !== undefined) {
        let pass: boolean;
        try {
          pass = filter(event.envelope);
        } catch (err) {
          this.#reporter.failed(channel, err, subscription.pattern);
          continue;
        }
        if (!pass) {
          filteredOut++;
          continue;
        }
      }
      subscription.deliver(event);
    }
    // Counted once per event, not once per subscription: this loop is the hot path.
    if (filteredOut > 0) this.#metrics.filteredOut[channel] += filteredOut;
  }

  #engineError(err: unknown): NsError {
    if (err instanceof NsError) return err;
    const reason = err instanceof Error ? err.message : String(err);
    return new NsError('unavailable', `engine ${this.engine.name} failed: ${reason}`, { cause: err });
  }

  #assertOpen(): void {
    if (this.#closed) throw new NsError('unavailable', 'event bus is closed');
  }
}

/** An engine's batch error about one event, as it reads for a single publish: path `id`, no index. */
function singleEventError(err: NsError): NsError {
  const issues = err.issues?.map(({ index: _index, ...issue }) => ({ ...issue, path: issue.path.replace(/^events\[\d+\]\./, '') }));
  return new NsError(err.code, err.message, { ...(issues !== undefined && { issues }), ...(err.details !== undefined && { details: err.details }) });
}

function toBusEvent(stored: StoredEvent): BusEvent {
  return stored instanceof BusEvent ? stored : new BusEvent(stored.envelope, stored.json);
}
