import { NsError } from '@ns/contracts';

/** Micro-batching of a subscription: deliver up to `maxEvents` at once, waiting at most `maxDelayMs`. */
export interface MicroBatchOptions {
  /** Flush as soon as this many events are pending; default 100. */
  maxEvents?: number;
  /** Flush at most this long after the first pending event; default 10 ms. */
  maxDelayMs?: number;
}

/**
 * Collects items and hands them over in arrays, for bulk sinks (databases, files) that prefer one
 * write per batch: a batch is flushed when it reaches `maxEvents` (synchronously, inside the push
 * that filled it) or `maxDelayMs` after its first item, whichever comes first.
 */
export class MicroBatcher<T> {
  readonly maxEvents: number;
  readonly maxDelayMs: number;
  readonly #flush: (batch: T[]) => void;
  #pending: T[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: MicroBatchOptions, flush: (batch: T[]) => void) {
    this.maxEvents = options.maxEvents ?? 100;
    this.maxDelayMs = options.maxDelayMs ?? 10;
    if (!Number.isInteger(this.maxEvents) || this.maxEvents < 1) {
      throw new NsError('invalid_message', `batch.maxEvents must be a positive integer, got ${String(this.maxEvents)}`);
    }
    if (typeof this.maxDelayMs !== 'number' || !Number.isFinite(this.maxDelayMs) || this.maxDelayMs < 0) {
      throw new NsError('invalid_message', `batch.maxDelayMs must be a finite number >= 0, got ${String(this.maxDelayMs)}`);
    }
    this.#flush = flush;
  }

  /** Items waiting for the next flush. */
  get pending(): number {
    return this.#pending.length;
  }

  push(item: T): void {
    this.#pending.push(item);
    if (this.#pending.length >= this.maxEvents) this.flush();
    else this.#timer ??= setTimeout(() => this.flush(), this.maxDelayMs);
  }

  /** Hands over whatever is pending now (nothing when empty). */
  flush(): void {
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#pending.length === 0) return;
    // Swap before calling out: the sink may cause more pushes, which start the next batch.
    const batch = this.#pending;
    this.#pending = [];
    this.#flush(batch);
  }

  /** Forgets pending items without delivering them; returns them. */
  discard(): T[] {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const discarded = this.#pending;
    this.#pending = [];
    return discarded;
  }
}
