import { MemoryEngine, type Engine } from '@ns/event-bus';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config.js';

/**
 * How long start-up waits for Redis before listening anyway, not ready. A reachable Redis answers in
 * milliseconds, so a normal start is ready at once; waiting longer would only keep /healthz silent
 * (a liveness probe could kill a process that is merely waiting for Redis) while readiness would
 * follow the connection anyway.
 */
export const REDIS_STARTUP_WAIT_MS = 2_000;

const redactPassword = (url: string): string => url.replace(/\/\/([^@/]*)@/, '//[redacted]@');

/**
 * The engine named by `NS_ENGINE`: the in-process memory engine, or the shared Redis engine (loaded
 * only when asked for, so a memory deployment never opens a Redis client).
 *
 * Redis at start: the factory waits up to {@link REDIS_STARTUP_WAIT_MS} for the engine to be ready
 * (both connections up, feeds positioned). A Redis that is still down does not stop the process: it
 * listens not ready (/readyz 503, publishes 503 `unavailable`, subscriptions answered `unavailable`,
 * WebSocket connections accepted) and becomes ready by itself when Redis answers, exactly as after a
 * later outage (docs/architecture.md#scale-out). Readiness is read live from `engine.state` (see `Lifecycle`).
 */
export async function createEngine(config: GatewayConfig, logger: Logger): Promise<Engine> {
  if (config.engine === 'memory') return new MemoryEngine({ logger: logger.child({ component: 'memory-engine' }) });
  const { RedisEngine } = await import('@ns/event-bus-redis');
  const engine = new RedisEngine({ url: config.redisUrl.reveal(), prefix: config.redisPrefix, logger: logger.child({ component: 'redis-engine' }) });
  try {
    await engine.waitUntilReady(REDIS_STARTUP_WAIT_MS);
  } catch {
    logger.error(
      { redis: redactPassword(config.redisUrl.reveal()) },
      'redis is unreachable; starting not ready (/readyz and publishes answer 503 until it connects)',
    );
  }
  return engine;
}
