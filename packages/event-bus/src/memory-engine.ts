import {
  CHANNEL_NAMES,
  CHANNELS,
  NsError,
  isChannelName,
  latestKeyOf,
  type ChannelName,
  type ChannelSpec,
  type EventEnvelope,
  type EventType,
  type SinceCursor,
} from '@ns/contracts';
import { ListenerList, silentLogger, type Logger } from '@ns/contracts/support';
import { BusEvent } from './bus-event.js';
import type {
  AppendResult,
  ChannelHead,
  Engine,
  EngineListener,
  EngineState,
  HistoryPage,
  PendingEvent,
  ReadSinceResult,
  StoredEvent,
} from './engine.js';
import { generateEpoch } from './event-id.js';
import { dataDigest, idConflictError, type IdConflict } from './event-identity.js';
import { HistoryRing } from './history-ring.js';
import { IdempotencyWindow } from './idempotency-window.js';
import { LatestStore } from './latest-store.js';

/** Options of {@link MemoryEngine}. */
export interface MemoryEngineOptions {
  /** How long a publisher-supplied id is remembered; default 5 min. */
  idempotencyWindowMs?: number;
  /** Most ids remembered at once (the oldest are forgotten first); default 100 000. */
  maxIdempotencyKeys?: number;
  /** The epoch of every channel; default a random id, new for every engine. */
  epoch?: string;
  /** Where a failing listener is reported; default silent (an `EventBus` passes its own logger). */
  logger?: Logger;
}

/** What the idempotency window keeps per id: the result, and what tells the same event from another. */
interface RememberedEvent {
  result: AppendResult;
  type: EventType;
  /** {@link dataDigest} of the event's data. */
  digest: string;
}

/** Where one channel keeps its history, chosen by the registry's `history` spec. */
type ChannelStore =
  | { kind: 'ring'; ring: HistoryRing<BusEvent> }
  | { kind: 'latest'; latest: LatestStore<BusEvent> }
  | { kind: 'none' };

interface ChannelState {
  seq: number;
  store: ChannelStore;
}

function storeFor(spec: ChannelSpec): ChannelStore {
  switch (spec.history.kind) {
    case 'ring':
      return { kind: 'ring', ring: new HistoryRing(spec.history.size) };
    case 'latest':
      return { kind: 'latest', latest: new LatestStore(spec.history.maxKeys) };
    case 'none':
      return { kind: 'none' };
  }
}

/**
 * The default, single-process engine: per-channel seq from 1, one epoch for the engine's life,
 * history by delivery class (lossless ring of N, latest per key within a key cap, none), an
 * idempotency window, and synchronous fan-out to every attached listener in seq order.
 *
 * Stored events are {@link BusEvent}s, so a bus attached to this engine shares one lazily
 * serialized JSON per event across live delivery, replay and history.
 */
