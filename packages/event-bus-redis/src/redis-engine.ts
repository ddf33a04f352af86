import {
  CHANNEL_NAMES,
  CHANNELS,
  IDEMPOTENCY_WINDOW_MS,
  NsError,
  isChannelName,
  latestKeyOf,
  type ChannelName,
  type ChannelSpec,
  type EventEnvelope,
  type EventType,
  type SinceCursor,
  type UnknownOutcomeDetails,
} from '@ns/contracts';
import {
  BusEvent,
  dataDigest,
  DEFAULT_MAX_IDEMPOTENCY_KEYS,
  generateEpoch,
  idConflictError,
  type IdConflict,
  ListenerList,
  type AppendResult,
  type ChannelHead,
  type Engine,
  type EngineListener,
  type EngineState,
  type HistoryPage,
  type PendingEvent,
  type ReadSinceResult,
  type StoredEvent,
} from '@ns/event-bus';
import { Redis, type RedisOptions } from 'ioredis';
import { ChannelFeed, type FeedEntry, type FeedLoss, type FeedRead } from './channel-feed.js';
import { envelopePieces, peekPosition } from './envelope-json.js';
import { APPEND_LUA, HEADS_LUA, READ_LUA } from './lua-scripts.js';
import { DEFAULT_REDIS_PREFIX, RedisKeys, type ChannelKeys } from './redis-keys.js';

/** The logger the engine reports connection trouble to (pino-compatible). */
export interface RedisEngineLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options of {@link RedisEngine}. */
export interface RedisEngineOptions {
  /** `redis://[user:password@]host:port[/db]` (`NS_REDIS_URL`); default ioredis's 127.0.0.1:6379. */
  url?: string;
  /** Key and topic prefix (`NS_REDIS_PREFIX`), so deployments can share a Redis; default `ns:`. */
  prefix?: string;
  /** How long an event id is remembered; default 5 min. */
  idempotencyWindowMs?: number;
  /** Most event ids remembered at once (the oldest are forgotten first); default 100 000, as MemoryEngine. */
  maxIdempotencyKeys?: number;
  /**
   * A command without a reply after this long rejects (`unavailable`; for an append with an unknown
   * outcome) and has a PING check at once whether Redis is hung or merely slow; default 2000.
   */
  commandTimeoutMs?: number;
  /** How often a PING checks that Redis answers; default 250. */
  pingIntervalMs?: number;
  /**
   * A PING without a reply after this long marks Redis hung (a stopped or wedged server keeps its
   * connections open, so only silence shows it): state `down`, and appends still waiting are failed
   * at once with an unknown outcome; default 1000. The first reply makes the engine resync and
   * report `ready` again.
   */
  pingTimeoutMs?: number;
  /** Upper bound of the reconnect backoff; default 2000. */
  maxReconnectDelayMs?: number;
  /**
   * Further ioredis options (TLS, auth, db…). The engine overrides the few that keep its promise
   * "nothing acknowledged that was not stored": no offline queue, no resend, no retry per request.
   */
  redis?: RedisOptions;
  logger?: RedisEngineLogger;
}

/** Events of a lossless channel this instance can never deliver: history was trimmed past them. */
export interface EngineLoss {
  channel: ChannelName;
  epoch: string;
  fromSeq: number;
  toSeq: number;
}

/** Counters of one engine instance (plain numbers, for the gateway's metrics). */
export interface RedisEngineStats {
  /** Pub/sub messages received (one per channel per append batch, from any instance). */
  pubsubMessages: number;
  /** Reads made to fill seq gaps in the pub/sub feed, and the events they recovered. */
  gapReads: number;
  gapEventsRecovered: number;
  /** Seqs of lossless channels this instance could not deliver (see {@link RedisEngine.onLoss}). */
  lostEvents: number;
  /** Times both connections came back and the feeds resynced. */
  resyncs: number;
}

