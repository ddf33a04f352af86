import { CHANNEL_NAMES, type ChannelName, type SinceCursor } from '@ns/contracts';
import { ListenerList, type Logger } from '@ns/contracts/support';
import {
  idConflictError,
  type AppendResult,
  type ChannelHead,
  type Engine,
  type EngineListener,
  type EngineLoss,
  type EngineState,
  type HistoryPage,
  type PendingEvent,
  type ReadSinceResult,
  type StoredEvent,
} from '@ns/event-bus';
import { EngineChannels, type ChannelRuntime } from './channels.js';
import { ScriptCommands, type AppendReply, type RawRead, type ReadArgs, type ScriptChannel } from './commands.js';
import { openConnections } from './connections.js';
import { engineSettings, type EngineSettings, type RedisEngineOptions, type RedisEngineStats } from './engine-options.js';
import { parseStored } from './envelope-json.js';
import { unavailable, unknownOutcome } from './errors.js';
import { RedisKeys } from './redis-keys.js';
import { appendPerSlot } from './slot-batches.js';
import { ConnectionSupervisor } from './supervisor.js';

/**
 * An {@link Engine} on Redis, for several gateway processes and hosts sharing one Redis (docs/architecture.md#scale-out).
 *
 * - `append` runs one Lua script per batch: idempotency ids (SET PX), seq (per channel, global across
 *   instances), history (capped Stream per ring channel, latest-per-key hash for latest channels,
 *   nothing for ephemeral ones) and one PUBLISH per channel, all atomically ({@link ScriptCommands}).
 * - Every instance subscribes to every channel's topic on a dedicated connection; a feed per channel
 *   delivers in seq order and fills gaps from the history first ({@link EngineChannels}). An
 *   instance's own events reach its listeners the same way, before its append resolves.
 * - The epoch lives in Redis per channel and is renewed when the head or written history vanished;
 *   readers of a renewed channel get `recovered: false`.
 * - `state` is `ready` when both connections are up and the feeds have resynced
 *   ({@link ConnectionSupervisor}); while `down`, every call rejects `unavailable` at once (no offline
 *   queue), so nothing is acknowledged unstored.
 */
