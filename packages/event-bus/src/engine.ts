import type { ChannelName, EventEnvelope, EventType, SinceCursor } from '@ns/contracts';

/**
 * An event the bus has validated and transformed, ready for the engine to sequence.
 * The engine adds `seq` and `epoch` and builds the envelope.
 */
export interface PendingEvent {
  id: string;
  type: EventType;
  channel: ChannelName;
  /** Acceptance time, Unix seconds (float). */
  ts: number;
  data: Record<string, unknown>;
  /**
   * True when the publisher supplied `id`: the engine then answers a repeat of the same event (id,
   * type and data) with the original result, and a reuse of the id for a different event with
   * `id_conflict`. Engines remember at least these ids; one whose append can end with an unknown
   * outcome (Redis) remembers every id, so a retry with the ids it was given is safe.
   */
  idempotent: boolean;
  /**
   * `data` as JSON, when the bus has it already (the publish parser serialized it to check its size
   * and no transform changed it since): the engine builds the envelope's JSON around it instead of
   * serializing `data` again. Undefined: the engine serializes `data` itself.
   */
  dataJson?: string | undefined;
}

/** What the engine assigned to one appended event. */
export interface AppendResult {
  id: string;
  channel: ChannelName;
  seq: number;
  /**
   * True when the same event (id, type, data) was appended within the idempotency window, earlier or
   * in this batch: the original result, nothing stored or delivered again.
   */
  duplicate: boolean;
}

/** One stored event as fanned out by the engine; `json` is its serialization when the engine has it. */
export interface StoredEvent {
  envelope: EventEnvelope;
  json?: string;
}

/** The current position of a channel. */
export interface ChannelHead {
  epoch: string;
  /** Last assigned seq (0 before the first event). */
  seq: number;
}

/** Result of {@link Engine.readSince}. */
export interface ReadSinceResult extends ChannelHead {
  /**
   * True when `since` had the current epoch and every later event is still retained (lossless
   * channels), or the channel keeps latest-per-key values of the current epoch. False means the
   * client must reload state; `events` then holds what is retained (ring) or the snapshot (latest).
   */
  recovered: boolean;
  /** Events to replay, in seq order, all with seq ≤ `seq`. */
  events: StoredEvent[];
}

/** A page of retained history. */
export interface HistoryPage extends ChannelHead {
  events: StoredEvent[];
}

/** Receives every stored event from the engine, per channel in seq order. */
export type EngineListener = (event: StoredEvent) => void;

/** Engine readiness, e.g. the Redis connection. */
export type EngineState = 'ready' | 'down';

/**
 * Seqs `fromSeq..toSeq` of a lossless channel that this engine instance will never deliver (e.g. a
 * Redis instance cut off from pub/sub for longer than the channel's history lasts).
 */
export interface EngineLoss {
  channel: ChannelName;
  epoch: string;
  fromSeq: number;
  toSeq: number;
}

/**
 * The seam for scale-out: assigns `seq`, holds the `epoch`, stores history by each channel's delivery
 * class, and fans events out to every bus attached to it (in this process or, for Redis, every
 * process). `MemoryEngine` is the default.
 */
export interface Engine {
  readonly name: string;
  /**
   * Sequence, store and fan out `events`, all or nothing. Rejects `unavailable` when down — with
   * `details: {outcome: 'unknown', ids}` (`UnknownOutcomeDetails`) when the events may have been
   * stored all the same — and `id_conflict`, storing nothing, when an idempotent id of the batch is
   * held by a different event (within the window or earlier in the batch).
   */
  append(events: readonly PendingEvent[]): Promise<AppendResult[]>;
  /** Events after `since` (or the snapshot/retained history when `since` is absent), atomically with the head. */
  readSince(channel: ChannelName, since: SinceCursor | undefined): Promise<ReadSinceResult>;
  /** Retained events with seq > `sinceSeq`, at most `limit`, oldest first. */
  history(channel: ChannelName, options?: { sinceSeq?: number; limit?: number }): Promise<HistoryPage>;
  /** Current epoch and seq of every channel. */
  heads(): Promise<Record<ChannelName, ChannelHead>>;
  /** Attach a listener for every stored event; returns its detach function. */
  subscribe(listener: EngineListener): () => void;
  /** Current readiness. */
  readonly state: EngineState;
  /** Observe readiness changes; returns its detach function. */
  onStateChange(listener: (state: EngineState) => void): () => void;
  /**
   * Observe losses, called before any later event of the channel is delivered, so a consumer can end
   * the channel's lossless subscriptions instead of letting a seq jump pass silently. Optional: an
   * engine that cannot lose (MemoryEngine) need not implement it. Returns its detach function.
   */
  onLoss?(listener: (loss: EngineLoss) => void): () => void;
  close(): Promise<void>;
}
