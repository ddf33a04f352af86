import type { Duplex } from 'node:stream';
import { CHANNEL_NAMES, CHANNELS, CLOSE_CODES, DEFAULT_MAX_SUBSCRIPTIONS, type ChannelName, type ErrorCode, type Principal, type SubscribeMessage } from '@ns/contracts';
import type { EngineLoss, EventBus } from '@ns/event-bus';
import type { WebSocket } from 'ws';
import { DEFAULT_MAX_BUFFERED_BYTES } from './backpressure.js';
import { Connection, type ConnectionInit } from './connection.js';
import type { FrameSink, SinkHost } from './frame-sink.js';
import { DEFAULT_WRITE_DELAY_MS, FrameCoalescer } from './frame-coalescer.js';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_PONG_TIMEOUT_MS, Heartbeat } from './heartbeat.js';
import { DEFAULT_REPLAY_BYTES_PER_S } from './replay-budget.js';
import { silentLogger, type Logger } from '@ns/contracts/support';
import { SinkRegistry } from './sink-registry.js';
import { SubscribeHandler, replyError, type ManagedMessage } from './subscribe-handler.js';
import { Subscriptions } from './subscriptions.js';

/** Options of {@link WsManager}. */
export interface WsManagerOptions {
  bus: EventBus;
  /** Coalescing window in milliseconds (`NS_WRITE_DELAY_MS`); 0 = once per event-loop turn. Default 2. */
  writeDelayMs?: number;
  /** Per-sink cap on queued plus transport-buffered bytes. Default 1 MiB. */
  maxBufferedBytes?: number;
  /** Protocol ping interval (WebSocket connections). Default 25 000. */
  heartbeatMs?: number;
  /** Time to answer a ping before the connection is terminated. Default 10 000. */
  pongTimeoutMs?: number;
  /** Subscriptions per sink (`NS_MAX_SUBSCRIPTIONS`). Default 64. */
  maxSubscriptions?: number;
  /**
   * Bytes of replayed events (history after `since`, latest-per-key snapshots) per sink per second,
   * bursts of four times that (`NS_REPLAY_BYTES_PER_S`); see `ReplayBudget`. Default 256 KiB.
   */
  replayBytesPerS?: number;
  /** A pino logger (or anything with the same methods). Default: silent. */
  logger?: Logger;
}

/** Counters of a {@link WsManager}. */
export interface WsManagerStats {
  /** Registered sinks (WebSocket connections and other transports' streams). */
  connections: number;
  /** Live subscriptions per channel. */
  subscriptions: Record<ChannelName, number>;
  /** Event frames written to sinks, per channel. */
  delivered: Record<ChannelName, number>;
  /** Event frames dropped by backpressure (ephemeral, or replaced latest-per-key), per channel. */
  dropped: Record<ChannelName, number>;
  /** Sinks closed with 4008. */
  slowConsumerCloses: number;
  /** Connections terminated for not answering a ping. */
  heartbeatTerminations: number;
  /** Sinks closed with 4008 because the engine lost events of a lossless channel they read. */
  lossCloses: number;
  /** Subscribes refused (`rate_limited`) because the sink's replay budget was spent. */
  replaysRefused: number;
}

const zeroPerChannel = (): Record<ChannelName, number> =>
  Object.fromEntries(CHANNEL_NAMES.map((c) => [c, 0])) as Record<ChannelName, number>;

/**
 * The delivery core (docs/architecture.md#fan-out): registers sinks (WebSocket {@link Connection}s, or
 * another transport's {@link FrameSink}s), answers their subscribe protocol, and fans every bus event
 * out — framed once per transport, filtered per subscription, queued on each matching sink, written
 * once per coalescing window with backpressure by delivery class. Subscriptions are owned by
 * {@link Subscriptions}; the protocol replies by {@link SubscribeHandler}. Knows nothing of HTTP.
 */
export class WsManager {
  readonly bus: EventBus;
  readonly heartbeatMs: number;
  readonly maxSubscriptions: number;
  readonly replayBytesPerS: number;

  readonly #registry = new SinkRegistry();
  readonly #subscriptions = new Subscriptions((sink) => this.#changed(sink));
  readonly #changeListeners: ((sink: FrameSink) => void)[] = [];
  readonly #handler: SubscribeHandler;
  readonly #heartbeat: Heartbeat;
  readonly #host: SinkHost;
  readonly #logger: Logger;
  readonly #detach: (() => void)[];
  #slowConsumerCloses = 0;
  #heartbeatTerminations = 0;
  #lossCloses = 0;
  #closing: Promise<void> | undefined;
  #onEmpty: (() => void)[] = [];