export class RedisEngine implements Engine {
  readonly name = 'redis';
  readonly prefix: string;
  readonly #settings: EngineSettings;
  readonly #keys: RedisKeys;
  readonly #logger: Logger | undefined;
  readonly #commands: ScriptCommands;
  readonly #channels: EngineChannels;
  readonly #supervisor: ConnectionSupervisor;
  // A listener (a bus) must not break fan-out to the others; buses catch their own handlers.
  readonly #listeners = new ListenerList<EngineListener>((err, [event]) =>
    this.#logger?.error({ err, channel: event.envelope.channel }, 'redis engine: listener failed'),
  );
  /** On a Redis Cluster: hash-tagged keys, sharded pub/sub, batches split per channel (slot). */
  readonly cluster: boolean;

  constructor(options: RedisEngineOptions = {}) {
    this.#settings = engineSettings(options);
    this.prefix = this.#settings.prefix;
    this.#logger = options.logger;
    const { cmd, sub, cluster } = openConnections(options, this.#settings.commandTimeoutMs);
    this.cluster = cluster;
    this.#keys = new RedisKeys(this.prefix, { hashTags: cluster });
    this.#commands = new ScriptCommands(cmd);
    this.#channels = new EngineChannels({
      keys: this.#keys,
      read: (ch, args) => this.#rawRead(ch, args),
      deliver: (event) => this.#deliver(event),
      ready: () => this.#supervisor.state === 'ready',
      logger: this.#logger,
    });
    const topics = this.#channels.all.map((ch) => ch.keys.topic);
    this.#supervisor = new ConnectionSupervisor(
      cmd,
      sub,
      {
        // Sharded channels are subscribed one by one: one SSUBSCRIBE may only name one slot's topics.
        subscribe: () => (cluster ? Promise.all(topics.map((t) => sub.ssubscribe(t))) : sub.subscribe(...topics)),
        sync: () => this.#channels.sync(),
        subscriberLost: () => this.#channels.interrupt(),
      },
      { ...this.#settings, resubscribeOn: cluster ? ['-node'] : [] },
      this.#logger,
    );
    sub.on(cluster ? 'smessage' : 'message', (topic: string, message: string) => this.#channels.onMessage(topic, message));
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
    return this.#supervisor.state;
  }

  /** Resolves once the engine is ready; rejects `unavailable` after `timeoutMs` (default 10 s) or on close. */
  waitUntilReady(timeoutMs = 10_000): Promise<void> {
    return this.#supervisor.waitUntilReady(timeoutMs);
  }

  /** Counters since the engine was created. */
  stats(): RedisEngineStats {
    return { pubsubMessages: this.#channels.pubsubMessages, ...this.#channels.repairs(), resyncs: this.#supervisor.resyncs };
  }

  async append(events: readonly PendingEvent[]): Promise<AppendResult[]> {
    this.#supervisor.assertReady('nothing was published');
    for (const e of events) this.#channels.get(e.channel); // all or nothing: check before storing
    if (events.length === 0) return [];
    const call = {
      publish: this.cluster ? ('SPUBLISH' as const) : ('PUBLISH' as const),
      windowMs: this.#settings.windowMs,
      maxIds: this.#settings.maxIds,
      events,
      channel: (name: ChannelName) => this.#channels.get(name),
    };
    const ids = (channel: ChannelName) => this.#keys.idempotency(channel);
    let reply: AppendReply;
    try {
      const settle = (channel: ChannelName, epoch: string, seq: number) => this.#channels.get(channel).feed.delivered(epoch, seq);
      const stored = this.cluster ? appendPerSlot(this.#commands, call, ids, settle) : this.#commands.append({ ids: ids((events[0] as PendingEvent).channel), ...call });
      reply = await this.#supervisor.untilHung(stored);
    } catch (err) {
      this.#supervisor.failed(err);
      throw unknownOutcome(
        events.map((e) => e.id),
        err,
      );
    }
    if (!reply.stored) throw idConflictError(reply.conflicts.map((c) => ({ ...c, id: (events[c.index] as PendingEvent).id })));
    const results: AppendResult[] = [];
    const last = new Map<ChannelRuntime, { epoch: string; seq: number }>();
    events.forEach((e, i) => {
      const r = reply.results[i] as (typeof reply.results)[number];
      if (r.duplicate) {
        results.push({ id: e.id, channel: r.channel, seq: r.seq, duplicate: true });
        return;
      }
      results.push({ id: e.id, channel: e.channel, seq: r.seq, duplicate: false });
      last.set(this.#channels.get(e.channel), { epoch: reply.epochs.get(e.channel) as string, seq: r.seq });
    });
    // Own events come back over pub/sub like everyone else's (see ChannelFeed); resolving once they
    // were delivered here gives the MemoryEngine guarantee: after append, local listeners saw them.
    await Promise.all([...last].map(([ch, at]) => ch.feed.delivered(at.epoch, at.seq)));
    return results;
  }

  async readSince(channel: ChannelName, since: SinceCursor | undefined): Promise<ReadSinceResult> {
    this.#supervisor.assertReady();
    const ch = this.#channels.get(channel);
    const read = await this.#read(ch, { sinceEpoch: since?.epoch ?? '', afterSeq: since?.seq ?? 0 });
    // Key by key, not `{ ...head, … }`: on Node 20's V8 a literal that starts with a spread and adds keys
    // gets a hidden class of its own (one more map per resume).
    const result = (recovered: boolean, events: StoredEvent[]): ReadSinceResult => ({ epoch: read.epoch, seq: read.seq, recovered, events });
    const valid = since !== undefined && read.matched;
    const events = read.events;
    switch (ch.kind) {
      case 'ring': {
        // The read starts at since.seq + 1 clamped to what is retained, so every event after since.seq
        // is there when the first one follows it (or nothing came after it); else `events` is
        // everything retained, as the contract wants for a client that must reload.
        const complete = valid && (since.seq === read.seq || events[0]?.envelope.seq === since.seq + 1);
        return result(complete, events);
      }
      case 'latest':
        return result(valid, events);
      case 'none':
        return result(valid && since.seq === read.seq, []);
    }
  }

  /**
   * Retained events with seq > `sinceSeq`, oldest first: with `sinceSeq`, the first `limit` after it
   * (paging forward); without, the newest `limit` (as MemoryEngine).
   */
  async history(channel: ChannelName, options: { sinceSeq?: number; limit?: number } = {}): Promise<HistoryPage> {
    this.#supervisor.assertReady();
    const ch = this.#channels.get(channel);
    const limit = options.limit === undefined || options.limit === Infinity ? -1 : Math.max(0, Math.floor(options.limit));
    const read = await this.#read(ch, {
      sinceEpoch: '',
      afterSeq: Math.max(0, Math.floor(options.sinceSeq ?? 0)),
      limit,
      newest: options.sinceSeq === undefined,
    });
    return { epoch: read.epoch, seq: read.seq, events: read.events };
  }

  async heads(): Promise<Record<ChannelName, ChannelHead>> {
    this.#supervisor.assertReady();
    let heads: ChannelHead[];
    try {
      // On a Cluster every channel is its own slot: one call each.
      const all = this.#channels.all;
      heads = this.cluster ? (await Promise.all(all.map((ch) => this.#commands.heads([ch])))).flat() : await this.#commands.heads(all);
    } catch (err) {
      this.#supervisor.failed(err);
      throw unavailable('heads', err);
    }
    return Object.fromEntries(CHANNEL_NAMES.map((c, i) => [c, heads[i] as ChannelHead])) as Record<ChannelName, ChannelHead>;
  }

  subscribe(listener: EngineListener): () => void {
    return this.#listeners.add(listener);
  }

  onStateChange(listener: (state: EngineState) => void): () => void {
    return this.#supervisor.onStateChange(listener);
  }

  /**
   * Observes losses: seqs of a lossless channel that this instance missed on pub/sub (e.g. its
   * subscriber was cut for longer than the ring lasts) and that history no longer holds. Called
   * before any later event of the channel is delivered, so the consumer can end the channel's live
   * subscriptions (clients resume with `since` and are told recovered:false) rather than let the
   * loss pass as a silent gap. Returns its detach function.
   */
  onLoss(listener: (loss: EngineLoss) => void): () => void {
    return this.#channels.onLoss(listener);
  }

  /** Quits both connections; the engine reports `down` and detaches every listener. Idempotent. */
  async close(): Promise<void> {
    if (this.#supervisor.closed) return;
    this.#channels.close();
    this.#listeners.clear();
    await this.#supervisor.close();
  }

  async #rawRead(ch: ScriptChannel, args: ReadArgs): Promise<RawRead> {
    try {
      return await this.#commands.read(ch, args);
    } catch (err) {
      this.#supervisor.failed(err);
      throw unavailable('read', err);
    }
  }

  /** Reads a channel and parses what it holds (unreadable envelopes are logged and skipped). */
  async #read(ch: ChannelRuntime, args: ReadArgs): Promise<{ epoch: string; seq: number; matched: boolean; events: StoredEvent[] }> {
    const read = await this.#rawRead(ch, args);
    const events: StoredEvent[] = [];
    for (const json of read.jsons) {
      const event = parseStored(json);
      if (event !== undefined) events.push(event);
      else this.#logger?.warn({ channel: ch.name }, 'redis engine: unreadable stored envelope skipped');
    }
    return { epoch: read.epoch, seq: read.seq, matched: read.matched, events };
  }

  #deliver(event: StoredEvent): void {
    this.#listeners.emit(event);
  }
}
