import { CHANNEL_NAMES, CHANNELS, NsError, isChannelName, type ChannelName } from '@ns/contracts';
import { ListenerList, type Logger } from '@ns/contracts/support';
import type { EngineLoss, StoredEvent } from '@ns/event-bus';
import { ChannelFeed, type FeedEntry, type FeedLoss, type FeedRead } from './channel-feed.js';
import { historyCap, type RawRead, type ReadArgs, type ScriptChannel } from './commands.js';
import { StoredEnvelope } from './envelope-json.js';
import { FeedRetry } from './feed-retry.js';
import type { RedisKeys } from './redis-keys.js';

/** One channel of the engine: its keys and history as the scripts see them, and its feed. */
export interface ChannelRuntime extends ScriptChannel {
  readonly feed: ChannelFeed;
  readonly retry: FeedRetry;
}

/** What the channels need of the engine. */
export interface ChannelsDeps {
  keys: RedisKeys;
  /** Reads a channel (the read script), errors untranslated. */
  read(ch: ScriptChannel, args: ReadArgs): Promise<RawRead>;
  /** Hands a stored event to the engine's listeners, in seq order. */
  deliver(event: StoredEvent): void;
  /** Whether the engine is ready (a stalled feed is retried only then). */
  ready(): boolean;
  logger: Logger | undefined;
}

/**
 * Every channel's runtime: the pub/sub feed of each (messages in, gaps repaired from history),
 * the retry of a stalled feed, and loss reporting — seqs of a lossless channel trimmed from history
 * before this instance could deliver them.
 */
export class EngineChannels {
  readonly #deps: ChannelsDeps;
  readonly #byName: Record<ChannelName, ChannelRuntime>;
  readonly #byTopic = new Map<string, ChannelRuntime>();
  readonly #lossListeners = new ListenerList<(loss: EngineLoss) => void>((err, [loss]) =>
    this.#deps.logger?.error({ err, channel: loss.channel }, 'redis engine: loss listener failed'),
  );
  #pubsubMessages = 0;
  #closed = false;

  constructor(deps: ChannelsDeps) {
    this.#deps = deps;
    this.#byName = Object.fromEntries(CHANNEL_NAMES.map((c) => [c, this.#runtime(c)])) as Record<ChannelName, ChannelRuntime>;
    for (const ch of this.all) this.#byTopic.set(ch.keys.topic, ch);
  }

  /** Every channel, in CHANNEL_NAMES order. */
  get all(): ChannelRuntime[] {
    return CHANNEL_NAMES.map((c) => this.#byName[c]);
  }

  /** Pub/sub messages received (one per channel per append batch, from any instance). */
  get pubsubMessages(): number {
    return this.#pubsubMessages;
  }

  /** The channel named `name`; throws `unknown_channel` for anything else. */
  get(name: ChannelName): ChannelRuntime {
    if (!isChannelName(name)) throw new NsError('unknown_channel', `unknown channel "${String(name).slice(0, 64)}"`);
    return this.#byName[name];
  }

  /** A pub/sub message: the envelopes of one append batch, joined by newlines. */
  onMessage(topic: string, message: string): void {
    const ch = this.#byTopic.get(topic);
    if (ch === undefined || this.#closed) return;
    this.#pubsubMessages++;
    const entries: FeedEntry[] = [];
    for (const json of message.split('\n')) {
      const entry = StoredEnvelope.of(json);
      if (entry === undefined) this.#deps.logger?.warn({ channel: ch.name }, 'redis engine: unreadable pub/sub message skipped');
      else entries.push(entry);
    }
    ch.feed.offer(entries);
  }

  /** Catches every feed up from Redis. */
  async sync(): Promise<void> {
    await Promise.all(this.all.map((ch) => ch.feed.sync()));
  }

  /** The subscriber dropped: appends waiting for their pub/sub copy get it with the resync. */
  interrupt(): void {
    for (const ch of this.all) ch.feed.interrupt();
  }

  /** See RedisEngine.onLoss. */
  onLoss(listener: (loss: EngineLoss) => void): () => void {
    return this.#lossListeners.add(listener);
  }

  /** Gap repairs and losses summed over the channels. */
  repairs(): { gapReads: number; gapEventsRecovered: number; lostEvents: number } {
    let gapReads = 0;
    let gapEventsRecovered = 0;
    let lostEvents = 0;
    for (const ch of this.all) {
      gapReads += ch.feed.repairs.reads;
      gapEventsRecovered += ch.feed.repairs.entries;
      lostEvents += ch.feed.repairs.lost;
    }
    return { gapReads, gapEventsRecovered, lostEvents };
  }

  close(): void {
    this.#closed = true;
    for (const ch of this.all) {
      ch.retry.close();
      ch.feed.close();
    }
    this.#lossListeners.clear();
  }

  #runtime(name: ChannelName): ChannelRuntime {
    const history = CHANNELS[name].history;
    const ch: ScriptChannel = { name, keys: this.#deps.keys.channel(name), kind: history.kind, cap: historyCap(history) };
    const feed = new ChannelFeed({
      repairable: ch.kind !== 'none',
      read: (epoch, afterSeq, untilSeq) => this.#feedRead(ch, epoch, afterSeq, untilSeq),
      deliver: (event) => this.#deps.deliver(event),
      onReadError: (err) => this.#stalled(runtime, err),
      onBadEntry: (entry) => this.#deps.logger?.warn({ channel: name, seq: entry.seq }, 'redis engine: unreadable stored envelope skipped'),
      ...(ch.kind === 'ring' && { onLoss: (loss: FeedLoss) => this.#reportLoss({ channel: name, ...loss }) }),
    });
    const runtime: ChannelRuntime = { ...ch, feed, retry: new FeedRetry(() => feed.sync(), () => this.#deps.ready()) };
    return runtime;
  }

  async #feedRead(ch: ScriptChannel, epoch: string | undefined, afterSeq: number, untilSeq: number | undefined): Promise<FeedRead> {
    // cap 0: live delivery takes everything the Stream still holds (MAXLEN ~ keeps a little more than
    // the ring), where readSince/history answer exactly the last N.
    const read = await this.#deps.read(ch, { sinceEpoch: epoch ?? '', afterSeq, untilSeq: untilSeq ?? -1, cap: 0 });
    const entries: FeedEntry[] = [];
    for (const json of read.jsons) {
      const entry = StoredEnvelope.of(json);
      if (entry !== undefined) entries.push(entry);
    }
    return { epoch: read.epoch, seq: read.seq, entries };
  }

  /**
   * A feed read failed. If a connection dropped, the resync on reconnect catches the feed up; if not
   * (a command timeout, an OOM refusal), nothing else would, so the feed is re-synced with backoff.
   */
  #stalled(ch: ChannelRuntime, err: unknown): void {
    // Down or resyncing: the resync (retried until it succeeds) catches every feed up. A retry cycle
    // already running owns this feed.
    if (this.#closed || ch.retry.running || !this.#deps.ready()) return;
    this.#deps.logger?.warn({ err, channel: ch.name }, 'redis engine: gap repair read failed; will resync the channel');
    ch.retry.start();
  }

  #reportLoss(loss: EngineLoss): void {
    this.#deps.logger?.warn(loss, 'redis engine: events trimmed from history before this instance could deliver them');
    this.#lossListeners.emit(loss);
  }
}
