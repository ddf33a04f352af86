export { RedisEngine } from './redis-engine.js';
export type { RedisEngineOptions, RedisEngineStats } from './engine-options.js';
/** Re-exported from @ns/event-bus, where the engine contract declares it. */
export type { EngineLoss } from '@ns/event-bus';
export { parseRedisTarget, type RedisTarget } from './redis-url.js';
export { RedisKeys, type ChannelKeys } from './redis-keys.js';
