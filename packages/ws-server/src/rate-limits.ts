import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** Default new connections per client IP per second (`NS_IP_CONNECT_RATE`). */
export const DEFAULT_IP_CONNECT_RATE = 100;
/** Default concurrent connections per client IP (`NS_IP_MAX_CONNECTIONS`). */
export const DEFAULT_IP_MAX_CONNECTIONS = 1000;
/** Default inbound messages per connection per second (`NS_CLIENT_MESSAGE_RATE`). */
export const DEFAULT_CLIENT_MESSAGE_RATE = 50;

/**
 * `ratePerS` per second with bursts of twice that, from rate-limiter-flexible: a 1 s window of
 * `ratePerS` points plus a burst allowance of another `ratePerS` that refills every `burstWindowS`
 * (sustained rate ≈ ratePerS × (1 + 1/burstWindowS)).
 */
export class BurstLimiter {
  readonly ratePerS: number;
  readonly #limiter: BurstyRateLimiter;

  constructor(ratePerS: number, keyPrefix: string, burstWindowS = 10) {
    if (!(ratePerS > 0)) throw new RangeError(`${keyPrefix}: rate must be > 0`);
    this.ratePerS = ratePerS;
    const points = Math.max(1, Math.floor(ratePerS));
    this.#limiter = new BurstyRateLimiter(
      new RateLimiterMemory({ keyPrefix, points, duration: 1 }),
      new RateLimiterMemory({ keyPrefix: `${keyPrefix}:burst`, points, duration: burstWindowS }),
    );
  }

  /** Resolves `{ allowed, retryAfterMs }`; never rejects for an exhausted key. */
  async take(key: string): Promise<{ allowed: boolean; retryAfterMs: number }> {
    try {
      await this.#limiter.consume(key);
      return { allowed: true, retryAfterMs: 0 };
    } catch (err) {
      if (err instanceof RateLimiterRes) return { allowed: false, retryAfterMs: Math.max(0, Math.ceil(err.msBeforeNext)) };
      throw err;
    }
  }
}

// One shared clock function: a default `() => performance.now()` would be a new closure per bucket,
// and there is one bucket per connection.
const monotonicNow = (): number => performance.now();

/**
 * A synchronous token bucket: `ratePerS` tokens per second, holding at most `burst`. One instance per
 * connection, decided on the spot, so that a refused message is dropped the moment it arrives instead
 * of waiting (data and all) for an asynchronous verdict behind the messages before it.
 */
export class TokenBucket {
  readonly ratePerS: number;
  readonly burst: number;
  #tokens: number;
  #at: number;
  readonly #now: () => number;

  constructor(ratePerS: number, burst = Math.max(1, 2 * ratePerS), now: () => number = monotonicNow) {
    if (!(ratePerS > 0)) throw new RangeError('rate must be > 0');
    if (!(burst >= 1)) throw new RangeError('burst must be >= 1');
    this.ratePerS = ratePerS;
    this.burst = burst;
    this.#now = now;
    this.#tokens = burst;
    this.#at = now();
  }

  /** Takes `n` tokens: returns 0 when allowed, else the milliseconds until `n` tokens are available. */
  take(n = 1): number {
    const now = this.#now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#at) / 1000) * this.ratePerS);
    this.#at = now;
    if (this.#tokens >= n) {
      this.#tokens -= n;
      return 0;
    }
    return Math.max(1, Math.ceil(((n - this.#tokens) / this.ratePerS) * 1000));
  }
}

/** Concurrent connections per client IP, including those still in their handshake. */
export class IpConnectionCounter {
  readonly #counts = new Map<string, number>();
  total = 0;

  count(ip: string): number {
    return this.#counts.get(ip) ?? 0;
  }

  /** Counts one more connection from `ip`; returns its release function (idempotent). */
  acquire(ip: string): () => void {
    this.#counts.set(ip, this.count(ip) + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.release(ip);
    };
  }

  /**
   * Counts one connection from `ip` fewer: for a holder that took over from `acquire`'s function (an
   * established connection releases from its close handling, without a closure kept per connection).
   * Call once per acquisition.
   */
  release(ip: string): void {
    const n = this.#counts.get(ip);
    if (n === undefined) return;
    this.total--;
    if (n > 1) this.#counts.set(ip, n - 1);
    else this.#counts.delete(ip);
  }
}
