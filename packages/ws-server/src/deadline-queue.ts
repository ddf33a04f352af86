/**
 * Deadlines that all share one timeout, for keys such as pending handshakes: arrival order is expiry
 * order, so an insertion-ordered map is already sorted and one timer serves them all. A timer per key,
 * cleared microseconds later when the handshake answered, made Node create and drop a timer list every
 * time (~30 µs of a ~360 µs handshake, CPU profile over 6,000 connections); per key this keeps one map
 * entry, no Timeout and no closure.
 */
export class DeadlineQueue<K> {
  readonly #timeoutMs: number;
  readonly #onExpiry: (key: K) => void;
  /** Keys and when they expire (`performance.now()` ms), oldest first. */
  readonly #pending = new Map<K, number>();
  #timer: NodeJS.Timeout | undefined;

  /** `onExpiry` is called once for each key still queued `timeoutMs` after it was added. */
  constructor(timeoutMs: number, onExpiry: (key: K) => void) {
    if (!(timeoutMs > 0)) throw new RangeError(`deadline timeout must be > 0 ms (got ${timeoutMs})`);
    this.#timeoutMs = timeoutMs;
    this.#onExpiry = onExpiry;
  }

  /** Keys waiting. */
  get size(): number {
    return this.#pending.size;
  }

  /** When `key` expires (`performance.now()` ms), or undefined once it expired or was deleted. */
  expiresAt(key: K): number | undefined {
    return this.#pending.get(key);
  }

  /** Starts `key`'s deadline (re-adding a key still queued keeps its first deadline). */
  add(key: K): void {
    if (this.#pending.has(key)) return;
    const at = performance.now() + this.#timeoutMs;
    this.#pending.set(key, at);
    if (this.#timer === undefined) this.#arm(at);
  }

  /**
   * Forgets `key`; false when it was not queued (it expired already, or was never added). The timer
   * stays: when it fires it finds nothing expired and re-arms for the oldest deadline left, or stays
   * off when none is left.
   */
  delete(key: K): boolean {
    return this.#pending.delete(key);
  }

  #arm(at: number): void {
    this.#timer = setTimeout(this.#sweep, Math.max(0, at - performance.now()));
    // Left armed after the last delete, it must not keep a closing process alive.
    this.#timer.unref();
  }

  readonly #sweep = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    for (const [key, at] of this.#pending) {
      if (at > now) {
        this.#arm(at);
        return;
      }
      this.#pending.delete(key);
      this.#onExpiry(key);
    }
  };
}
