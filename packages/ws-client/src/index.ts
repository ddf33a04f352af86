export { createClient } from './client.js';
export type { ClientEvents, ClientOptions, ClientState, ClientStats, GapEvent, NsClient, StateChange, SubscribeOptions } from './types.js';
export { NsClientError, type ClientErrorCode, type NsClientErrorOptions } from './client-error.js';
export { Backoff, DEFAULT_BACKOFF, fullJitterDelay, resolveBackoff, type BackoffOptions } from './backoff.js';
export { closeAction, type CloseAction } from './close-policy.js';
export { CursorStore, type Acceptance, type EventPosition } from './cursor-store.js';
export { Emitter, type Listener, type ListenerErrorHandler } from './emitter.js';
export { classifyFrame, type InboundFrame } from './inbound.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';
// The protocol's plain data (channel names, close codes with their client action, error codes, limits),
// from the contracts' zod-free wire entry, for apps that render or log them.
export { CHANNEL_NAMES, CLOSE_CODE_TABLE, ERROR_CODES, LIMITS, SUBPROTOCOL, type ChannelName, type ErrorCode } from '@ns/contracts/wire';
export { SseParser, type SseEvent } from './sse-parser.js';
export { transports, FALLBACK_AFTER_FAILURES, type TransportName, type TransportOption, type Transports } from './transport.js';
export { SseSocket, streamUrlOf } from './sse-socket.js';
