import type { RawData } from 'ws';

// Consecutive unparseable or binary frames tolerated before closing with 4000: enough for a buggy
// client to see its errors, few enough that a fuzzer gets nowhere.
export const MAX_INVALID_STREAK = 10;
/**
 * Inbound messages one connection may have waiting behind the one being handled (a subscribe reading
 * history from a slow engine). Past this, or past {@link pendingBytesCap} bytes, the session stops
 * reading the socket (TCP then pushes back on the client) until the backlog is down to half.
 */
export const MAX_PENDING_MESSAGES = 32;
/** Inbound bytes one connection may have waiting: two largest messages, at least 256 KiB. */
export const pendingBytesCap = (maxMessageBytes: number): number => Math.max(256 * 1024, 2 * maxMessageBytes);

/** The size of one inbound message as `ws` hands it over (a Buffer, fragments, or an ArrayBuffer). */
export function byteLengthOf(data: RawData): number {
  if (Array.isArray(data)) return data.reduce((n, b) => n + b.length, 0);
  return data instanceof ArrayBuffer ? data.byteLength : data.length;
}
