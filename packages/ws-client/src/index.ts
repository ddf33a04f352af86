export { createClient } from './client.js';
export type { ClientEvents, ClientOptions, ClientState, ClientStats, GapEvent, NsClient, StateChange, SubscribeOptions } from './types.js';
export { NsClientError, type ClientErrorCode, type NsClientErrorOptions } from './client-error.js';
export { Backoff, DEFAULT_BACKOFF, fullJitterDelay, resolveBackoff, type BackoffOptions } from './backoff.js';
export { closeAction, type CloseAction } from './close-policy.js';
export { CursorStore, type Acceptance, type EventPosition } from './cursor-store.js';
export { Emitter, type Listener, type ListenerErrorHandler } from './emitter.js';
export { classifyFrame, type InboundFrame } from './inbound.js';
export type { WebSocketConstructor, WebSocketLike } from './websocket-like.js';
