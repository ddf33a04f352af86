import type { Connection } from '@ns/ws-manager';
import { setTimerAt, type LongTimer } from './long-timer.js';

/**
 * A session's token lifetime: sends `auth_expiring` `noticeS` seconds before the token's `exp`, and
 * calls `onExpired` at `exp` unless a refresh rescheduled it first. Token lifetimes run to days or
 * months, past setTimeout's 24.8-day limit, so both timers are stepped ({@link setTimerAt}).
 */
export class TokenExpiry {
  readonly #connection: Connection;
  readonly #noticeS: number;
  readonly #onExpired: (expiresAt: number) => void;
  #expiresAt: number | null = null;
  #noticeTimer: LongTimer | undefined;
  #expiryTimer: LongTimer | undefined;

  constructor(connection: Connection, noticeS: number, onExpired: (expiresAt: number) => void) {
    this.#connection = connection;
    this.#noticeS = noticeS;
    this.#onExpired = onExpired;
  }

  /** Replaces any earlier schedule with one for `expiresAt` (Unix seconds; null: never expires). */
  schedule(expiresAt: number | null): void {
    this.clear();
    this.#expiresAt = expiresAt;
    if (expiresAt === null) return;
    const noticeAtMs = (expiresAt - this.#noticeS) * 1000;
    const notice = () => {
      if (this.#expiresAt === expiresAt) this.#connection.send({ type: 'auth_expiring', expires_at: expiresAt });
    };
    if (noticeAtMs <= Date.now()) notice();
    else this.#noticeTimer = setTimerAt(noticeAtMs, notice);
    this.#expiryTimer = setTimerAt(expiresAt * 1000, () => this.#onExpired(expiresAt));
  }

  clear(): void {
    this.#noticeTimer?.clear();
    this.#expiryTimer?.clear();
    this.#noticeTimer = undefined;
    this.#expiryTimer = undefined;
  }
}
