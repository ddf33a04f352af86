import { SseSocket } from './sse-socket.js';
import type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';

/** How the client reaches the gateway: WebSocket, Server-Sent Events, or WebSocket falling back to SSE. */
export type TransportOption = 'auto' | 'websocket' | 'sse';
/** The transport in use. */
export type TransportName = 'websocket' | 'sse';

/** WebSocket handshakes that must fail in a row before `auto` carries on over SSE. */
export const FALLBACK_AFTER_FAILURES = 2;

/** Makes each connection attempt's socket and knows which transport it used. */
export interface Transports {
  readonly current: TransportName;
  create(url: string, protocols: string[]): WebSocketLike;
}

/**
 * The socket factory for `transport`: `websocket` (the given or global WebSocket), `sse` (a
 * {@link SseSocket}), or `auto` — WebSocket until {@link FALLBACK_AFTER_FAILURES} handshakes in a row
 * failed (closed before opening: a proxy refusing or dropping the upgrade), then SSE for the rest of
 * the client's life.
 */
export function transports(transport: TransportOption, WebSocket: WebSocketConstructor | undefined): Transports {
  if (transport !== 'sse' && WebSocket === undefined) {
    throw new TypeError("no WebSocket implementation: pass options.WebSocket (in Node: `import { WebSocket } from 'ws'`), or transport: 'sse'");
  }
  let current: TransportName = transport === 'sse' ? 'sse' : 'websocket';
  let failures = 0;
  return {
    get current() {
      return current;
    },
    create(url, protocols) {
      if (current === 'sse') return new SseSocket(url);
      const ws = new (WebSocket as WebSocketConstructor)(url, protocols);
      if (transport === 'auto') {
        let opened = false;
        ws.addEventListener('open', () => {
          opened = true;
          failures = 0;
        });
        ws.addEventListener('close', () => {
          if (opened) return;
          failures++;
          if (failures >= FALLBACK_AFTER_FAILURES) current = 'sse';
        });
      }
      return ws;
    },
  };
}
