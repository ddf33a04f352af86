import type { Logger } from 'pino';
import type { GatewayConfig } from '../config.js';
import type { ControlPlane } from './control-plane.js';
import { MemoryControlPlane } from './memory-control-plane.js';

export { NoticeHandlers, type ControlPlane, type ControlRecord, type PutOutcome } from './control-plane.js';
export { MemoryControlPlane } from './memory-control-plane.js';
export * from './notices.js';

/** How long start-up waits for the control plane's Redis (as for the engine's, see REDIS_STARTUP_WAIT_MS). */
const CONTROL_STARTUP_WAIT_MS = 2_000;

/**
 * The control plane matching the engine: in-process for the memory engine, on the engine's Redis
 * (loaded only then) for the Redis engine.
 */
export async function createControlPlane(config: Pick<GatewayConfig, 'engine' | 'redisUrl' | 'redisPrefix'>, logger: Logger): Promise<ControlPlane> {
  const log = logger.child({ component: 'control' });
  if (config.engine === 'memory') return new MemoryControlPlane(log);
  const { RedisControlPlane } = await import('./redis-control-plane.js');
  const plane = new RedisControlPlane({ url: config.redisUrl.reveal(), prefix: config.redisPrefix, logger: log });
  await plane.start(CONTROL_STARTUP_WAIT_MS);
  return plane;
}
