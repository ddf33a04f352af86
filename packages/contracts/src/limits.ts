/** WebSocket subprotocol spoken by the gateway (offered by clients, optional). */
export const SUBPROTOCOL = 'ns.v1';
/** Protocol version announced in `welcome`. */
export const PROTOCOL_VERSION = 1;
/** Most events one `POST /v1/publish` batch may carry. */
export const MAX_BATCH_EVENTS = 1000;
/** Default cap on one inbound WebSocket message (`NS_MAX_MESSAGE_BYTES`). */
export const DEFAULT_MAX_MESSAGE_BYTES = 65_536;
/** Largest serialized `data` payload of one event, in bytes. */
export const MAX_EVENT_DATA_BYTES = 65_536;
/** Default cap on subscriptions per connection (`NS_MAX_SUBSCRIPTIONS`). */
export const DEFAULT_MAX_SUBSCRIPTIONS = 64;
/** Default heartbeat interval in seconds (`NS_HEARTBEAT_S`). */
export const DEFAULT_HEARTBEAT_S = 25;
/** Window during which a repeated event id returns its original result, in milliseconds. */
export const IDEMPOTENCY_WINDOW_MS = 5 * 60 * 1000;
/** Most values any list inside a subscription filter may hold (bounds per-subscription memory). */
export const MAX_FILTER_VALUES = 256;
/** Deepest nesting of objects and arrays accepted in an inbound message or event `data`. */
export const MAX_JSON_DEPTH = 64;