/** The engine's scripts, as ioredis `defineCommand` attaches them. */
interface ScriptCommands {
  nsAppend(...args: (string | number)[]): Promise<[string[], (number | string)[], (number | string)[]]>;
  nsRead(...args: (string | number)[]): Promise<(string | number)[]>;
  nsHeads(...args: (string | number)[]): Promise<(string | number)[]>;
}

type CommandConnection = Redis & ScriptCommands;

interface ChannelRuntime {
  name: ChannelName;
  spec: ChannelSpec;
  keys: ChannelKeys;
  /** Lua's view of the history kind and its cap. */
  kind: 'ring' | 'latest' | 'none';
  cap: number;
  feed: ChannelFeed;
  /** Retry of a stalled feed while the connections stay up (a read timed out or Redis refused it). */
  retry?: { timer: NodeJS.Timeout | undefined; delayMs: number };
}

/** A stored envelope as it comes off the wire, parsed on delivery only. */
class WireEntry implements FeedEntry {
  constructor(
    readonly json: string,
    readonly epoch: string,
    readonly seq: number,
  ) {}

  load(): StoredEvent | undefined {
    try {
      return new BusEvent(JSON.parse(this.json) as EventEnvelope, this.json);
    } catch {
      return undefined;
    }
  }
}

function wireEntry(json: string): WireEntry | undefined {
  const at = peekPosition(json);
  return at === undefined ? undefined : new WireEntry(json, at.epoch, at.seq);
}

/**
 * An {@link Engine} on Redis, for several gateway processes and hosts sharing one Redis (docs/architecture.md#scale-out).
 *
 * - `append` runs one Lua script per batch: idempotency ids (SET PX), seq (per channel, global across
 *   instances), history (capped Stream per ring channel, latest-per-key hash for latest channels,
 *   nothing for ephemeral ones) and one PUBLISH per channel, all atomically.
 * - Every instance subscribes to every channel's topic on a dedicated connection; a
 *   {@link ChannelFeed} per channel delivers in seq order and fills gaps from the history first.
 *   An instance's own events reach its listeners the same way, before its append resolves.
 * - The epoch lives in Redis per channel and is renewed when the head or written history vanished;
 *   readers of a renewed channel get `recovered: false`.
 * - `state` is `ready` when both connections are up and the feeds have resynced; while `down`, every
 *   call rejects `unavailable` at once (no offline queue), so nothing is acknowledged unstored.
 */
export class RedisEngine implements Engine {
  readonly name = 'redis';
  readonly prefix: string;
  readonly #keys: RedisKeys;
  readonly #windowMs: number;
  readonly #maxIds: number;
  readonly #commandTimeoutMs: number;
  readonly #pingIntervalMs: number;
  readonly #pingTimeoutMs: number;
  /** Redis stopped answering (a PING or command timed out) while the connections stayed open. */
  #hung = false;
  #pinging = false;
  #pingTimer: NodeJS.Timeout | undefined;
  /** Appends waiting for Redis's reply, failed at once when Redis is found hung. */
  readonly #inflight = new Set<(err: Error) => void>();
  readonly #logger: RedisEngineLogger | undefined;
  readonly #cmd: CommandConnection;
  readonly #sub: Redis;
  readonly #channels: Record<ChannelName, ChannelRuntime>;
  readonly #byTopic = new Map<string, ChannelRuntime>();
  readonly #listeners = new ListenerList<EngineListener>();
  readonly #stateListeners = new ListenerList<(state: EngineState) => void>();
  readonly #lossListeners = new ListenerList<(loss: EngineLoss) => void>();
  #state: EngineState = 'down';
  #closed = false;
  #cmdUp = false;
  #subUp = false;
  /** Bumped whenever a connection drops, so a resync that raced a drop is redone. */
  #generation = 0;
  #subGeneration = 0;
  #syncing = false;
  #warnedDown = false;
  #resyncTimer: NodeJS.Timeout | undefined;
  #pubsubMessages = 0;
  #resyncs = 0;
  readonly #readyWaiters = new Set<{ resolve(): void; reject(err: NsError): void }>();

