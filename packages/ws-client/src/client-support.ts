import type { WebSocketLike } from './websocket-like.js';

/** Close code the client reports for a connection that died without a close frame. */
export const ABNORMAL_CLOSURE = 1006;

/** Marks a token attempt that failed (already reported): retry after backoff. */
export const FAILED: unique symbol = Symbol('token failed');

export function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}

const CREDENTIAL_PARAM = /token|key|secret|passw|auth|jwt|sig|credential|session/;

/**
 * The URL with credentials blanked, for messages that may end up in logs. The query is parsed as the
 * gateway parses it, so an encoded name (`?%74oken=`) is caught as well as `?token=`; an unparsable
 * URL loses its whole query.
 */
export function redactToken(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    const q = url.indexOf('?');
    return q === -1 ? url : `${url.slice(0, q)}?[redacted]`;
  }
  const userinfo = parsed.username !== '' || parsed.password !== '' ? '[redacted]@' : '';
  const query: string[] = [];
  parsed.searchParams.forEach((value, name) => {
    const shown = CREDENTIAL_PARAM.test(name.toLowerCase().replace(/[^a-z0-9]/g, '')) ? '[redacted]' : encodeURIComponent(value).replace(/%2C/gi, ',');
    query.push(`${encodeURIComponent(name)}=${shown}`);
  });
  return `${parsed.protocol}//${userinfo}${parsed.host}${parsed.pathname}${query.length === 0 ? '' : `?${query.join('&')}`}`;
}

// setTimeout's limit: a longer delay overflows and fires after 1 ms.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer option checked once, at construction, so a bad value fails loudly instead of firing at 1 ms. */
export function nonNegative(name: string, value: number): number {
  if (!(Number.isFinite(value) && value >= 0 && value <= MAX_TIMER_MS)) throw new RangeError(`${name} must be a number from 0 to ${MAX_TIMER_MS} (ms), got ${value}`);
  return value;
}

export function safeClose(ws: WebSocketLike, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closing, or a socket that never opened: nothing left to close.
  }
}

/** Hands an error from the app's own listener to the platform, as `EventTarget` does (window.onerror, uncaughtException). */
export function reportUncaught(err: unknown): void {
  const report = (globalThis as { reportError?: (e: unknown) => void }).reportError;
  if (typeof report === 'function') report(err);
  else
    queueMicrotask(() => {
      throw err;
    });
}
