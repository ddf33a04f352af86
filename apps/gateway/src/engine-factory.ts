import { MemoryEngine, type Engine } from '@ns/event-bus';
import type { Logger } from 'pino';
import type { GatewayConfig } from './config.js';

/** How long start-up waits for Redis before going on not-ready (readiness then follows the connection). */
const REDIS_STARTUP_WAIT_MS = 10_000;

const redactPassword = (url: string): string => url.replace(/\/\/([^@/]*)@/, '//[redacted]@');

/**
 * The engine named by `NS_ENGINE`: the in-process memory engine, or the shared Redis engine (loaded
 * only when asked for, so a memory deployment never opens a Redis client). A Redis that is down at
 * start does not stop the process: it starts not-ready (/readyz 503, publishes 503) and recovers
 * when Redis comes back, as it would after a later outage (DESIGN §10).
 */
export async function createEngine(config: GatewayConfig, logger: Logger): Promise<Engine> {
  if (config.engine === 'memory') return new MemoryEngine();
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
