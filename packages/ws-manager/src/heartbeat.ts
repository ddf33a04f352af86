/** Default protocol ping interval in milliseconds (`NS_HEARTBEAT_S` = 25). */
export const DEFAULT_HEARTBEAT_MS = 25_000;
/** Default time a client has to answer a ping, in milliseconds. */
export const DEFAULT_PONG_TIMEOUT_MS = 10_000;

/** A connection as the heartbeat sees it. */
export interface HeartbeatTarget {
  /** When the last ping was sent (ms), or when the connection opened. */
  lastPingAt: number;
  /** True between a ping and its pong. */
  awaitingPong: boolean;
  /** Sends a protocol ping. */
  ping(): void;
  /** Kills a connection that did not answer in time. */
  terminateUnresponsive(): void;
}

/** Options of {@link Heartbeat}. */
export interface HeartbeatOptions {
  intervalMs?: number;
  pongTimeoutMs?: number;
  /** The connections to sweep, read on every sweep. */
  targets: () => Iterable<HeartbeatTarget>;
  now?: () => number;
}

/**
 * One timer for all connections: each sweep pings connections whose last ping is `intervalMs` old and
 * terminates those that left a ping unanswered for `pongTimeoutMs`. Sweeping every half of the shorter
 * period bounds detection to 1.5× the timeout while costing one timer, not one per connection.
 */
export class Heartbeat {
  readonly intervalMs: number;
  readonly pongTimeoutMs: number;
  readonly #targets: () => Iterable<HeartbeatTarget>;
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: HeartbeatOptions) {
    this.intervalMs = options.intervalMs ?? DEFAULT_HEARTBEAT_MS;
    this.pongTimeoutMs = options.pongTimeoutMs ?? DEFAULT_PONG_TIMEOUT_MS;
    if (!(this.intervalMs > 0) || !(this.pongTimeoutMs > 0)) throw new RangeError('heartbeat intervals must be > 0');
    this.#targets = options.targets;
    this.#now = options.now ?? Date.now;
  }

  /** Sweep period in milliseconds. */
  get sweepMs(): number {
    return Math.max(1, Math.floor(Math.min(this.intervalMs, this.pongTimeoutMs) / 2));
  }

  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(() => this.sweep(), this.sweepMs);
    // The heartbeat alone must not keep a process alive.
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** One sweep over every target; returns how many were terminated. */
  sweep(): number {
    const now = this.#now();
    let terminated = 0;
    for (const t of this.#targets()) {
      try {
        if (t.awaitingPong) {
          if (now - t.lastPingAt >= this.pongTimeoutMs) {
            terminated++;
            t.terminateUnresponsive();
          }
        } else if (now - t.lastPingAt >= this.intervalMs) {
          t.lastPingAt = now;
          t.awaitingPong = true;
          t.ping();
        }
      } catch {
        // A socket that dies under ping/terminate is cleaned up by its own close handler.
      }
    }
    return terminated;
  }
}
