import type { ChannelName, ErrorCode } from '@ns/contracts';

/**
 * Codes of errors raised by the client itself (server errors keep the server's {@link ErrorCode}):
 * - `invalid_frame`: the server sent something that is not a protocol message (binary, bad JSON, unknown type);
 * - `handler_failed`: a `subscribe` handler threw; `listener_failed`: an `on()` listener threw;
 * - `get_token_failed`: the `getToken()` callback rejected;
 * - `connect_failed`: the WebSocket could not be created (e.g. a malformed URL);
 * - `connect_timeout`: no `welcome` (and `authenticated`) within `connectTimeoutMs`;
 * - `pong_timeout`: no frame within `pongTimeoutMs` of a `ping`: the connection is dead;
 * - `closed`: the server closed the connection with a code a retry cannot fix; the client stopped.
 */
export type ClientErrorCode =
  | 'invalid_frame'
  | 'handler_failed'
  | 'listener_failed'
  | 'get_token_failed'
  | 'connect_failed'
  | 'connect_timeout'
  | 'pong_timeout'
  | 'closed';

/** Options of {@link NsClientError}. */
export interface NsClientErrorOptions {
  channel?: ChannelName | undefined;
  closeCode?: number | undefined;
  /** The server's request id this error replies to. */
  requestId?: string | undefined;
  details?: Record<string, unknown> | undefined;
  cause?: unknown;
}

/** Everything the client reports through `on('error')`: a stable `code`, never thrown at the app. */
export class NsClientError extends Error {
  override readonly name = 'NsClientError';
  readonly code: ErrorCode | ClientErrorCode;
  /** `server` when the gateway sent an `error` message, `client` otherwise. */
  readonly source: 'server' | 'client';
  readonly channel: ChannelName | undefined;
  readonly closeCode: number | undefined;
  readonly requestId: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(source: 'server' | 'client', code: ErrorCode | ClientErrorCode, message: string, options: NsClientErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.source = source;
    this.code = code;
    this.channel = options.channel;
    this.closeCode = options.closeCode;
    this.requestId = options.requestId;
    this.details = options.details;
  }
}
