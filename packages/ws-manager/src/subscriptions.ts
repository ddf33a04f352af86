import { CHANNEL_NAMES, type ChannelName, type EventEnvelope } from '@ns/contracts';
import { FilterIndex, advanceCursor, type BusEvent, type SeqCursor } from '@ns/event-bus';
import type { FrameEncoder, OutboundFrame } from './frame-builder.js';
import type { FrameSink } from './frame-sink.js';

/** A compiled subscription filter (`null`: everything). */
export type EnvelopeFilter = ((envelope: EventEnvelope) => boolean) | null;

/** Where a subscription is: reading its replay (live events buffered), delivering live, or gone. */
export type SubscriptionState = 'replaying' | 'live' | 'ended';

/** One sink's subscription to one channel. */
export interface Subscription {
  readonly sink: FrameSink;
  readonly channel: ChannelName;
  readonly filter: EnvelopeFilter;
  readonly state: SubscriptionState;
  /**
   * The last event handed to the sink. One cursor per subscription, shared by its replay and its live
   * phase: whatever path an event takes, it reaches the sink only past the cursor, so the replay → live
   * boundary never repeats or reorders an event.
   */
  readonly cursor: Readonly<SeqCursor>;
}

/**
 * The owner's mutable record behind a {@link Subscription}; it is its own cursor (`epoch`, `seq`), and
 * its buffer exists only while live events wait for the replay: an idle connection's subscription is
 * this one object (docs/architecture.md#memory-per-connection).
 */
class Entry implements Subscription, SeqCursor {
  state: SubscriptionState = 'replaying';
  epoch = '';
  seq = 0;
  /** Live events that arrived while replaying (filtered), delivered through the cursor on going live. */
  buffer: BusEvent[] | undefined = undefined;
  /** The live subscription this one replaces once it goes live (a re-subscribe keeps delivering meanwhile). */
  replaces: Entry | undefined;
  /** The typed filter `filter` was compiled from, until the subscription is filed in the filter index. */
  typed: unknown;
  /** The filter index's record of this subscription while it is live (its `MemberSlot`). */
  indexSlot: unknown = undefined;

  constructor(
    readonly sink: FrameSink,
    readonly channel: ChannelName,
    readonly filter: EnvelopeFilter,
    replaces: Entry | undefined,
    typed: unknown,
  ) {
    this.replaces = replaces;
    this.typed = typed;
  }

  /** A copy: the cursor moves as events are delivered. */
  get cursor(): Readonly<SeqCursor> {
    return { epoch: this.epoch, seq: this.seq };
  }
}

/** A sink's subscriptions: the one entry most sinks hold, or a map by channel once it holds more. */
type SinkEntries = Entry | Map<ChannelName, Entry>;

// Kept on the sink and on the entry themselves (their slots), not in maps keyed by them.
const mineOf = (sink: FrameSink): SinkEntries | undefined => sink.subscriptionSlot as SinkEntries | undefined;
const setMine = (sink: FrameSink, mine: SinkEntries | undefined): void => {
  sink.subscriptionSlot = mine;
};
const indexSlot = { get: (e: Entry): unknown => e.indexSlot, set: (e: Entry, v: unknown): void => void (e.indexSlot = v) };

const entryOf = (mine: SinkEntries | undefined, channel: ChannelName): Entry | undefined =>
  mine === undefined ? undefined : mine instanceof Entry ? (mine.channel === channel ? mine : undefined) : mine.get(channel);

const entriesOf = (mine: SinkEntries | undefined): Entry[] => (mine === undefined ? [] : mine instanceof Entry ? [mine] : [...mine.values()]);

/**
 * The one owner of subscriptions, by channel (what the fan-out walks) and by sink (what the cap,
 * `unsubscribe`, principal changes and closing read). A subscription starts `replaying`: it already
 * receives live events, into its buffer, while its history or snapshot is read; {@link goLive} queues
 * the replay, then the buffered events past its cursor, and makes it `live` — synchronously, so no
 * event slips between. Sets keep removal O(1) and are safe to modify while iterated (a sink closing
 * during a fan-out). The fan-out finds an event's live subscriptions through a {@link FilterIndex} per
 * channel: identical filters are tested once, and an event tests only the filters its own field
 * values select, so its cost follows the matches rather than the subscriptions.
 */
