export { RedisEngine, type RedisEngineOptions, type RedisEngineLogger, type RedisEngineStats, type EngineLoss } from './redis-engine.js';
export { RedisKeys, DEFAULT_REDIS_PREFIX, type ChannelKeys } from './redis-keys.js';
export { ChannelFeed, type ChannelFeedOptions, type FeedEntry, type FeedLoss, type FeedRead } from './channel-feed.js';
