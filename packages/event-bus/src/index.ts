export { EventBus, type BatchHandler, type EventBusOptions, type EventHandler, type SubscribeOptions, type SubscriptionFilter } from './event-bus.js';
export { advanceCursor, startCursor, type SeqCursor } from './seq-cursor.js';
export { BusEvent } from './bus-event.js';
export { BusBroadcaster } from './bus-broadcaster.js';
export { MemoryEngine, type MemoryEngineOptions } from './memory-engine.js';
export { compileFilter, type EventPredicate } from './filter-compiler.js';
export { FilterIndex } from './filter-index.js';
export { compileCidrs, parseIp, type ParsedIp } from './cidr-matcher.js';
export { resolvePattern, type ResolvedPattern } from './event-pattern.js';
export type { EventTransform } from './transform-chain.js';
export type { MicroBatchOptions } from './micro-batcher.js';
export { PUBLISH_LATENCY_BUCKETS, type BusMetricsSnapshot, type LatencyHistogram } from './bus-metrics.js';
export { generateEventId, generateEpoch } from './event-id.js';
export { HistoryRing } from './history-ring.js';
export { LatestStore } from './latest-store.js';
export { canonicalJson, dataDigest, idConflictError, type IdConflict } from './event-identity.js';
export { IdempotencyWindow, DEFAULT_MAX_IDEMPOTENCY_KEYS, type IdempotencyWindowOptions } from './idempotency-window.js';
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
