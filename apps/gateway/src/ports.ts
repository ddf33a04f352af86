import type { Engine, EventBus } from '@ns/event-bus';
import type { RedisEngine } from '@ns/event-bus-redis';
import type { WsManager } from '@ns/ws-manager';
import type { Authentication, WsEndpoint } from '@ns/ws-server';

// What the HTTP side uses of the packages it composes: narrow views (Pick<> of the real types), so each
// route and the metrics state exactly what they read, and tests may hand in a smaller object.

/** The part of the event bus the HTTP API and the metrics use. */
export type PublishingBus = Pick<EventBus, 'engine' | 'publish' | 'publishBatch' | 'history' | 'heads' | 'metrics'>;

/** Where the WebSocket manager's connection and fan-out counters come from. */
export type ManagerStatsSource = Pick<WsManager, 'stats'>;

/** Where the /ws endpoint's upgrade-level counters come from. */
export type EndpointStatsSource = Pick<WsEndpoint, 'stats'>;

/** An engine that keeps its own counters (the Redis engine's `ns_redis_*`). */
export type CountingEngine = Engine & Pick<RedisEngine, 'stats'>;

/** Whether `engine` keeps counters (checked by shape: the Redis engine is loaded only when configured). */
export function isCountingEngine(engine: Engine): engine is CountingEngine {
  return typeof (engine as Partial<CountingEngine>).stats === 'function';
}

/** Verifies a bearer token (JWT); rejects with NsError `unauthorized` / `token_expired`. */
export interface TokenVerifier {
  verify(token: string): Promise<Authentication>;
}
