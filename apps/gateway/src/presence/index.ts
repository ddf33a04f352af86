import type { Logger } from 'pino';
import type { GatewayConfig } from '../config.js';
import type { PresenceSource } from './local-presence.js';
import { Presence, type PresenceOptions } from './presence.js';
import { LocalOnlyPresenceStore, type PresenceStore } from './presence-store.js';

export { Presence, type ConnectionTarget, type LocatedConnection, type PresenceOptions } from './presence.js';
export { PRESENCE_REFRESH_MS, PRESENCE_TTL_MS, LocalOnlyPresenceStore, type PresenceStore } from './presence-store.js';
export { LocalPresence, type ConnectionRecord, type LocalChanges, type LocalSnapshot, type MemberEntry, type PresenceSink, type PresenceSource } from './local-presence.js';
export { registerPresenceMetrics } from './presence-metrics.js';
export { DROPPED_SUMMARY_MS, PresenceNotices, type PresenceNoticesOptions } from './notices.js';
export { ADMIN_DISCONNECT_CODE, closeMatching, controlPlaneRelay, type DisconnectNoticeBus, type DisconnectOrder, type DisconnectRelay } from './disconnects.js';

/**
 * Presence matching the engine: this process only for the memory engine; on the engine's Redis
 * (loaded only then) for the Redis engine, shared by every instance with the same prefix.
 */
export async function createPresence(
  config: Pick<GatewayConfig, 'engine' | 'redisUrl' | 'redisPrefix'>,
  source: PresenceSource,
  instanceId: string,
  logger: Logger,
  onChanges?: PresenceOptions['onChanges'],
): Promise<Presence> {
  const log = logger.child({ component: 'presence' });
  let store: PresenceStore = new LocalOnlyPresenceStore();
  if (config.engine === 'redis') {
    const { RedisPresenceStore } = await import('./redis-presence-store.js');
    store = new RedisPresenceStore({ url: config.redisUrl.reveal(), prefix: config.redisPrefix, instanceId, logger: log });
  }
  return new Presence({ source, store, instanceId, logger: log, ...(onChanges === undefined ? {} : { onChanges }) });
}
