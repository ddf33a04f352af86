export { EventBus, type BatchHandler, type EventBusOptions, type EventHandler, type SubscribeOptions, type SubscriptionFilter } from './event-bus.js';
export { advanceCursor, startCursor, type SeqCursor } from './seq-cursor.js';
export { BusEvent } from './bus-event.js';
export { BusBroadcaster } from './bus-broadcaster.js';
export { MemoryEngine, type MemoryEngineOptions } from './memory-engine.js';
export { compileFilter, type EventPredicate } from './filter-compiler.js';
export { FilterIndex, type FilterIndexOptions, type MemberSlot } from './filter-index.js';
export type { EventTransform } from './transform-chain.js';
export type { MicroBatchOptions } from './micro-batcher.js';
export type { BusMetricsSnapshot, LatencyHistogram } from './bus-metrics.js';
export { generateEventId, generateEpoch } from './event-id.js';
export { dataDigest, idConflictError, type IdConflict } from './event-identity.js';
export { DEFAULT_MAX_IDEMPOTENCY_KEYS } from './idempotency-window.js';
export type {
  AppendResult,
  ChannelHead,
  Engine,
  EngineListener,
  EngineLoss,
  EngineState,
  HistoryPage,
  PendingEvent,
  ReadSinceResult,
  StoredEvent,
} from './engine.js';
