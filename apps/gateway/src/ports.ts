import type { ChannelName, Principal, PublishEvent, PublishResult } from '@ns/contracts';

// What the gateway uses of the packages it composes, by shape. Routes depend on these
// narrow views rather than on the classes, so each route states exactly what it reads.

/** An event as the bus hands it out: envelope plus its JSON, serialized once. */
export interface BusEventView {
  readonly channel: ChannelName;
  readonly seq: number;
  readonly json: string;
}

/** Latency histogram snapshot: cumulative buckets, in seconds. */
export interface LatencySnapshot {
  count: number;
  sumSeconds: number;
  buckets: { le: number; count: number }[];
}

/** The event bus's counters (plain numbers). */
export interface BusMetricsView {
  published: Record<string, number>;
  publishedByChannel: Partial<Record<ChannelName, number>>;
  delivered: Partial<Record<ChannelName, number>>;
  filteredOut: Partial<Record<ChannelName, number>>;
  dropped: Partial<Record<ChannelName, number>>;
  handlerErrors: Partial<Record<ChannelName, number>>;
  duplicates: number;
  publishLatency: LatencySnapshot;
}

/** Counters of the Redis engine (`RedisEngine.stats()`), exported as `ns_redis_*`. */
export interface EngineStatsView {
  pubsubMessages: number;
  gapReads: number;
  gapEventsRecovered: number;
  lostEvents: number;
  resyncs: number;
}

/** The engine as the HTTP API and metrics see it; `stats` only where the engine keeps counters (Redis). */
export interface EngineView {
  readonly state: 'ready' | 'down';
  readonly name: string;
  stats?(): EngineStatsView;
}

/** The part of the event bus the HTTP API uses. */
export interface PublishingBus {
  readonly engine: EngineView;
  publish(event: PublishEvent): Promise<PublishResult>;
  publishBatch(events: readonly PublishEvent[]): Promise<PublishResult[]>;
  history(channel: ChannelName, options?: { sinceSeq?: number; limit?: number }): Promise<{ epoch: string; seq: number; events: readonly BusEventView[] }>;
  heads(): Promise<Partial<Record<ChannelName, { epoch: string; seq: number }>>>;
  metrics(): BusMetricsView;
}

/** Connection and fan-out counters of the WebSocket manager. */
export interface ManagerStatsView {
  connections: number;
  subscriptions: Partial<Record<ChannelName, number>>;
  delivered: Partial<Record<ChannelName, number>>;
  dropped: Partial<Record<ChannelName, number>>;
  slowConsumerCloses: number;
  heartbeatTerminations: number;
  /** Connections closed with 4008 because the engine lost events they would have read. */
  lossCloses?: number;
  /** Subscribes refused because the connection's replay budget was spent. */
  replaysRefused?: number;
}

/** Upgrade-level counters of the /ws endpoint. */
export interface EndpointStatsView {
  authFailures: number;
  rejectedUpgrades: Record<string, number>;
  rateLimitedMessages: number;
}

/** Verifies a bearer token (JWT); rejects with NsError `unauthorized` / `token_expired`. */
export interface TokenVerifier {
  verify(token: string): Promise<{ principal: Principal; expiresAt: number | null }>;
}
