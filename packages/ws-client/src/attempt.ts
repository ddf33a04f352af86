import type { ClientMessage, WelcomeMessage } from '@ns/contracts';
import { WS_OPEN, type WebSocketLike } from './websocket-like.js';

type Timer = ReturnType<typeof setTimeout>;

/**
 * One connection attempt and everything scoped to it: its socket, token, handshake progress and
 * timers (connect deadline, ping, pong deadline). The client ignores events of a stale attempt.
 */
export class Attempt {
  readonly ws: WebSocketLike;
  /** The token this connection authenticates with, if any. */
  token: string | undefined;
  welcome: WelcomeMessage | undefined;
  authenticated = false;
  ready = false;
  #connectTimer: Timer | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #pongTimer: Timer | undefined;

  constructor(ws: WebSocketLike, token: string | undefined) {
    this.ws = ws;
    this.token = token;
  }

  /** Gives up (`onTimeout`) unless the handshake completes within `ms`; 0 waits forever. */
  startConnectDeadline(ms: number, onTimeout: () => void): void {
    if (ms > 0) this.#connectTimer = setTimeout(onTimeout, ms);
  }

  /** The handshake completed. */
  handshakeDone(): void {
    clearTimeout(this.#connectTimer);
  }

  /**
   * Sends `ping()` every `intervalMs` (0 disables) and calls `onTimeout` when no frame arrived within
   * `timeoutMs` (0: never) of one.
   */
  startPing(intervalMs: number, timeoutMs: number, ping: () => void, onTimeout: () => void): void {
    if (intervalMs === 0) return;
    this.#pingTimer = setInterval(() => {
      if (this.#pongTimer !== undefined) return; // still waiting for the previous answer
      ping();
      if (timeoutMs > 0) this.#pongTimer = setTimeout(onTimeout, timeoutMs);
    }, intervalMs);
  }

  /**
   * Any frame proves the connection alive, not only the `pong`: behind a burst of events the pong may
   * come late, and the events themselves already show the path works.
   */
  sawFrame(): void {
    if (this.#pongTimer !== undefined) {
      clearTimeout(this.#pongTimer);
      this.#pongTimer = undefined;
    }
  }

  stopTimers(): void {
    clearTimeout(this.#connectTimer);
    clearInterval(this.#pingTimer);
    clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
  }

  send(message: ClientMessage): void {
    if (this.ws.readyState !== WS_OPEN) return; // the close handler resends what matters
    this.ws.send(JSON.stringify(message));
  }
}
