import { Cluster, Redis, type ClusterOptions } from 'ioredis';
import { connectionOptions, type RedisEngineOptions } from './engine-options.js';
import { parseRedisTarget } from './redis-url.js';
import type { RedisConnection } from './supervisor.js';

/** The engine's two connections, and whether they reach a Redis Cluster. */
export interface EngineConnections {
  /** Scripts and PINGs. */
  cmd: RedisConnection;
  /** Pub/sub only: SUBSCRIBE on one Redis, SSUBSCRIBE (sharded, one connection per master) on a Cluster. */
  sub: RedisConnection;
  cluster: boolean;
}

/**
 * Opens the command and subscriber connections named by `options.url` (see {@link parseRedisTarget}):
 * two `Redis` clients, or two `Cluster` clients whose nodes get the same per-connection options (no
 * offline queue, no resend, the command timeout) and which queue nothing while the cluster is down.
 */
export function openConnections(options: RedisEngineOptions, commandTimeoutMs: number): EngineConnections {
  const connection = connectionOptions(options, commandTimeoutMs);
  const { commandTimeout: _unused, ...subscriber } = connection;
  const target = options.url === undefined ? undefined : parseRedisTarget(options.url);
  if (target === undefined) return { cmd: new Redis(connection), sub: new Redis(subscriber), cluster: false };
  if (!target.cluster) return { cmd: new Redis(target.url, connection), sub: new Redis(target.url, subscriber), cluster: false };
  const auth = {
    ...(target.username !== undefined && { username: target.username }),
    ...(target.password !== undefined && { password: target.password }),
    ...(target.tls && { tls: {} }),
  };
  // Per node: the engine's options without what a Cluster takes at its top level.
  const node = (o: typeof connection) => {
    const { retryStrategy: _retry, enableOfflineQueue: _queue, ...rest } = o;
    return { ...rest, ...auth };
  };
  const base: ClusterOptions = {
    ...options.cluster,
    enableOfflineQueue: false,
    scaleReads: 'master',
    clusterRetryStrategy: connection.retryStrategy as (times: number) => number,
  };
  return {
    cmd: new Cluster([...target.nodes], { ...base, redisOptions: node(connection) }),
    sub: new Cluster([...target.nodes], { ...base, redisOptions: node(subscriber), shardedSubscribers: true }),
    cluster: true,
  };
}
