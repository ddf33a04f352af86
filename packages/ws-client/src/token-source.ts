import { FAILED, isPromiseLike } from './client-support.js';
import type { ClientOptions } from './types.js';

/** Reports a `getToken()` failure (the client turns it into a `get_token_failed` error). */
export type TokenFailureReporter = (message: string, cause: unknown) => void;

/**
 * Where each connection's token comes from: a token obtained after a refusal, else `getToken()`, else
 * the static `token`; and the refreshes asked for when the gateway refuses a token or says it expires.
 */
export class TokenSource {
  readonly #staticToken: string | undefined;
  readonly #getToken: ClientOptions['getToken'];
  readonly #reportFailure: TokenFailureReporter;
  /** A token obtained after a refusal (4001/4003), used by the next attempt. */
  #nextToken: string | undefined;

  constructor(staticToken: string | undefined, getToken: ClientOptions['getToken'], reportFailure: TokenFailureReporter) {
    this.#staticToken = staticToken;
    this.#getToken = getToken;
    this.#reportFailure = reportFailure;
  }

  /** Keeps a refreshed token for the next attempt. */
  useNext(token: string): void {
    this.#nextToken = token;
  }

  /**
   * The token for a new attempt: a refreshed one if we have it, else `getToken()`, else the static one.
   * Synchronous unless `getToken()` returns a promise; FAILED when `getToken()` failed (reported).
   */
  forAttempt(): string | undefined | typeof FAILED | Promise<string | undefined | typeof FAILED> {
    if (this.#nextToken !== undefined) {
      const token = this.#nextToken;
      this.#nextToken = undefined;
      return token;
    }
    if (this.#getToken === undefined) return this.#staticToken;
    const onError = (err: unknown): typeof FAILED => {
      this.#reportFailure('getToken() failed', err);
      return FAILED;
    };
    try {
      const result = this.#getToken();
      return isPromiseLike(result) ? Promise.resolve(result).then((t) => t ?? this.#staticToken, onError) : (result ?? this.#staticToken);
    } catch (err) {
      return onError(err);
    }
  }

  /** Asks `getToken()` for a token different from the refused one; `undefined` when there is none. */
  async refreshed(refused: string | undefined): Promise<string | undefined> {
    if (this.#getToken === undefined) return undefined;
    try {
      const token = await this.#getToken();
      return token !== undefined && token !== refused ? token : undefined;
    } catch (err) {
      this.#reportFailure('getToken() failed', err);
      return undefined;
    }
  }

  /**
   * `getToken()`'s answer for a token the gateway says is expiring; FAILED when there is no
   * `getToken()` (the gateway will close with 4001) or it threw (reported).
   */
  async beforeExpiry(): Promise<string | undefined | typeof FAILED> {
    if (this.#getToken === undefined) return FAILED;
    try {
      return await this.#getToken();
    } catch (err) {
      this.#reportFailure('getToken() failed while refreshing an expiring token', err);
      return FAILED;
    }
  }
}
