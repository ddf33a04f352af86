import { MemoryEngine, type Engine } from '@ns/event-bus';
import type { Logger } from 'pino';
import { ConfigError, type GatewayConfig } from './config.js';

interface RedisEngineModule {
  RedisEngine: new (options: { url: string; prefix: string; logger?: Logger }) => Engine & { connect?(): Promise<void> };
}

// A variable specifier keeps the bundler from resolving the optional Redis engine at build time:
// a memory-only deployment does not need it (or ioredis) installed.
const REDIS_ENGINE_PACKAGE = '@ns/event-bus-redis';

/** The engine named by `NS_ENGINE`: the in-process memory engine, or the shared Redis engine. */
export async function createEngine(config: GatewayConfig, logger: Logger): Promise<Engine> {
  if (config.engine === 'memory') return new MemoryEngine();
  let mod: RedisEngineModule;
  try {
    mod = (await import(REDIS_ENGINE_PACKAGE)) as RedisEngineModule;
  } catch (err) {
    throw new ConfigError('NS_ENGINE', `redis needs the ${REDIS_ENGINE_PACKAGE} package, which could not be loaded (${(err as Error).message.split('\n', 1)[0]})`);
  }
  const engine = new mod.RedisEngine({ url: config.redisUrl.reveal(), prefix: config.redisPrefix, logger: logger.child({ component: 'redis-engine' }) });
  await engine.connect?.();
  return engine;
}
