import { ListenerList } from '@ns/contracts/support';
import type { ControlNotice, ControlNoticeKind, NoticeOf } from './notices.js';

/** One stored record: its id in its collection, its value (JSON text) and when it expires (Unix ms). */
export interface ControlRecord {
  readonly id: string;
  readonly value: string;
  readonly expiresAtMs: number;
}

/** Outcome of {@link ControlPlane.put}: `full` when the collection already holds `max` live records. */
export type PutOutcome = { stored: true; count: number } | { stored: false; count: number };

/**
 * How gateway instances sharing an engine tell each other things and keep small shared state
 * (docs/architecture.md#control-notices): the memory engine's plane lives in the process; the Redis
 * engine's uses a pub/sub channel and two keys per collection on the same Redis.
 */
export interface ControlPlane {
  /** `memory` or `redis`. */
  readonly name: string;
  /** This instance's id; notices it sent are handled here at once and not again when echoed. */
  readonly instanceId: string;
  /**
   * Delivers `notice` to the handlers of its kind on this instance at once, then to every other
   * instance (Redis: one PUBLISH). Rejects when the other instances cannot be told (Redis down).
   */
  broadcast(notice: ControlNotice): Promise<void>;
  /** Calls `handler` for every notice of `kind`, from any instance; returns the unsubscribe. */
  onNotice<K extends ControlNoticeKind>(kind: K, handler: (notice: NoticeOf<K>) => void): () => void;
  /**
   * Calls `handler` whenever notices may have been missed (the Redis subscription was re-established
   * after an outage), so that state derived from the store can be reloaded. Never called by the memory plane.
   */
  onResync(handler: () => void): () => void;
  /**
   * Stores `value` as `id` in `collection` until `expiresAtMs` (replacing a record with the same id).
   * Expired records are removed first; a new id is refused (`stored: false`) when `max` live records are held.
   */
  put(collection: string, id: string, value: string, expiresAtMs: number, max: number): Promise<PutOutcome>;
  /** The live records of `collection`, soonest expiry first. */
  list(collection: string): Promise<ControlRecord[]>;
  close(): Promise<void>;
}

/** A handler table shared by both planes: handlers run one by one; one that throws is reported and does not stop the others. */
export class NoticeHandlers {
  readonly #handlers = new Map<ControlNoticeKind, ListenerList<(notice: ControlNotice) => void>>();
  readonly #resync: ListenerList<() => void>;
  readonly #onError: (err: unknown, kind: string) => void;

  constructor(onError: (err: unknown, kind: string) => void) {
    this.#onError = onError;
    this.#resync = new ListenerList((err) => onError(err, 'resync'));
  }

  on<K extends ControlNoticeKind>(kind: K, handler: (notice: NoticeOf<K>) => void): () => void {
    let list = this.#handlers.get(kind);
    if (list === undefined) this.#handlers.set(kind, (list = new ListenerList((err, [notice]) => this.#onError(err, notice.kind))));
    return list.add(handler as (notice: ControlNotice) => void);
  }

  onResync(handler: () => void): () => void {
    return this.#resync.add(handler);
  }

  deliver(notice: ControlNotice): void {
    this.#handlers.get(notice.kind)?.emit(notice);
  }

  resync(): void {
    this.#resync.emit();
  }
}
