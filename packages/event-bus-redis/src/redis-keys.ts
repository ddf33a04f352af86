import type { ChannelName } from '@ns/contracts';

/** Default key prefix (`NS_REDIS_PREFIX`). */
export const DEFAULT_REDIS_PREFIX = 'ns:';

/** The Redis keys and pub/sub topic of one channel. */
export interface ChannelKeys {
  /** Hash {epoch, seq, hist}. */
  head: string;
  /** Stream (ring channels) or hash component → envelope JSON (latest channels). */
  hist: string;
  /** Zset component → seq of latest channels (seq-ordered snapshot, key cap). */
  order: string;
  /** Pub/sub topic the channel's envelopes are published on. */
  topic: string;
}

/**
 * Names every key under one prefix, so several deployments (or test runs) can share a Redis
 * without seeing each other's channels, seqs, idempotency ids or pub/sub traffic.
 */
export class RedisKeys {
  readonly prefix: string;
  readonly #channels = new Map<ChannelName, ChannelKeys>();

  constructor(prefix: string = DEFAULT_REDIS_PREFIX) {
    this.prefix = prefix;
  }

  channel(channel: ChannelName): ChannelKeys {
    let keys = this.#channels.get(channel);
    if (keys === undefined) {
      const base = `${this.prefix}ch:${channel}:`;
      keys = { head: `${base}head`, hist: `${base}hist`, order: `${base}order`, topic: `${base}events` };
      this.#channels.set(channel, keys);
    }
    return keys;
  }

  /**
   * Hash event id → idempotency record of every stored event, within the window and the id cap.
   * (Not under `idem:`, where earlier versions kept one string key per id.)
   */
  get idempotencyIds(): string {
    return `${this.prefix}idempotency:ids`;
  }

  /** List of the recorded ids, oldest first: expired ones are swept and the oldest evicted from its front. */
  get idempotencyOrder(): string {
    return `${this.prefix}idempotency:order`;
  }
}
