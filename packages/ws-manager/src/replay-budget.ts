/** Default bytes of replayed events (history after `since`, latest-per-key snapshots) per connection per second. */
export const DEFAULT_REPLAY_BYTES_PER_S = 256 * 1024;
/** How many seconds of the replay rate a connection may use at once. */
export const REPLAY_BURST_S = 4;

/**
 * What one connection may make the gateway send by asking again: bytes of replayed events, as a
 * token bucket that may go into debt. A replay starts only while the bucket is not in debt, and its
 * full size is then charged, so the first replay of a connection (a resume after a reconnect, a
 * snapshot) is never refused however large, while a client re-subscribing in a loop gets, sustained,
 * no more than `bytesPerS` — before, 10 anonymous clients re-subscribing to a 136 KB snapshot drew
 * 53 MB/s. Live events are not charged: they are bounded by what publishers send.
 */
export class ReplayBudget {
  readonly bytesPerS: number;
  readonly burstBytes: number;
  #tokens: number;
  #at: number;
  readonly #now: () => number;

  constructor(bytesPerS: number, burstBytes = bytesPerS * REPLAY_BURST_S, now: () => number = () => performance.now()) {
    if (!(bytesPerS > 0)) throw new RangeError('replay bytes per second must be > 0');
    this.bytesPerS = bytesPerS;
    this.burstBytes = burstBytes;
    this.#now = now;
    this.#tokens = burstBytes;
    this.#at = now();
  }

  /** Milliseconds until a replay may start; 0 = now. */
  waitMs(): number {
    this.#refill();
    return this.#tokens >= 0 ? 0 : Math.max(1, Math.ceil((-this.#tokens / this.bytesPerS) * 1000));
  }

  /** Charges a replay of `bytes`. */
  spend(bytes: number): void {
    this.#refill();
    this.#tokens -= bytes;
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.burstBytes, this.#tokens + ((now - this.#at) / 1000) * this.bytesPerS);
    this.#at = now;
  }
}