  constructor(options: WsManagerOptions) {
    this.bus = options.bus;
    this.#logger = options.logger ?? silentLogger;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.maxSubscriptions = options.maxSubscriptions ?? DEFAULT_MAX_SUBSCRIPTIONS;
    this.replayBytesPerS = options.replayBytesPerS ?? DEFAULT_REPLAY_BYTES_PER_S;
    if (!(this.replayBytesPerS > 0)) throw new RangeError('replayBytesPerS must be > 0');
    const maxBufferedBytes = options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
    if (!(maxBufferedBytes > 0)) throw new RangeError('maxBufferedBytes must be > 0');
    this.#handler = new SubscribeHandler({
      bus: this.bus,
      subscriptions: this.#subscriptions,
      maxSubscriptions: this.maxSubscriptions,
      replayBytesPerS: this.replayBytesPerS,
      logger: this.#logger,
    });
    this.#host = {
      coalescer: new FrameCoalescer(options.writeDelayMs ?? DEFAULT_WRITE_DELAY_MS),
      maxBufferedBytes,
      logger: this.#logger,
      delivered: zeroPerChannel(),
      dropped: zeroPerChannel(),
      channelsOf: (sink) => this.#subscriptions.channelsOf(sink),
      onSlowConsumer: (sink) => {
        this.#slowConsumerCloses++;
        this.#logger.warn({ connection_id: sink.id, buffered_bytes: sink.bufferedBytes }, 'slow consumer closed (4008)');
      },
      onUnresponsive: (sink) => {
        this.#heartbeatTerminations++;
        this.#logger.info({ connection_id: sink.id }, 'no pong within the heartbeat window; terminating');
      },
      onClosed: (sink) => this.#onClosed(sink),
    };
    this.#heartbeat = new Heartbeat({
      intervalMs: this.heartbeatMs,
      pongTimeoutMs: options.pongTimeoutMs ?? DEFAULT_PONG_TIMEOUT_MS,
      targets: () => this.#registry.connections(),
    });
    // One bus subscription per channel; per-subscription filtering happens in the fan-out loop.
    const subscriptions = this.#subscriptions;
    this.#detach = CHANNEL_NAMES.map((channel) => this.bus.subscribe(channel, (event) => subscriptions.fanOut(event)));
    const detachLoss = this.bus.engine.onLoss?.((loss) => this.#onEngineLoss(loss));
    if (detachLoss !== undefined) this.#detach.push(detachLoss);
  }

  /** Coalescing window in milliseconds. */
  get writeDelayMs(): number {
    return this.#host.coalescer.writeDelayMs;
  }

  /**
   * Adopts an upgraded WebSocket. `socket` is the raw socket `ws` was given (the upgrade's socket): the
   * fan-out writes pre-built frames to it directly. The connection starts `accepting`; call
   * `connection.open()` once it is authenticated.
   */
  accept(ws: WebSocket, socket: Duplex, init: ConnectionInit = {}): Connection {
    return this.register((host) => new Connection(ws, socket, host, init));
  }

  /**
   * Registers a sink of any transport: `create` receives the {@link SinkHost} the sink reports to
   * (subclass `QueuedSink` to get queueing, backpressure and coalescing). While the manager shuts down
   * the new sink is closed with 1001 at once. Subscribe it with {@link subscribe} or {@link handle}.
   */
  register<S extends FrameSink>(create: (host: SinkHost) => S): S {
    const sink = create(this.#host);
    this.#registry.add(sink);
    this.#changed(sink);
    if (this.#closing !== undefined) sink.close(CLOSE_CODES.GOING_AWAY, 'server shutting down');
    else if (sink instanceof Connection) this.#heartbeat.start();
    return sink;
  }

  /** The registered sink with `id`. */
  sink(id: string): FrameSink | undefined {
    return this.#registry.get(id);
  }

  /** Every registered sink, of every transport (admin listings: id, principal, channels, bytes). */
  sinks(): IterableIterator<FrameSink> {
    return this.#registry.values();
  }

  /** Every WebSocket connection. */
  connections(): IterableIterator<Connection> {
    return this.#registry.connections();
  }

  /** Channels `sink` is subscribed to (live or still replaying). */
  channelsOf(sink: FrameSink): ChannelName[] {
    return this.#subscriptions.channelsOf(sink);
  }

  /**
   * Calls `listener` with a sink whenever what presence reads of it may have changed: registered,
   * a subscription begun or ended, its principal changed, closed (then it is no longer in
   * {@link sinks}). Synchronous and frequent: the listener should only note the sink. Returns the
   * unsubscribe.
   */
  onSinkChange(listener: (sink: FrameSink) => void): () => void {
    this.#changeListeners.push(listener);
    return () => {
      const i = this.#changeListeners.indexOf(listener);
      if (i >= 0) this.#changeListeners.splice(i, 1);
    };
  }

  #changed(sink: FrameSink): void {
    for (const listener of this.#changeListeners) listener(sink);
  }

  /** Answers `subscribe`, `unsubscribe` and `ping`. Never throws: failures become `error` replies. */
  handle(sink: FrameSink, message: ManagedMessage): Promise<void> {
    return this.#handler.handle(sink, message);
  }

  /**
   * Subscribes `sink` to a channel with an optional typed filter and resume cursor (`since`), after
   * checking permission, the subscription cap, the replay budget and the filter: replies `subscribed`,
   * queues the replay, then live events (docs/protocol.md#resume). Resolves true when subscribed.
   */
  subscribe(sink: FrameSink, message: SubscribeMessage): Promise<boolean> {
    return this.#handler.subscribe(sink, message);
  }

  /**
   * Changes who a sink acts as (authentication, token refresh). Subscriptions the new principal may not
   * read are ended, each with a `forbidden` error naming the channel.
   */
  setPrincipal(sink: FrameSink, principal: Principal | null): void {
    sink.principal = principal;
    this.#changed(sink);
    this.#handler.recheck(sink);
  }

  /** Sends an `error` reply. */
  replyError(sink: FrameSink, code: ErrorCode, message: string, id?: string, details?: Record<string, unknown>): void {
    replyError(sink, code, message, id, details);
  }

  /** A copy of the counters. */
  stats(): WsManagerStats {
    return {
      connections: this.#registry.size,
      subscriptions: this.#subscriptions.counts(),
      delivered: { ...this.#host.delivered },
      dropped: { ...this.#host.dropped },
      slowConsumerCloses: this.#slowConsumerCloses,
      heartbeatTerminations: this.#heartbeatTerminations,
      lossCloses: this.#lossCloses,
      replaysRefused: this.#handler.replaysRefused,
    };
  }

  /**
   * Graceful shutdown: stops the heartbeat, flushes every sink and closes it with 1001, waits up to
   * `graceMs` (default 10 000) for clients to complete the closing handshake, then terminates the
   * stragglers. New sinks are refused from the start. Idempotent.
   */
  close(options: { graceMs?: number; notice?: string } = {}): Promise<void> {
    this.#closing ??= this.#shutdown(options.graceMs ?? 10_000, options.notice ?? 'server shutting down');
    return this.#closing;
  }

  async #shutdown(graceMs: number, notice: string): Promise<void> {
    this.#heartbeat.stop();
    for (const sink of [...this.#registry.values()]) sink.close(CLOSE_CODES.GOING_AWAY, notice);
    await this.#whenEmpty(graceMs);
    for (const sink of [...this.#registry.values()]) sink.terminate();
    // A terminated socket reports 'close' on a later tick.
    await this.#whenEmpty(1_000);
    for (const detach of this.#detach) detach();
    this.#host.coalescer.close();
  }

  #whenEmpty(timeoutMs: number): Promise<void> {
    if (this.#registry.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#onEmpty.push(done);
    });
  }

  /**
   * The engine will never deliver `loss.fromSeq..toSeq` of a lossless channel (docs/protocol.md#channels:
   * never dropped for a live connection). Every sink that would otherwise see a silent seq jump is
   * closed with 4008 after what it already has queued (all before the gap) is flushed: clients resume
   * with `since` and are told `recovered: false`, as after a slow-consumer close. Sinks whose replay
   * already went past the gap, or that read other channels only, are untouched.
   */
  #onEngineLoss(loss: EngineLoss): void {
    if (CHANNELS[loss.channel].delivery !== 'lossless') return;
    const affected = new Set<FrameSink>();
    for (const s of this.#subscriptions.liveOf(loss.channel)) {
      if (s.cursor.epoch === loss.epoch && s.cursor.seq >= loss.toSeq) continue;
      this.#subscriptions.end(s);
      affected.add(s.sink);
    }
    // A subscription still reading its history could bridge the gap unnoticed.
    for (const s of this.#subscriptions.replayingOf(loss.channel)) affected.add(s.sink);
    for (const sink of affected) {
      if (sink.state === 'closing' || sink.state === 'closed') continue;
      this.#lossCloses++;
      sink.close(CLOSE_CODES.SLOW_CONSUMER, 'events lost: resume with since');
    }
    this.#logger.warn({ ...loss, closed: affected.size }, 'engine lost events of a lossless channel; subscribers closed (4008)');
  }

  #onClosed(sink: FrameSink): void {
    this.#subscriptions.endSink(sink);
    this.#registry.delete(sink);
    this.#changed(sink);
    if (this.#registry.size === 0) {
      this.#heartbeat.stop();
      for (const done of this.#onEmpty.splice(0)) done();
    }
  }
}