export class Subscriptions {
  readonly #replaying = new Map<ChannelName, Set<Entry>>(CHANNEL_NAMES.map((c) => [c, new Set()]));
  /**
   * The live subscriptions of each channel, filed by filter: what the fan-out queries, and the only
   * set of them (a second Set per channel cost every idle subscription its entry again).
   */
  readonly #index = new Map<ChannelName, FilterIndex<Entry>>(CHANNEL_NAMES.map((c) => [c, new FilterIndex<Entry>(c, { slot: indexSlot })]));
  // Per sink, the newest subscription of each channel (replaying or live), in the sink's
  // `subscriptionSlot`: the entry itself while the sink holds one channel (a Map per sink would cost an
  // idle connection ~180 bytes), a map from the second.
  readonly #onChange: ((sink: FrameSink) => void) | undefined;

  /** `onChange` is told of every sink whose set of channels may have changed (a subscription begun or ended). */
  constructor(onChange?: (sink: FrameSink) => void) {
    this.#onChange = onChange;
  }

  /** Number of channels `sink` holds (live or replaying): what the per-connection cap counts. */
  count(sink: FrameSink): number {
    const mine = mineOf(sink);
    return mine === undefined ? 0 : mine instanceof Entry ? 1 : mine.size;
  }

  /** True when `sink` holds (or is replaying into) a subscription of `channel`. */
  has(sink: FrameSink, channel: ChannelName): boolean {
    return entryOf(mineOf(sink), channel) !== undefined;
  }

  /** Channels `sink` holds. */
  channelsOf(sink: FrameSink): ChannelName[] {
    return entriesOf(mineOf(sink)).map((e) => e.channel);
  }

  /** The subscriptions `sink` holds. */
  of(sink: FrameSink): Subscription[] {
    return entriesOf(mineOf(sink));
  }