export class MemoryEngine implements Engine {
  readonly name = 'memory';
  readonly epoch: string;
  readonly #channels: Record<ChannelName, ChannelState>;
  readonly #idempotency: IdempotencyWindow<RememberedEvent>;
  readonly #logger: Logger;
  // A listener (a bus) must not break fan-out to the others; buses catch their own handlers.
  readonly #listeners = new ListenerList<EngineListener>((err, [event]) =>
    this.#logger.error({ err, channel: event.envelope.channel }, 'memory engine: listener failed'),
  );
  readonly #stateListeners = new ListenerList<(state: EngineState) => void>((err) => this.#logger.error({ err }, 'memory engine: state listener failed'));
  #state: EngineState = 'ready';
  /** Events stored but not yet fanned out; see {@link MemoryEngine.append}. */
  readonly #outbox: BusEvent[] = [];
  #draining = false;

  constructor(options: MemoryEngineOptions = {}) {
    this.epoch = options.epoch ?? generateEpoch();
    this.#logger = options.logger ?? silentLogger;
    this.#idempotency = new IdempotencyWindow({
      windowMs: options.idempotencyWindowMs,
      maxKeys: options.maxIdempotencyKeys,
    });
    this.#channels = Object.fromEntries(
      CHANNEL_NAMES.map((c) => [c, { seq: 0, store: storeFor(CHANNELS[c]) }]),
    ) as Record<ChannelName, ChannelState>;
  }

  get state(): EngineState {
    return this.#state;
  }

  /** Ids currently held by the idempotency window (for observing its bound). */
  get idempotencyKeys(): number {
    return this.#idempotency.size;
  }

  /** How many events the channel currently retains (ring size, keys of a latest map, or 0). */
  retained(channel: ChannelName): number {
    const store = this.#channel(channel).store;
    return store.kind === 'ring' ? store.ring.size : store.kind === 'latest' ? store.latest.size : 0;
  }

  /**
   * Sequences, stores and fans out `events` in order. A publisher-supplied id seen within the window
   * (or earlier in the batch) for the same event — type and data — returns the original result with
   * `duplicate: true` and is neither stored nor delivered again; seen for a different event, the
   * whole batch is refused `id_conflict` and nothing is stored.
   * Fan-out is synchronous, but never re-entrant: an append made by a listener during fan-out is
   * delivered after the current event reached every listener, so each listener sees seq order.
   */
  async append(events: readonly PendingEvent[]): Promise<AppendResult[]> {
    this.#assertReady('nothing was published');
    for (const pending of events) this.#channel(pending.channel); // all or nothing: check before storing
    // First pass, nothing stored yet: which events repeat one already stored (or an earlier one of
    // this batch), and does any id name a different event?
    const repeats: (AppendResult | number | undefined)[] = new Array(events.length);
    const digests: (string | undefined)[] = new Array(events.length);
    const conflicts: IdConflict[] = [];
    const inBatch = new Map<string, { index: number; type: EventType; digest: string }>();
    events.forEach((pending, index) => {
      if (!pending.idempotent) return;
      const digest = dataDigest(pending.data);
      digests[index] = digest;
      const held = inBatch.get(pending.id) ?? this.#idempotency.get(pending.id);
      if (held === undefined) {
        inBatch.set(pending.id, { index, type: pending.type, digest });
      } else if (held.type !== pending.type || held.digest !== digest) {
        conflicts.push({ index, id: pending.id, heldBy: held.type });
      } else {
        repeats[index] = 'index' in held ? held.index : { ...held.result, duplicate: true };
      }
    });
    if (conflicts.length > 0) throw idConflictError(conflicts);

    const results: AppendResult[] = [];
    events.forEach((pending, index) => {
      const repeat = repeats[index];
      if (repeat !== undefined) {
        results.push(typeof repeat === 'number' ? { ...(results[repeat] as AppendResult), duplicate: true } : repeat);
        return;
      }
      const state = this.#channel(pending.channel);
      const seq = ++state.seq;
      const envelope = {
        type: pending.type,
        channel: pending.channel,
        id: pending.id,
        seq,
        epoch: this.epoch,
        ts: pending.ts,
        data: pending.data,
      } as EventEnvelope;
      const event = new BusEvent(envelope, undefined, pending.dataJson);
      this.#store(state.store, event);
      const result: AppendResult = { id: pending.id, channel: pending.channel, seq, duplicate: false };
      const digest = digests[index];
      if (digest !== undefined) this.#idempotency.set(pending.id, { result, type: pending.type, digest });
      results.push(result);
      this.#outbox.push(event);
    });
    this.#drain();
    return results;
  }

  async readSince(channel: ChannelName, since: SinceCursor | undefined): Promise<ReadSinceResult> {
    this.#assertReady();
    const { seq, store } = this.#channel(channel);
    // Key by key, not `{ ...head, … }`: on Node 20's V8 a literal that starts with a spread and adds keys
    // gets a hidden class of its own (one more map per resume).
    const result = (recovered: boolean, events: StoredEvent[]): ReadSinceResult => ({ epoch: this.epoch, seq, recovered, events });
    const valid = since !== undefined && since.epoch === this.epoch && since.seq <= seq;
    switch (store.kind) {
      case 'ring': {
        const first = store.ring.firstSeq ?? seq + 1;
        // Every event after since.seq is still retained when the oldest retained one follows it.
        if (valid && since.seq + 1 >= first) return result(true, store.ring.after(since.seq));
        return result(false, store.ring.after(0));
      }
      case 'latest':
        if (valid) return result(true, store.latest.after(since.seq));
        return result(false, store.latest.after(0));
      case 'none':
        return result(valid && since.seq === seq, []);
    }
  }

  /**
   * Retained events with seq > `sinceSeq`, oldest first. With `sinceSeq`, the first `limit` after it
   * (paging forward); without, the newest `limit`.
   */
  async history(channel: ChannelName, options: { sinceSeq?: number; limit?: number } = {}): Promise<HistoryPage> {
    this.#assertReady();
    const { seq, store } = this.#channel(channel);
    const limit = options.limit ?? Infinity;
    const sinceSeq = options.sinceSeq;
    let events: StoredEvent[] = [];
    if (store.kind === 'ring') {
      events = sinceSeq === undefined ? store.ring.latest(limit) : store.ring.after(sinceSeq, limit);
    } else if (store.kind === 'latest') {
      const all = store.latest.after(sinceSeq ?? 0);
      events = sinceSeq === undefined ? all.slice(Math.max(0, all.length - limit)) : all.slice(0, limit);
    }
    return { epoch: this.epoch, seq, events };
  }

  async heads(): Promise<Record<ChannelName, ChannelHead>> {
    this.#assertReady();
    return Object.fromEntries(CHANNEL_NAMES.map((c) => [c, { epoch: this.epoch, seq: this.#channels[c].seq }])) as Record<
      ChannelName,
      ChannelHead
    >;
  }

  subscribe(listener: EngineListener): () => void {
    return this.#listeners.add(listener);
  }

  onStateChange(listener: (state: EngineState) => void): () => void {
    return this.#stateListeners.add(listener);
  }

  /** Stops the engine: it reports `down`, forgets its history and detaches every listener. */
  async close(): Promise<void> {
    if (this.#state === 'down') return;
    this.#state = 'down';
    this.#stateListeners.emit('down');
    this.#listeners.clear();
    this.#stateListeners.clear();
    this.#outbox.length = 0;
    this.#idempotency.clear();
    for (const c of CHANNEL_NAMES) {
      const store = this.#channels[c].store;
      if (store.kind === 'ring') store.ring.clear();
      else if (store.kind === 'latest') store.latest.clear();
    }
  }

  #store(store: ChannelStore, event: BusEvent): void {
    if (store.kind === 'ring') {
      store.ring.push(event);
    } else if (store.kind === 'latest') {
      const key = latestKeyOf(event.channel, event.envelope.data);
      if (key !== undefined) store.latest.set(key, event);
    }
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    try {
      // Index loop: listeners may append more events while we deliver.
      for (let i = 0; i < this.#outbox.length; i++) {
        this.#listeners.emit(this.#outbox[i] as BusEvent);
      }
    } finally {
      this.#outbox.length = 0;
      this.#draining = false;
    }
  }

  #channel(channel: ChannelName): ChannelState {
    if (!isChannelName(channel)) throw new NsError('unknown_channel', `unknown channel "${String(channel).slice(0, 64)}"`);
    return this.#channels[channel];
  }

  // Through the public getter, so an engine reporting `down` (a subclass standing for a lost
  // backend) refuses work as it says; only `close()` sets the private state.
  /** Throws `unavailable` unless ready; `consequence` says what did not happen (e.g. nothing was published). */
  #assertReady(consequence?: string): void {
    if (this.state !== 'ready') {
      const state = `engine ${this.name} is ${this.#state === 'down' ? 'closed' : 'down'}`;
      throw new NsError('unavailable', consequence === undefined ? state : `${state}; ${consequence}`);
    }
  }
}