  constructor(options: RedisEngineOptions = {}) {
    this.prefix = options.prefix ?? DEFAULT_REDIS_PREFIX;
    this.#keys = new RedisKeys(this.prefix);
    this.#windowMs = options.idempotencyWindowMs ?? IDEMPOTENCY_WINDOW_MS;
    this.#logger = options.logger;
    this.#maxIds = options.maxIdempotencyKeys ?? DEFAULT_MAX_IDEMPOTENCY_KEYS;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? 2000;
    this.#pingIntervalMs = options.pingIntervalMs ?? 250;
    this.#pingTimeoutMs = options.pingTimeoutMs ?? 1000;
    for (const [name, value] of [
      ['commandTimeoutMs', this.#commandTimeoutMs],
      ['pingIntervalMs', this.#pingIntervalMs],
      ['pingTimeoutMs', this.#pingTimeoutMs],
    ] as const) {
      if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be > 0, got ${value}`);
    }
    if (!(this.#windowMs > 0)) throw new RangeError(`idempotencyWindowMs must be > 0, got ${this.#windowMs}`);
    if (!Number.isSafeInteger(this.#maxIds) || this.#maxIds < 0) {
      throw new RangeError(`maxIdempotencyKeys must be an integer >= 0, got ${this.#maxIds}`);
    }
    const maxDelay = options.maxReconnectDelayMs ?? 2000;
    const connection: RedisOptions = {
      ...options.redis,
      // Nothing may be queued or resent behind the caller's back: an append while down rejects now.
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      autoResubscribe: false,
      commandTimeout: this.#commandTimeoutMs,
      retryStrategy: (times: number) => Math.min(times * 100, maxDelay),
    };
    this.#cmd = (options.url === undefined ? new Redis(connection) : new Redis(options.url, connection)) as CommandConnection;
    const { commandTimeout: _unused, ...subscriber } = connection;
    this.#sub = options.url === undefined ? new Redis(subscriber) : new Redis(options.url, subscriber);
    this.#cmd.defineCommand('nsAppend', { lua: APPEND_LUA });
    this.#cmd.defineCommand('nsRead', { lua: READ_LUA, numberOfKeys: 3 });
    this.#cmd.defineCommand('nsHeads', { lua: HEADS_LUA, numberOfKeys: CHANNEL_NAMES.length * 3 });

    this.#channels = Object.fromEntries(CHANNEL_NAMES.map((c) => [c, this.#runtime(c)])) as Record<ChannelName, ChannelRuntime>;
    for (const c of CHANNEL_NAMES) this.#byTopic.set(this.#channels[c].keys.topic, this.#channels[c]);

    this.#cmd.on('ready', () => {
      this.#cmdUp = true;
      this.#hung = false; // a fresh connection's ready check was answered
      this.#resync();
    });
    this.#pingTimer = setInterval(() => this.#ping(), this.#pingIntervalMs);
    this.#pingTimer.unref();
    this.#sub.on('ready', () => void this.#subscribe());
    this.#sub.on('message', (topic: string, message: string) => this.#onMessage(topic, message));
    for (const conn of [this.#cmd, this.#sub]) {
      conn.on('close', () => this.#connectionLost(conn));
      conn.on('error', (err: Error) => this.#connectionError(err));
    }
  }

  /** Creates an engine and waits until it is ready (see {@link RedisEngine.waitUntilReady}). */
  static async connect(options: RedisEngineOptions = {}, timeoutMs?: number): Promise<RedisEngine> {
    const engine = new RedisEngine(options);
    try {
      await engine.waitUntilReady(timeoutMs);
    } catch (err) {
      await engine.close();
      throw err;
    }
    return engine;
  }

  get state(): EngineState {
    return this.#state;
  }

  /** Resolves once the engine is ready; rejects `unavailable` after `timeoutMs` (default 10 s) or on close. */
  waitUntilReady(timeoutMs = 10_000): Promise<void> {
    if (this.#state === 'ready') return Promise.resolve();
    if (this.#closed) return Promise.reject(new NsError('unavailable', 'redis engine is closed'));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err: NsError) => {
          clearTimeout(timer);
          this.#readyWaiters.delete(waiter);
          reject(err);
        },
      };
      const timer = setTimeout(() => waiter.reject(new NsError('unavailable', `redis engine not ready after ${timeoutMs} ms`)), timeoutMs);
      this.#readyWaiters.add(waiter);
    });
  }

  /** Counters since the engine was created. */
  stats(): RedisEngineStats {
    let gapReads = 0;
    let gapEventsRecovered = 0;
    let lostEvents = 0;
    for (const c of CHANNEL_NAMES) {
      const r = this.#channels[c].feed.repairs;
      gapReads += r.reads;
      gapEventsRecovered += r.entries;
      lostEvents += r.lost;
    }
    return { pubsubMessages: this.#pubsubMessages, gapReads, gapEventsRecovered, lostEvents, resyncs: this.#resyncs };
  }

  async append(events: readonly PendingEvent[]): Promise<AppendResult[]> {
    this.#assertReady();
    for (const e of events) this.#channel(e.channel); // all or nothing: check before storing
    if (events.length === 0) return [];

    const touched: ChannelRuntime[] = [];
    const index = new Map<ChannelName, number>();
    const keys: string[] = [this.#keys.idempotencyIds, this.#keys.idempotencyOrder];
    const channelArgs: (string | number)[] = [];
    for (const e of events) {
      if (index.has(e.channel)) continue;
      const rt = this.#channels[e.channel];
      index.set(e.channel, touched.length + 1);
      touched.push(rt);
      keys.push(rt.keys.head, rt.keys.hist, rt.keys.order);
      channelArgs.push(rt.kind, rt.cap, generateEpoch(), rt.keys.topic, rt.name);
    }
    const eventArgs: (string | number)[] = [];
    for (const e of events) {
      const p = envelopePieces(e);
      // Every event is recorded, minted ids too (see APPEND_LUA): only publisher ids are looked up.
      eventArgs.push(index.get(e.channel) as number, e.idempotent ? '1' : '0', e.id, e.type, dataDigest(e.data), p.head, p.tail, latestKeyOf(e.channel, e.data) ?? '');
    }

    let reply: [string[], (number | string)[], (number | string)[]];
    try {
      reply = await this.#untilHung(this.#cmd.nsAppend(keys.length, ...keys, this.#windowMs, this.#maxIds, touched.length, ...channelArgs, ...eventArgs));
    } catch (err) {
      if (isTimeout(err)) this.#ping();
      // The script was sent: it may have run (or run later, once a stopped Redis resumes). Every id
      // is recorded by it, so a retry with these ids is answered duplicate for what was stored.
      const details: UnknownOutcomeDetails = { outcome: 'unknown', ids: events.map((e) => e.id) };
      const reason = err instanceof Error ? err.message : String(err);
      throw new NsError(
        'unavailable',
        `redis engine append failed (${reason}); the events may or may not have been stored: publish them again with the same ids (details.ids) — what was stored is answered duplicate, never delivered twice`,
        { details, cause: err },
      );
    }

    const [epochs, seqs, conflicts] = reply;
    if (conflicts.length > 0) {
      const found: IdConflict[] = [];
      for (let i = 0; i < conflicts.length; i += 2) {
        const at = Number(conflicts[i]);
        found.push({ index: at, id: (events[at] as PendingEvent).id, heldBy: conflicts[i + 1] as EventType });
      }
      throw idConflictError(found);
    }
    const results: AppendResult[] = [];
    const last = new Map<ChannelRuntime, { epoch: string; seq: number }>();
    events.forEach((e, i) => {
      const r = seqs[i];
      if (typeof r === 'string') {
        const colon = r.lastIndexOf(':');
        results.push({ id: e.id, channel: r.slice(0, colon) as ChannelName, seq: Number(r.slice(colon + 1)), duplicate: true });
        return;
      }
      const seq = Number(r);
      results.push({ id: e.id, channel: e.channel, seq, duplicate: false });
      last.set(this.#channels[e.channel], { epoch: epochs[(index.get(e.channel) as number) - 1] as string, seq });
    });
    // Own events come back over pub/sub like everyone else's (see ChannelFeed); resolving once they
    // were delivered here gives the MemoryEngine guarantee: after append, local listeners saw them.
    await Promise.all([...last].map(([rt, at]) => rt.feed.delivered(at.epoch, at.seq)));
    return results;
  }

  async readSince(channel: ChannelName, since: SinceCursor | undefined): Promise<ReadSinceResult> {
    this.#assertReady();
    const rt = this.#channel(channel);
    const read = await this.#read(rt, { sinceEpoch: since?.epoch ?? '', afterSeq: since?.seq ?? 0 });
    const head = { epoch: read.epoch, seq: read.seq };
    const valid = since !== undefined && read.matched;
    const events = read.events;
    switch (rt.kind) {
      case 'ring': {
        // The read starts at since.seq + 1 clamped to what is retained, so every event after since.seq
        // is there when the first one follows it (or nothing came after it); else `events` is
        // everything retained, as the contract wants for a client that must reload.
        const complete = valid && (since.seq === read.seq || events[0]?.envelope.seq === since.seq + 1);
        return { ...head, recovered: complete, events };
      }
      case 'latest':
        return { ...head, recovered: valid, events };
      case 'none':
        return { ...head, recovered: valid && since.seq === read.seq, events: [] };
    }
  }

  /**
   * Retained events with seq > `sinceSeq`, oldest first: with `sinceSeq`, the first `limit` after it
   * (paging forward); without, the newest `limit` (as MemoryEngine).
   */
  async history(channel: ChannelName, options: { sinceSeq?: number; limit?: number } = {}): Promise<HistoryPage> {
    this.#assertReady();
    const rt = this.#channel(channel);
    const limit = options.limit === undefined || options.limit === Infinity ? -1 : Math.max(0, Math.floor(options.limit));
    const read = await this.#read(rt, {
      sinceEpoch: '',
      afterSeq: Math.max(0, Math.floor(options.sinceSeq ?? 0)),
      limit,
      newest: options.sinceSeq === undefined,
    });
    return { epoch: read.epoch, seq: read.seq, events: read.events };
  }

  async heads(): Promise<Record<ChannelName, ChannelHead>> {
    this.#assertReady();
    const keys = CHANNEL_NAMES.flatMap((c) => {
      const k = this.#channels[c].keys;
      return [k.head, k.hist, k.order];
    });
    let reply: (string | number)[];
    try {
      reply = await this.#cmd.nsHeads(...keys, ...CHANNEL_NAMES.map(() => generateEpoch()));
    } catch (err) {
      throw this.#unavailable('heads', err);
    }
    return Object.fromEntries(
      CHANNEL_NAMES.map((c, i) => [c, { epoch: String(reply[2 * i]), seq: Number(reply[2 * i + 1]) }]),
    ) as Record<ChannelName, ChannelHead>;
  }

  subscribe(listener: EngineListener): () => void {
    return this.#listeners.add(listener);
  }

  onStateChange(listener: (state: EngineState) => void): () => void {
    return this.#stateListeners.add(listener);
  }

  /**
   * Observes losses: seqs of a lossless channel that this instance missed on pub/sub (e.g. its
   * subscriber was cut for longer than the ring lasts) and that history no longer holds. Called
   * before any later event of the channel is delivered, so the consumer can end the channel's live
   * subscriptions (clients resume with `since` and are told recovered:false) rather than let the
   * loss pass as a silent gap. Not part of the `Engine` interface (yet); returns its detach function.
   */
  onLoss(listener: (loss: EngineLoss) => void): () => void {
    return this.#lossListeners.add(listener);
  }

  /** Quits both connections; the engine reports `down` and detaches every listener. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#resyncTimer);
    clearInterval(this.#pingTimer);
    for (const c of CHANNEL_NAMES) clearTimeout(this.#channels[c].retry?.timer);
    for (const c of CHANNEL_NAMES) this.#channels[c].feed.close();
    this.#setState('down');
    for (const w of [...this.#readyWaiters]) w.reject(new NsError('unavailable', 'redis engine closed'));
    this.#listeners.clear();
    this.#stateListeners.clear();
    this.#lossListeners.clear();
    await Promise.all([this.#cmd, this.#sub].map((conn) => quit(conn)));
  }

  #runtime(name: ChannelName): ChannelRuntime {
    const spec: ChannelSpec = CHANNELS[name];
    const h = spec.history;
    const kind = h.kind;
    const cap = h.kind === 'ring' ? h.size : h.kind === 'latest' ? h.maxKeys : 0;
    const keys = this.#keys.channel(name);
    const rt: ChannelRuntime = {
      name,
      spec,
      keys,
      kind,
      cap,
      feed: new ChannelFeed({
        repairable: kind !== 'none',
        read: (epoch, afterSeq, untilSeq) => this.#feedRead(rt, epoch, afterSeq, untilSeq),
        deliver: (event) => this.#deliver(event),
        onReadError: (err) => this.#feedStalled(rt, err),
        onBadEntry: (entry) => this.#logger?.warn({ channel: name, seq: entry.seq }, 'redis engine: unreadable stored envelope skipped'),
        ...(kind === 'ring' && { onLoss: (loss: FeedLoss) => this.#reportLoss({ channel: name, ...loss }) }),
      }),
    };
    return rt;
  }

  async #feedRead(rt: ChannelRuntime, epoch: string | undefined, afterSeq: number, untilSeq: number | undefined): Promise<FeedRead> {
    // cap 0: live delivery takes everything the Stream still holds (MAXLEN ~ keeps a little more than
    // the ring), where readSince/history answer exactly the last N.
    const read = await this.#readRaw(rt, { sinceEpoch: epoch ?? '', afterSeq, untilSeq: untilSeq ?? -1, cap: 0 });
    const entries: FeedEntry[] = [];
    for (const json of read.jsons) {
      const entry = wireEntry(json);
      if (entry !== undefined) entries.push(entry);
    }
    return { epoch: read.epoch, seq: read.seq, entries };
  }

  async #read(
    rt: ChannelRuntime,
    args: { sinceEpoch: string; afterSeq: number; untilSeq?: number; limit?: number; newest?: boolean },
  ): Promise<{ epoch: string; seq: number; matched: boolean; events: StoredEvent[] }> {
    const read = await this.#readRaw(rt, args);
    const events: StoredEvent[] = [];
    for (const json of read.jsons) {
      try {
        events.push(new BusEvent(JSON.parse(json) as EventEnvelope, json));
      } catch {
        this.#logger?.warn({ channel: rt.name }, 'redis engine: unreadable stored envelope skipped');
      }
    }
    return { epoch: read.epoch, seq: read.seq, matched: read.matched, events };
  }

  async #readRaw(
    rt: ChannelRuntime,
    args: { sinceEpoch: string; afterSeq: number; untilSeq?: number; limit?: number; newest?: boolean; cap?: number },
  ): Promise<{ epoch: string; seq: number; matched: boolean; jsons: string[] }> {
    let reply: (string | number)[];
    try {
      reply = await this.#cmd.nsRead(
        rt.keys.head,
        rt.keys.hist,
        rt.keys.order,
        rt.kind,
        args.cap ?? rt.cap,
        generateEpoch(),
        args.sinceEpoch,
        args.afterSeq,
        args.untilSeq ?? -1,
        args.limit ?? -1,
        args.newest === true ? '1' : '0',
      );
    } catch (err) {
      throw this.#unavailable('read', err);
    }
    return {
      epoch: String(reply[0]),
      seq: Number(reply[1]),
      matched: Number(reply[2]) === 1,
      jsons: reply.slice(3) as string[],
    };
  }

  #onMessage(topic: string, message: string): void {
    const rt = this.#byTopic.get(topic);
    if (rt === undefined || this.#closed) return;
    this.#pubsubMessages++;
    const entries: FeedEntry[] = [];
    for (const json of message.split('\n')) {
      const entry = wireEntry(json);
      if (entry === undefined) this.#logger?.warn({ channel: rt.name }, 'redis engine: unreadable pub/sub message skipped');
      else entries.push(entry);
    }
    rt.feed.offer(entries);
  }

  /**
   * A feed read failed. If a connection dropped, the resync on reconnect catches the feed up; if not
   * (a command timeout, an OOM refusal), nothing else would, so the feed is re-synced with backoff.
   */
  #feedStalled(rt: ChannelRuntime, err: unknown): void {
    // Down or resyncing: the resync (retried until it succeeds) catches every feed up. A retry cycle
    // already running owns this feed.
    if (this.#closed || rt.retry !== undefined || this.#state !== 'ready') return;
    this.#logger?.warn({ err, channel: rt.name }, 'redis engine: gap repair read failed; will resync the channel');
    rt.retry = { timer: undefined, delayMs: 200 };
    this.#scheduleFeedRetry(rt);
  }

  #scheduleFeedRetry(rt: ChannelRuntime): void {
    const retry = rt.retry;
    if (retry === undefined) return;
    retry.timer = setTimeout(() => {
      if (this.#closed) return;
      if (this.#state !== 'ready') {
        rt.retry = undefined; // the resync after reconnect syncs every feed
        return;
      }
      rt.feed.sync().then(
        () => {
          rt.retry = undefined;
        },
        () => {
          retry.delayMs = Math.min(retry.delayMs * 2, 5000);
          if (!this.#closed) this.#scheduleFeedRetry(rt);
        },
      );
    }, retry.delayMs);
    retry.timer.unref();
  }

  #reportLoss(loss: EngineLoss): void {
    this.#logger?.warn(loss, 'redis engine: events trimmed from history before this instance could deliver them');
    for (const listener of this.#lossListeners.snapshot) {
      try {
        listener(loss);
      } catch (err) {
        this.#logger?.error({ err, channel: loss.channel }, 'redis engine: loss listener failed');
      }
    }
  }

  #deliver(event: StoredEvent): void {
    for (const listener of this.#listeners.snapshot) {
      try {
        listener(event);
      } catch (err) {
        // A listener (a bus) must not break fan-out to the others; buses catch their own handlers.
        this.#logger?.error({ err, channel: event.envelope.channel }, 'redis engine: listener failed');
      }
    }
  }

  async #subscribe(): Promise<void> {
    const generation = this.#subGeneration;
    try {
      await this.#sub.subscribe(...CHANNEL_NAMES.map((c) => this.#channels[c].keys.topic));
    } catch (err) {
      this.#logger?.warn({ err }, 'redis engine: subscribe failed');
      return;
    }
    // Only a drop of the subscriber itself voids this subscription.
    if (generation !== this.#subGeneration || this.#closed) return;
    this.#subUp = true;
    this.#resync();
  }

  /**
   * Once both connections are up (the subscriber subscribed first, so nothing published from now on
   * is missed), every feed catches up from Redis: missed events, or a new epoch. Only then `ready`.
   */
  #resync(): void {
    if (!this.#cmdUp || !this.#subUp || this.#syncing || this.#closed || this.#hung) return;
    this.#syncing = true;
    const generation = this.#generation;
    Promise.all(CHANNEL_NAMES.map((c) => this.#channels[c].feed.sync())).then(
      () => {
        this.#syncing = false;
        if (generation !== this.#generation || this.#hung) return this.#resync();
        this.#warnedDown = false;
        this.#resyncs++;
        this.#setState('ready');
      },
      (err: unknown) => {
        this.#syncing = false;
        if (this.#closed || this.#hung) return; // the first answer after the hang resyncs
        this.#logger?.warn({ err }, 'redis engine: resync failed; retrying');
        this.#resyncTimer = setTimeout(() => this.#resync(), 200);
        this.#resyncTimer.unref();
      },
    );
  }

  /**
   * One health PING at a time on the command connection. No reply within `pingTimeoutMs` marks
   * Redis hung; the first reply after that (Redis resumed) resyncs the feeds and restores `ready`.
   */
  #ping(): void {
    if (this.#closed || this.#pinging || !this.#cmdUp) return;
    this.#pinging = true;
    let answered = false;
    // The verdict waits for setImmediate: after this process's own event loop was blocked, a reply
    // already in the socket is read (poll phase) before it, so a busy gateway never blames Redis.
    const timer = setTimeout(() => setImmediate(() => answered || this.#markHung(`no PING reply within ${this.#pingTimeoutMs} ms`)), this.#pingTimeoutMs);
    timer.unref();
    this.#cmd.ping().then(
      () => {
        answered = true;
        clearTimeout(timer);
        this.#pinging = false;
        if (this.#hung) this.#recovered();
      },
      (err: unknown) => {
        answered = true;
        clearTimeout(timer);
        this.#pinging = false;
        if (isTimeout(err)) this.#markHung('a PING timed out');
      },
    );
  }

  /** Redis stopped answering with the connections open: not ready, and waiting appends fail now. */
  #markHung(why: string): void {
    if (this.#hung || this.#closed || !this.#cmdUp) return;
    this.#hung = true;
    this.#generation++;
    this.#logger?.warn({ why }, 'redis engine: Redis is not answering; not ready until it does');
    const hung = new Error(`Redis did not answer (${why})`);
    for (const fail of [...this.#inflight]) fail(hung);
    this.#inflight.clear();
    this.#setState('down');
  }

  #recovered(): void {
    this.#hung = false;
    this.#logger?.warn({}, 'redis engine: Redis answers again; resyncing');
    this.#resync();
  }

  /** `reply`, or a rejection as soon as Redis is found hung (the command may still run later). */
  #untilHung<T>(reply: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.#inflight.add(reject);
      reply.then(resolve, reject).finally(() => this.#inflight.delete(reject));
    });
  }

  #connectionLost(conn: Redis): void {
    this.#generation++;
    if (conn === this.#cmd) {
      this.#cmdUp = false;
    } else {
      this.#subGeneration++;
      this.#subUp = false;
      // Appends waiting for their pub/sub copy get it with the resync; they must not hang till then.
      for (const c of CHANNEL_NAMES) this.#channels[c].feed.interrupt();
    }
    this.#setState('down');
  }

  #connectionError(err: Error): void {
    if (this.#closed || this.#warnedDown) return;
    this.#warnedDown = true;
    this.#logger?.warn({ err }, 'redis engine: connection error; reconnecting');
  }

  #setState(state: EngineState): void {
    if (this.#state === state) return;
    this.#state = state;
    if (state === 'ready') {
      for (const w of this.#readyWaiters) w.resolve();
      this.#readyWaiters.clear();
    }
    for (const l of this.#stateListeners.snapshot) {
      try {
        l(state);
      } catch (err) {
        this.#logger?.error({ err }, 'redis engine: state listener failed');
      }
    }
  }

  #channel(channel: ChannelName): ChannelRuntime {
    if (!isChannelName(channel)) throw new NsError('unknown_channel', `unknown channel "${String(channel).slice(0, 64)}"`);
    return this.#channels[channel];
  }

  #assertReady(): void {
    if (this.#state !== 'ready') {
      throw new NsError('unavailable', this.#closed ? 'redis engine is closed' : 'redis engine is down (Redis unreachable)');
    }
  }

  #unavailable(what: string, err: unknown): NsError {
    if (isTimeout(err)) this.#ping(); // slow or hung? The PING decides, now rather than at its next turn
    if (err instanceof NsError) return err;
    const reason = err instanceof Error ? err.message : String(err);
    return new NsError('unavailable', `redis engine ${what} failed: ${reason}`, { cause: err });
  }
}

/** ioredis's rejection of a command whose reply did not come within `commandTimeout`. */
function isTimeout(err: unknown): boolean {
  return err instanceof Error && err.message === 'Command timed out';
}

async function quit(conn: Redis): Promise<void> {
  if (conn.status === 'ready') {
    try {
      await conn.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  conn.disconnect();
}