  /**
   * Live subscriptions of `channel`, as a copy: the filter index's members (a re-subscribe still
   * replaying is not there yet; its live predecessor, still delivering, is). For rare events (engine
   * loss), not for the fan-out, which queries the index by event.
   */
  liveOf(channel: ChannelName): Subscription[] {
    return [...(this.#index.get(channel) as FilterIndex<Entry>).members()];
  }

  /** Subscriptions of `channel` still replaying. */
  replayingOf(channel: ChannelName): ReadonlySet<Subscription> {
    return this.#replaying.get(channel) as Set<Entry>;
  }

  /** Number of live subscriptions per channel. */
  counts(): Record<ChannelName, number> {
    const out = {} as Record<ChannelName, number>;
    for (const [c, index] of this.#index) out[c] = index.size;
    return out;
  }

  /**
   * Starts a subscription of `sink` to `channel` in state `replaying`. A live subscription of the same
   * channel keeps delivering until this one goes live; a subscription still replaying is ended.
   * `typed` is the channel's typed filter `filter` was compiled from (validated): the filter index
   * files it by its fields; without it a non-null `filter` is tested on every event of the channel.
   */
  begin(sink: FrameSink, channel: ChannelName, filter: EnvelopeFilter, typed?: object): Subscription {
    const previous = entryOf(mineOf(sink), channel);
    let replaces: Entry | undefined;
    if (previous?.state === 'live') replaces = previous;
    else if (previous !== undefined) {
      replaces = previous.replaces;
      previous.replaces = undefined;
      this.#drop(previous);
    }
    const entry = new Entry(sink, channel, filter, replaces, filter === null ? undefined : (typed ?? filter));
    // Looked up after the drop: dropping a sink's last entry forgets it.
    const mine = mineOf(sink);
    if (mine === undefined) setMine(sink, entry);
    else if (mine instanceof Entry) setMine(sink, mine.channel === channel ? entry : new Map([[mine.channel, mine], [channel, entry]]));
    else mine.set(channel, entry);
    (this.#replaying.get(channel) as Set<Entry>).add(entry);
    this.#onChange?.(sink);
    return entry;
  }

  /**
   * Ends the replay of `subscription`: queues `replay` (already filtered, all at or before the head
   * `epoch`/`seq` the history was read at), sets the cursor to that head, delivers the buffered live
   * events past it and goes `live`, replacing the channel's previous subscription. Returns the bytes of
   * replay queued, or `undefined` when the subscription had ended meanwhile (nothing is queued).
   */
  goLive(subscription: Subscription, epoch: string, seq: number, replay: readonly BusEvent[]): number | undefined {
    const entry = subscription as Entry;
    if (entry.state !== 'replaying') return undefined;
    const sink = entry.sink;
    const encoder = sink.encoder;
    let bytes = 0;
    for (const event of replay) {
      const frame = encoder.frameOf(event);
      bytes += frame.bytes.length;
      sink.enqueue(frame);
    }
    entry.epoch = epoch;
    entry.seq = seq;
    // Index loop: enqueueing may close the sink (slow consumer), which ends this subscription.
    const buffer = entry.buffer ?? [];
    entry.buffer = undefined;
    for (let i = 0; i < buffer.length && entry.state === 'replaying'; i++) this.#deliver(entry, buffer[i] as BusEvent, encoder);
    if (entry.state !== 'replaying') return undefined;
    (this.#replaying.get(entry.channel) as Set<Entry>).delete(entry);
    if (entry.replaces !== undefined) this.#drop(entry.replaces);
    entry.replaces = undefined;
    entry.state = 'live';
    (this.#index.get(entry.channel) as FilterIndex<Entry>).add(entry, entry.typed);
    entry.typed = undefined;
    return bytes;
  }

  /** Ends one subscription (and the live one it was to replace). */
  end(subscription: Subscription): void {
    const entry = subscription as Entry;
    if (entry.state === 'ended') return;
    if (entry.replaces !== undefined) this.#drop(entry.replaces);
    this.#drop(entry);
  }

  /** Ends `sink`'s subscription of `channel`, whatever its state; true when there was one. */
  endChannel(sink: FrameSink, channel: ChannelName): boolean {
    const entry = entryOf(mineOf(sink), channel);
    if (entry === undefined) return false;
    this.end(entry);
    return true;
  }

  /** Ends every subscription of `sink` (it closed). */
  endSink(sink: FrameSink): void {
    const mine = mineOf(sink);
    if (mine === undefined) return;
    for (const entry of entriesOf(mine)) this.end(entry);
    setMine(sink, undefined);
  }

  /**
   * The fan-out for one event: each live subscription of its channel whose cursor it passes and whose
   * filter it matches gets the frame, built once per transport by the sink's encoder; subscriptions
   * still replaying buffer it.
   */
  fanOut(event: BusEvent): void {
    const channel = event.channel;
    const replaying = this.#replaying.get(channel) as Set<Entry>;
    if (replaying.size > 0) {
      for (const entry of replaying) if (entry.filter === null || entry.filter(event.envelope)) (entry.buffer ??= []).push(event);
    }
    const index = this.#index.get(channel) as FilterIndex<Entry>;
    if (index.size === 0) return;
    const envelope = event.envelope;
    const seq = event.seq;
    const epoch = envelope.epoch;
    let encoder: FrameEncoder | undefined;
    let frame: OutboundFrame | undefined;
    index.match(envelope, (s) => {
      // The replay → live boundary: never hand a sink the same event twice.
      if (!advanceCursor(s, epoch, seq)) return;
      const sink = s.sink;
      if (sink.encoder !== encoder) {
        encoder = sink.encoder;
        frame = encoder.frameOf(event);
      }
      sink.enqueue(frame as OutboundFrame);
    });
  }

  /** A buffered event through the cursor (the filter was applied when it was buffered). */
  #deliver(entry: Entry, event: BusEvent, encoder: FrameEncoder): void {
    if (!advanceCursor(entry, event.envelope.epoch, event.seq)) return;
    entry.sink.enqueue(encoder.frameOf(event));
  }

  #drop(entry: Entry): void {
    if (entry.state === 'ended') return;
    if (entry.state === 'live') (this.#index.get(entry.channel) as FilterIndex<Entry>).remove(entry);
    else (this.#replaying.get(entry.channel) as Set<Entry>).delete(entry);
    entry.state = 'ended';
    entry.buffer = undefined;
    const mine = mineOf(entry.sink);
    if (mine === entry) setMine(entry.sink, undefined);
    else if (mine instanceof Map && mine.get(entry.channel) === entry) {
      mine.delete(entry.channel);
      // Back to the single entry (or nothing), so a sink that once held two channels costs no map.
      if (mine.size <= 1) {
        const [last] = mine.values();
        setMine(entry.sink, last);
      }
    }
    this.#onChange?.(entry.sink);
  }
}
