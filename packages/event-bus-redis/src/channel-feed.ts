import type { StoredEvent } from '@ns/event-bus';

/** One event on its way to delivery: its position, and the event itself (parsed lazily). */
export interface FeedEntry {
  readonly epoch: string;
  readonly seq: number;
  /** The event; entries from the wire are parsed only when delivered. Undefined when unreadable. */
  load(): StoredEvent | undefined;
}

/** What {@link ChannelFeedOptions.read} answers: the channel's current head and retained entries. */
export interface FeedRead {
  epoch: string;
  seq: number;
  /** Retained entries in seq order, all of `epoch`. */
  entries: FeedEntry[];
}

/** Options of {@link ChannelFeed}. */
export interface ChannelFeedOptions {
  /** False for channels without history: a gap cannot be filled, so it is skipped. */
  repairable: boolean;
  /**
   * Retained entries after `afterSeq` through `untilSeq` (through the head when undefined) of
   * `epoch`, atomically with the head; when `epoch` is not (or no longer) the current one,
   * everything retained of the current epoch.
   */
  read(epoch: string | undefined, afterSeq: number, untilSeq: number | undefined): Promise<FeedRead>;
  /** Hands one event to the engine's listeners, in seq order. */
  deliver(event: StoredEvent): void;
  /** A read failed (the connection is down): the feed stalls until the next {@link ChannelFeed.sync}. */
  onReadError?(err: unknown): void;
  /** An entry could not be parsed and was skipped. */
  onBadEntry?(entry: FeedEntry): void;
  /**
   * Seqs `fromSeq..toSeq` of `epoch` are gone from history (trimmed while this instance could not
   * hear them): they will never be delivered. Called BEFORE anything after them is delivered, so a
   * consumer can make the loss visible (e.g. end lossless subscriptions, whose clients then resume
   * and are told recovered:false) instead of letting it pass as a silent gap. Set only for channels
   * whose history is meant to be complete (lossless rings), not for latest-per-key channels.
   */
  onLoss?(loss: FeedLoss): void;
}

/** Events a feed could not deliver because history no longer held them. */
export interface FeedLoss {
  epoch: string;
  fromSeq: number;
  toSeq: number;
}

interface SyncToken {
  readonly sync: true;
  resolve(): void;
  reject(err: unknown): void;
}

interface Waiter {
  epoch: string;
  seq: number;
  resolve(): void;
}

type Item = FeedEntry | SyncToken;

const isSync = (item: Item): item is SyncToken => (item as SyncToken).sync === true;

/** How many superseded epochs are remembered, to drop their stragglers. */
const RETIRED_EPOCHS = 8;

/**
 * Ordered, gap-free delivery of one channel on one instance. Entries come from the channel's pub/sub
 * topic — every instance's events, this one's included, in seq order as long as the subscriber stays
 * connected — and from reads of Redis. Each seq is delivered once, in order. A seq ahead of the next
 * expected one means a publish was missed: the missing seqs are read from history (the Stream, or the
 * latest-per-key hash) before it is delivered. After a reconnect, `sync()` catches up the same way.
 * A new epoch voids the old one: stragglers of superseded epochs are dropped.
 *
 * The engine's append replies are deliberately NOT fed in: they race the pub/sub copy on another
 * connection, and a reply running ahead of a subscriber backlog larger than the ring would make the
 * backlog look lost (measured: 2 processes flooding, 2300 false losses per 40 000 events).
 */
export class ChannelFeed {
  readonly #options: ChannelFeedOptions;
  #epoch: string | undefined;
  #seq = 0;
  readonly #retired: string[] = [];
  /** Up to where the last read covered: a gap at or before it is not read again (it was trimmed). */
  #covered: { epoch: string; seq: number } | undefined;
  #queue: Item[] = [];
  #reading = false;
  #pumping = false;
  #stalled = false;
  #closed = false;
  /** Bumped by every sync(), so a read that fails after a newer sync does not stall the feed. */
  #generation = 0;
  /** The subscriber dropped: what was appended meanwhile arrives with the next sync, not now. */
  #interrupted = false;
  #waiters: Waiter[] = [];
  #gapReads = 0;
  #repaired = 0;
  #lostEvents = 0;

  constructor(options: ChannelFeedOptions) {
    this.#options = options;
  }

