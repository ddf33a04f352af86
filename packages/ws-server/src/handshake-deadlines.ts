/** A handshake's deadline, as {@link HandshakeDeadlines.add} returns it. */
export interface PendingDeadline {
  /** `performance.now()` at which it expires. */
  readonly at: number;
  readonly onExpiry: () => void;
}

/**
 * Deadlines of the handshakes still waiting for their upgrade checks. They all share one timeout, so
 * arrival order is expiry order and one timer serves them all: a `setTimeout` per handshake, cleared
 * microseconds later when the checks answered, made Node create and drop a timer list every time
 * (~30 µs of a ~360 µs handshake, CPU profile over 6,000 connections).
 */
export class HandshakeDeadlines {
  readonly #timeoutMs: number;
  readonly #pending = new Set<PendingDeadline>();
  #timer: NodeJS.Timeout | undefined;

  constructor(timeoutMs: number) {
    if (!(timeoutMs > 0)) throw new RangeError('handshakeTimeoutMs must be > 0');
    this.#timeoutMs = timeoutMs;
  }

  /** Handshakes waiting. */
  get size(): number {
    return this.#pending.size;
  }

  /** Calls `onExpiry` once the timeout has passed, unless {@link cancel} comes first. */
  add(onExpiry: () => void): PendingDeadline {
    const entry: PendingDeadline = { at: performance.now() + this.#timeoutMs, onExpiry };
    this.#pending.add(entry);
    if (this.#timer === undefined) this.#arm(entry.at);
    return entry;
  }

  /**
   * Forgets a deadline. The timer stays: when it fires it finds nothing expired and re-arms for the
   * oldest deadline left, or stays off when none is left.
   */
  cancel(entry: PendingDeadline): void {
    this.#pending.delete(entry);
  }

  #arm(at: number): void {
    this.#timer = setTimeout(this.#sweep, Math.max(0, at - performance.now()));
    // Left armed after the last cancel, it must not keep a closing process alive.
    this.#timer.unref();
  }

  readonly #sweep = (): void => {
    this.#timer = undefined;
    const now = performance.now();
    for (const entry of this.#pending) {
      if (entry.at > now) {
        this.#arm(entry.at);
        return;
      }
      this.#pending.delete(entry);
      entry.onExpiry();
    }
  };
}
