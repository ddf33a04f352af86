import type { Sequenced } from './history-ring.js';

/**
 * The latest event per key (a `latest` channel's `component`), capped at `maxKeys`. A `Map` keeps
 * insertion order, and an update re-inserts its key, so the first key is always the least recently
 * updated one: that is the one evicted when a new key would exceed the cap.
 */
export class LatestStore<T extends Sequenced> {
  readonly maxKeys: number;
  readonly #byKey = new Map<string, T>();

  constructor(maxKeys: number) {
    if (!Number.isInteger(maxKeys) || maxKeys < 1) throw new RangeError(`maxKeys must be a positive integer, got ${maxKeys}`);
    this.maxKeys = maxKeys;
  }

  get size(): number {
    return this.#byKey.size;
  }

  /** Stores `event` as the latest of `key`; returns the key evicted to stay under the cap, if any. */
  set(key: string, event: T): string | undefined {
    if (this.#byKey.delete(key)) {
      this.#byKey.set(key, event);
      return undefined;
    }
    this.#byKey.set(key, event);
    if (this.#byKey.size <= this.maxKeys) return undefined;
    const oldest = this.#byKey.keys().next().value as string;
    this.#byKey.delete(oldest);
    return oldest;
  }

  get(key: string): T | undefined {
    return this.#byKey.get(key);
  }

  /** Latest events with seq > `seq`, in seq order (which is also update order). */
  after(seq: number): T[] {
    const out: T[] = [];
    for (const event of this.#byKey.values()) if (event.envelope.seq > seq) out.push(event);
    return out;
  }

  clear(): void {
    this.#byKey.clear();
  }
}
