/** Exponential backoff settings. */
export interface BackoffOptions {
  /** Cap of the first retry's delay window, in ms (default 500). */
  minMs: number;
  /** Largest delay window, in ms (default 30 000). */
  maxMs: number;
  /** Growth of the window per failed attempt (default 2). */
  factor: number;
}

/** Defaults: windows of 0.5 s, 1 s, 2 s … capped at 30 s. */
export const DEFAULT_BACKOFF: Readonly<BackoffOptions> = Object.freeze({ minMs: 500, maxMs: 30_000, factor: 2 });

/**
 * The delay before retry number `attempt` (0-based), with full jitter:
 * `random() * min(maxMs, minMs * factor ** attempt)`.
 *
 * Full jitter (rather than "exponential plus a little noise") spreads a crowd of clients that lost the
 * same gateway evenly over the whole window, so a restart is not met by a synchronized thundering herd.
 */
export function fullJitterDelay(attempt: number, options: BackoffOptions, random: () => number): number {
  // minMs 0 would make a huge attempt compute 0 * Infinity = NaN; the window is simply 0.
  const window = options.minMs === 0 ? 0 : Math.min(options.maxMs, options.minMs * options.factor ** attempt);
  return Math.floor(random() * window);
}

/** Checks user-supplied backoff options and fills in the defaults. */
export function resolveBackoff(options: Partial<BackoffOptions> | undefined): BackoffOptions {
  const resolved = { ...DEFAULT_BACKOFF, ...options };
  const { minMs, maxMs, factor } = resolved;
  if (!(Number.isFinite(minMs) && minMs >= 0)) throw new RangeError(`backoff.minMs must be a finite number >= 0, got ${minMs}`);
  // Capped at setTimeout's limit: a longer delay would overflow and reconnect after 1 ms.
  if (!(Number.isFinite(maxMs) && maxMs >= minMs && maxMs <= 2 ** 31 - 1)) throw new RangeError(`backoff.maxMs must be >= minMs and at most ${2 ** 31 - 1}, got ${maxMs}`);
  if (!(Number.isFinite(factor) && factor >= 1)) throw new RangeError(`backoff.factor must be a finite number >= 1, got ${factor}`);
  return resolved;
}

/** Counts failed attempts and hands out the next full-jitter delay; `reset()` after a successful open. */
export class Backoff {
  readonly #options: BackoffOptions;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions, random: () => number = Math.random) {
    this.#options = options;
    this.#random = random;
  }

  /** Failed attempts since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay for the next retry; counts the attempt. */
  next(): number {
    const delay = fullJitterDelay(this.#attempt, this.#options, this.#random);
    this.#attempt += 1;
    return delay;
  }

  /** Starts the schedule over (the connection opened successfully). */
  reset(): void {
    this.#attempt = 0;
  }
}
