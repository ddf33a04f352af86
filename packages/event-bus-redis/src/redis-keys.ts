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
 *
 * With `hashTags` (a Redis Cluster) each channel's keys and topic share the hash tag
 * `{<prefix>ch:<channel>}`, so they live in one slot: the channel's scripts run on one node and its
 * sharded pub/sub topic is served by that node. Idempotency records are then kept per channel, in the
 * channel's slot, too ({@link RedisKeys.idempotency}).
 */
export class RedisKeys {
  readonly prefix: string;
  readonly hashTags: boolean;
  readonly #channels = new Map<ChannelName, ChannelKeys>();

  constructor(prefix: string = DEFAULT_REDIS_PREFIX, options: { hashTags?: boolean } = {}) {
    this.prefix = prefix;
    this.hashTags = options.hashTags === true;
  }

  channel(channel: ChannelName): ChannelKeys {
    let keys = this.#channels.get(channel);
    if (keys === undefined) {
      const base = this.hashTags ? `{${this.prefix}ch:${channel}}:` : `${this.prefix}ch:${channel}:`;
      keys = { head: `${base}head`, hist: `${base}hist`, order: `${base}order`, topic: `${base}events` };
      this.#channels.set(channel, keys);
    }
    return keys;
  }

  /**
   * The idempotency record keys an append of `channel` uses: the shared pair on one Redis; on a
   * Cluster (hash tags) the channel's own pair, in its slot.
   */
  idempotency(channel: ChannelName): { records: string; order: string } {
    if (!this.hashTags) return { records: this.idempotencyIds, order: this.idempotencyOrder };
    const tag = `{${this.prefix}ch:${channel}}:`;
    return { records: `${tag}idempotency:ids`, order: `${tag}idempotency:order` };
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
