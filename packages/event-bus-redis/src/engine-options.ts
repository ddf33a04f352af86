import { IDEMPOTENCY_WINDOW_MS } from '@ns/contracts';
import { DEFAULT_MAX_IDEMPOTENCY_KEYS } from '@ns/event-bus';
import type { Logger } from '@ns/contracts/support';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { DEFAULT_REDIS_PREFIX } from './redis-keys.js';

/** Options of {@link RedisEngine}. */
export interface RedisEngineOptions {
  /**
   * `redis://[user:password@]host:port[/db]` (`NS_REDIS_URL`; `rediss://` for TLS); default ioredis's
   * 127.0.0.1:6379. `redis+cluster://[user:password@]host:port,host:port…` (or `rediss+cluster://`)
   * names seed nodes of a Redis Cluster: keys hash-tagged per channel, sharded pub/sub (Redis ≥ 7).
   */
  url?: string;
  /** Key and topic prefix (`NS_REDIS_PREFIX`), so deployments can share a Redis; default `ns:`. */
  prefix?: string;
  /** How long an event id is remembered; default 5 min. */
  idempotencyWindowMs?: number;
  /** Most event ids remembered at once (the oldest are forgotten first); default 100 000, as MemoryEngine. */
  maxIdempotencyKeys?: number;
  /**
   * A command without a reply after this long rejects (`unavailable`; for an append with an unknown
   * outcome) and has a PING check at once whether Redis is hung or merely slow; default 2000.
   */
  commandTimeoutMs?: number;
  /** How often a PING checks that Redis answers; default 250. */
  pingIntervalMs?: number;
  /**
   * A PING without a reply after this long marks Redis hung (a stopped or wedged server keeps its
   * connections open, so only silence shows it): state `down`, and appends still waiting are failed
   * at once with an unknown outcome; default 1000. The first reply makes the engine resync and
   * report `ready` again.
   */
  pingTimeoutMs?: number;
  /** Upper bound of the reconnect backoff; default 2000. */
  maxReconnectDelayMs?: number;
  /**
   * Further ioredis options (TLS, auth, db…). The engine overrides the few that keep its promise
   * "nothing acknowledged that was not stored": no offline queue, no resend, no retry per request.
   */
  redis?: RedisOptions;
  /** Further ioredis Cluster options for a `redis+cluster://` URL (e.g. `natMap` for nodes behind NAT). */
  cluster?: ClusterOptions;
  logger?: Logger;
}

/** Counters of one engine instance (plain numbers, for the gateway's metrics). */
export interface RedisEngineStats {
  /** Pub/sub messages received (one per channel per append batch, from any instance). */
  pubsubMessages: number;
  /** Reads made to fill seq gaps in the pub/sub feed, and the events they recovered. */
  gapReads: number;
  gapEventsRecovered: number;
  /** Seqs of lossless channels this instance could not deliver (see {@link RedisEngine.onLoss}). */
  lostEvents: number;
  /** Times both connections came back and the feeds resynced. */
  resyncs: number;
}

/** {@link RedisEngineOptions} with defaults applied and checked. */
export interface EngineSettings {
  prefix: string;
  windowMs: number;
  maxIds: number;
  commandTimeoutMs: number;
  pingIntervalMs: number;
  pingTimeoutMs: number;
}

/** Applies the defaults; throws a RangeError naming the first option out of range. */
export function engineSettings(options: RedisEngineOptions): EngineSettings {
  const settings: EngineSettings = {
    prefix: options.prefix ?? DEFAULT_REDIS_PREFIX,
    windowMs: options.idempotencyWindowMs ?? IDEMPOTENCY_WINDOW_MS,
    maxIds: options.maxIdempotencyKeys ?? DEFAULT_MAX_IDEMPOTENCY_KEYS,
    commandTimeoutMs: options.commandTimeoutMs ?? 2000,
    pingIntervalMs: options.pingIntervalMs ?? 250,
    pingTimeoutMs: options.pingTimeoutMs ?? 1000,
  };
  for (const name of ['commandTimeoutMs', 'pingIntervalMs', 'pingTimeoutMs'] as const) {
    const value = settings[name];
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`${name} must be > 0, got ${value}`);
  }
  if (!(settings.windowMs > 0)) throw new RangeError(`idempotencyWindowMs must be > 0, got ${settings.windowMs}`);
  if (!Number.isSafeInteger(settings.maxIds) || settings.maxIds < 0) {
    throw new RangeError(`maxIdempotencyKeys must be an integer >= 0, got ${settings.maxIds}`);
  }
  return settings;
}

/**
 * ioredis options of the command connection: the caller's, overridden where the engine keeps its
 * promise "nothing acknowledged that was not stored": no offline queue, no resend, no retry per request.
 */
export function connectionOptions(options: RedisEngineOptions, commandTimeoutMs: number): RedisOptions {
  const maxDelay = options.maxReconnectDelayMs ?? 2000;
  return {
    ...options.redis,
    // Nothing may be queued or resent behind the caller's back: an append while down rejects now.
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    autoResubscribe: false,
    commandTimeout: commandTimeoutMs,
    retryStrategy: (times: number) => Math.min(times * 100, maxDelay),
  };
}
