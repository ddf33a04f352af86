/**
 * Re-syncs one stalled feed with backoff (200 ms doubling to 5 s) while the connections stay up: a
 * gap-repair read timed out or Redis refused it (OOM), and no reconnect will come to catch the feed up.
 * While the engine is not ready the retry stands down: the resync after reconnect syncs every feed.
 */
export class FeedRetry {
  readonly #sync: () => Promise<unknown>;
  readonly #ready: () => boolean;
  #timer: NodeJS.Timeout | undefined;
  #delayMs = 200;
  #running = false;
  #closed = false;

  constructor(sync: () => Promise<unknown>, ready: () => boolean) {
    this.#sync = sync;
    this.#ready = ready;
  }

  /** True while a retry cycle owns the feed. */
  get running(): boolean {
    return this.#running;
  }

  /** Starts a retry cycle unless one is running. */
  start(): void {
    if (this.#running || this.#closed) return;
    this.#running = true;
    this.#delayMs = 200;
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
  }

  #schedule(): void {
    this.#timer = setTimeout(() => {
      if (this.#closed) return;
      if (!this.#ready()) {
        this.#running = false;
        return;
      }
      this.#sync().then(
        () => {
          this.#running = false;
        },
        () => {
          this.#delayMs = Math.min(this.#delayMs * 2, 5000);
          if (!this.#closed) this.#schedule();
        },
      );
    }, this.#delayMs);
    this.#timer.unref();
  }
}
