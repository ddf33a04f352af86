import { IDEMPOTENCY_WINDOW_MS } from '@ns/contracts';

/** Options of {@link IdempotencyWindow}. */
export interface IdempotencyWindowOptions {
  /** How long an id is remembered; default 5 min (docs/protocol.md#http-api). */
  windowMs?: number;
  /** Most ids remembered at once; the oldest are forgotten first. Default 100 000. */
  maxKeys?: number;
  /** Clock in milliseconds; default `Date.now`. */
  now?: () => number;
}

/** Default cap on remembered ids: ~100 B each, so ~10 MB at most. */
export const DEFAULT_MAX_IDEMPOTENCY_KEYS = 100_000;

interface Entry<R> {
  result: R;
  expiresAt: number;
}

/**
 * Remembers the result of each publisher-supplied event id for a time window, within a key cap.
 * Entries are kept in a `Map` in insertion order; with one fixed window that is also expiry order,
 * so expired ids are swept from the front in amortised O(1) and the cap evicts the oldest.
 */
export class IdempotencyWindow<R> {
  readonly windowMs: number;
  readonly maxKeys: number;
  readonly #now: () => number;
  readonly #entries = new Map<string, Entry<R>>();

  constructor(options: IdempotencyWindowOptions = {}) {
    this.windowMs = options.windowMs ?? IDEMPOTENCY_WINDOW_MS;
    this.maxKeys = options.maxKeys ?? DEFAULT_MAX_IDEMPOTENCY_KEYS;
    this.#now = options.now ?? Date.now;
    if (!(this.windowMs >= 0)) throw new RangeError(`windowMs must be >= 0, got ${this.windowMs}`);
    if (!Number.isInteger(this.maxKeys) || this.maxKeys < 0) throw new RangeError(`maxKeys must be an integer >= 0, got ${this.maxKeys}`);
  }

  /** Ids currently remembered (after sweeping expired ones). */
  get size(): number {
    this.#sweep(this.#now());
    return this.#entries.size;
  }

  /** The remembered result of `id`, if it was recorded within the window. */
  get(id: string): R | undefined {
    const now = this.#now();
    this.#sweep(now);
    return this.#entries.get(id)?.result;
  }

  /** Remembers `result` for `id` from now on. */
  set(id: string, result: R): void {
    if (this.maxKeys === 0 || this.windowMs === 0) return;
    const now = this.#now();
    this.#entries.delete(id);
    this.#entries.set(id, { result, expiresAt: now + this.windowMs });
    while (this.#entries.size > this.maxKeys) this.#entries.delete(this.#entries.keys().next().value as string);
  }

  clear(): void {
    this.#entries.clear();
  }

  #sweep(now: number): void {
    for (const [id, entry] of this.#entries) {
      if (entry.expiresAt > now) return;
      this.#entries.delete(id);
    }
  }
}