  /** The epoch and the last seq delivered (or adopted at the first sync). */
  get position(): { epoch: string | undefined; seq: number } {
    return { epoch: this.#epoch, seq: this.#seq };
  }

  /** Reads made to fill gaps (not syncs), the entries they brought back, and seqs reported lost. */
  get repairs(): { reads: number; entries: number; lost: number } {
    return { reads: this.#gapReads, entries: this.#repaired, lost: this.#lostEvents };
  }

  /** Entries waiting for delivery (behind a gap, a read, or a stall). */
  get pending(): number {
    return this.#queue.length;
  }

  /** Adds entries (in seq order) for delivery. */
  offer(entries: readonly FeedEntry[]): void {
    if (this.#closed) return;
    for (const entry of entries) this.#insert(entry);
    this.#pump();
  }

  /**
   * Catches up with the head: the first call adopts the head without delivering history; later
   * calls (after a reconnect) deliver every retained entry after the last delivered one, or switch
   * to a new epoch. Resolves when the read is done; rejects when it failed.
   */
  sync(): Promise<void> {
    this.#generation++;
    this.#stalled = false;
    this.#interrupted = false;
    return new Promise<void>((resolve, reject) => {
      if (this.#closed) {
        resolve();
        return;
      }
      this.#queue.unshift({ sync: true, resolve, reject });
      this.#pump();
    });
  }

  /**
   * Resolves once `seq` of `epoch` was delivered or will only be after a resync (a newer epoch, a
   * stall, an interruption, close),
   * so an append resolves after this instance's listeners saw its events.
   */
  delivered(epoch: string, seq: number): Promise<void> {
    if (this.#settled(epoch, seq)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ epoch, seq, resolve }));
  }

  /**
   * The subscriber connection dropped: releases every waiter (their events are stored and will be
   * delivered by the next sync), and later waiters too, until that sync.
   */
  interrupt(): void {
    this.#interrupted = true;
    this.#release();
  }

  /** Stops delivery and releases every waiter. */
  close(): void {
    this.#closed = true;
    for (const item of this.#queue) if (isSync(item)) item.resolve();
    this.#queue = [];
    this.#release();
  }

  /** Inserts in seq order within one epoch; entries mostly arrive in order, so this is O(1). */
  #insert(entry: FeedEntry): void {
    let i = this.#queue.length;
    while (i > 0) {
      const before = this.#queue[i - 1] as Item;
      if (isSync(before) || before.epoch !== entry.epoch || before.seq <= entry.seq) break;
      i--;
    }
    if (i === this.#queue.length) this.#queue.push(entry);
    else this.#queue.splice(i, 0, entry);
  }

  #pump(): void {
    if (this.#pumping || this.#reading || this.#stalled || this.#closed) return;
    this.#pumping = true;
    try {
      this.#drain();
    } finally {
      this.#pumping = false;
      this.#release();
    }
  }

  #drain(): void {
    while (this.#queue.length > 0 && !this.#closed) {
      const item = this.#queue[0] as Item;
      if (isSync(item)) {
        this.#queue.shift();
        this.#read(undefined, item);
        return;
      }
      // Nothing is delivered before the first sync positioned the feed at the head.
      if (this.#epoch === undefined) return;
      if (this.#retired.includes(item.epoch)) {
        this.#queue.shift();
        continue;
      }
      if (item.epoch !== this.#epoch) this.#adopt(item.epoch, 0);
      if (item.seq <= this.#seq) {
        this.#queue.shift();
        continue;
      }
      if (item.seq > this.#seq + 1 && this.#options.repairable && !this.#isCovered(item)) {
        this.#read(item.seq - 1);
        return;
      }
      this.#queue.shift();
      this.#seq = item.seq;
      const event = item.load();
      if (event === undefined) this.#options.onBadEntry?.(item);
      else this.#options.deliver(event);
    }
  }

  #isCovered(entry: FeedEntry): boolean {
    const c = this.#covered;
    return c !== undefined && c.epoch === entry.epoch && entry.seq <= c.seq + 1;
  }

  /** Reads the gap through `untilSeq` (or through the head, for a sync) and puts it in front. */
  #read(untilSeq: number | undefined, sync?: SyncToken): void {
    this.#reading = true;
    if (sync === undefined) this.#gapReads++;
    const generation = this.#generation;
    const first = this.#epoch === undefined;
    this.#options.read(this.#epoch, this.#seq, untilSeq).then(
      (result) => {
        this.#reading = false;
        if (this.#closed) {
          sync?.resolve();
          return;
        }
        if (first) {
          // The first sync positions the feed at the head: history is for resume, not for live.
          this.#epoch = result.epoch;
          this.#seq = result.seq;
        } else {
          const renewed = result.epoch !== this.#epoch;
          if (renewed) this.#adopt(result.epoch, 0);
          // untilSeq counts in the old epoch; after a renewal the read covered the new head.
          if (renewed) untilSeq = undefined;
          const fresh = result.entries.filter((e) => e.epoch === this.#epoch && e.seq > this.#seq);
          if (sync === undefined) this.#repaired += fresh.length;
          const through = untilSeq === undefined ? result.seq : Math.min(untilSeq, result.seq);
          const firstKept = fresh[0]?.seq ?? through + 1;
          if (firstKept > this.#seq + 1) this.#lost(result.epoch, this.#seq + 1, firstKept - 1);
          this.#queue.unshift(...fresh);
        }
        this.#covered = { epoch: result.epoch, seq: untilSeq === undefined ? result.seq : Math.min(untilSeq, result.seq) };
        sync?.resolve();
        this.#pump();
      },
      (err: unknown) => {
        this.#reading = false;
        sync?.reject(err);
        // A read that fails after a newer sync() was requested must not stall the feed it queued.
        if (generation !== this.#generation) {
          this.#pump();
          return;
        }
        this.#stalled = true;
        this.#options.onReadError?.(err);
        this.#release();
      },
    );
  }

  #lost(epoch: string, fromSeq: number, toSeq: number): void {
    if (this.#options.onLoss === undefined) return;
    this.#lostEvents += toSeq - fromSeq + 1;
    this.#options.onLoss({ epoch, fromSeq, toSeq });
  }

  #adopt(epoch: string, seq: number): void {
    if (this.#epoch !== undefined && this.#epoch !== epoch) {
      this.#retired.push(this.#epoch);
      if (this.#retired.length > RETIRED_EPOCHS) this.#retired.shift();
    }
    this.#epoch = epoch;
    this.#seq = seq;
  }

  #settled(epoch: string, seq: number): boolean {
    if (this.#closed || this.#stalled || this.#interrupted) return true;
    if (this.#retired.includes(epoch)) return true;
    return epoch === this.#epoch && this.#seq >= seq;
  }

  #release(): void {
    if (this.#waiters.length === 0) return;
    const waiting: Waiter[] = [];
    for (const w of this.#waiters) {
      if (this.#settled(w.epoch, w.seq)) w.resolve();
      else waiting.push(w);
    }
    this.#waiters = waiting;
  }
}
