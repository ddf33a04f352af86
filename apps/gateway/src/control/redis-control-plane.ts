import { randomUUID } from 'node:crypto';
import { parseRedisTarget } from '@ns/event-bus-redis';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { NoticeHandlers, type ControlPlane, type ControlRecord, type PutOutcome } from './control-plane.js';
import { ControlNotice, parseNoticeFrame, type ControlNoticeKind, type NoticeOf } from './notices.js';
import { LIST_SCRIPT, PUT_SCRIPT } from './redis-control-scripts.js';

/** Options of {@link RedisControlPlane}. */
export interface RedisControlPlaneOptions {
  /** `NS_REDIS_URL`: one Redis or a Redis Cluster (`redis+cluster://`), as the engine reads it. */
  url: string;
  /** `NS_REDIS_PREFIX`: the engine's key prefix, so that gateways sharing an engine share their control plane. */
  prefix: string;
  logger: Logger;
  /** Per command; default 2000. */
  commandTimeoutMs?: number;
}

type Connection = Redis | Cluster;

const COLLECTION = /^[a-z][a-z0-9-]{0,63}$/;

/**
 * The control plane of the Redis engine, on the engine's Redis (two connections of its own):
 * notices go through the pub/sub channel `<prefix>control:notices` (classic pub/sub, which a Redis
 * Cluster forwards to every node), each one a JSON frame `{from, notice}` validated on receipt;
 * unknown kinds, from a newer instance, are logged and ignored. A collection is a sorted set
 * (id → expiry) and a hash (id → value) under the hash tag `{<prefix>control}`, trimmed by the
 * scripts in redis-control-scripts.ts.
 *
 * Commands are never queued while Redis is down: a broadcast or put then rejects and the caller
 * answers 503. When the subscription comes back after an outage, `onResync` handlers run, since
 * notices sent meanwhile were missed.
 */
export class RedisControlPlane implements ControlPlane {
  readonly name = 'redis';
  readonly instanceId = randomUUID();
  readonly #cmd: Connection;
  readonly #sub: Connection;
  readonly #channel: string;
  readonly #tag: string;
  readonly #handlers: NoticeHandlers;
  readonly #log: Logger;
  // Connections of the subscriber so far: a subscribe on any but the first may have missed notices.
  #connections = 0;
  #firstSubscribe: () => void = () => {};
  readonly #subscribedOnce = new Promise<void>((resolve) => (this.#firstSubscribe = resolve));

  constructor(o: RedisControlPlaneOptions) {
    this.#log = o.logger;
    this.#channel = `${o.prefix}control:notices`;
    this.#tag = `{${o.prefix}control}`;
    this.#handlers = new NoticeHandlers((err, kind) => o.logger.error({ err, kind }, 'control notice handler failed'));
    const base: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times: number) => Math.min(times * 100, 2000),
      lazyConnect: true,
    };
    const cmd: RedisOptions = { ...base, commandTimeout: o.commandTimeoutMs ?? 2000 };
    // The subscriber resubscribes itself (below), so that it knows when to resync.
    const sub: RedisOptions = { ...base, autoResubscribe: false };
    const target = parseRedisTarget(o.url);
    if (target.cluster) {
      const auth = {
        ...(target.username !== undefined && { username: target.username }),
        ...(target.password !== undefined && { password: target.password }),
        ...(target.tls && { tls: {} }),
      };
      const node = ({ retryStrategy: _r, enableOfflineQueue: _q, lazyConnect: _l, ...rest }: RedisOptions) => ({ ...rest, ...auth });
      const cluster = (options: RedisOptions) =>
        new Cluster([...target.nodes], { enableOfflineQueue: false, lazyConnect: true, scaleReads: 'master', clusterRetryStrategy: base.retryStrategy as (n: number) => number, redisOptions: node(options) });
      this.#cmd = cluster(cmd);
      this.#sub = cluster(sub);
    } else {
      this.#cmd = new Redis(target.url, cmd);
      this.#sub = new Redis(target.url, sub);
    }
    for (const c of [this.#cmd, this.#sub]) c.on('error', (err: Error) => this.#log.debug({ err: err.message }, 'control plane redis error'));
    this.#sub.on('message', (channel: string, text: string) => {
      if (channel === this.#channel) this.#receive(text);
    });
    this.#sub.on('ready', () => void this.#subscribe(++this.#connections));
  }

  /** Connects both clients and subscribes; resolves when subscribed or after `waitMs` (it keeps trying in the background). */
  async start(waitMs: number): Promise<void> {
    const connected = Promise.all([this.#cmd.connect(), this.#sub.connect(), this.#subscribedOnce]).then(
      () => undefined,
      (err: unknown) => this.#log.warn({ err: err instanceof Error ? err.message : String(err) }, 'control plane: redis unreachable at start; retrying'),
    );
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([connected, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  async #subscribe(connection: number): Promise<void> {
    try {
      await this.#sub.subscribe(this.#channel);
    } catch (err) {
      this.#log.warn({ err: err instanceof Error ? err.message : String(err) }, 'control plane: subscribe failed; retrying on the next connection');
      return;
    }
    this.#firstSubscribe();
    if (connection > 1) {
      this.#log.info('control plane: resubscribed after a redis outage; reloading shared state');
      this.#handlers.resync();
    }
  }

  #receive(text: string): void {
    const parsed = parseNoticeFrame(text);
    if ('ignored' in parsed) {
      this.#log.warn({ reason: parsed.ignored, kind: parsed.kind }, 'control notice ignored');
      return;
    }
    if (parsed.from === this.instanceId) return;
    this.#handlers.deliver(parsed.notice);
  }

  async broadcast(notice: ControlNotice): Promise<void> {
    const valid = ControlNotice.parse(notice);
    this.#handlers.deliver(valid);
    await this.#cmd.publish(this.#channel, JSON.stringify({ from: this.instanceId, notice: valid }));
  }

  onNotice<K extends ControlNoticeKind>(kind: K, handler: (notice: NoticeOf<K>) => void): () => void {
    return this.#handlers.on(kind, handler);
  }

  onResync(handler: () => void): () => void {
    return this.#handlers.onResync(handler);
  }

  async put(collection: string, id: string, value: string, expiresAtMs: number, max: number): Promise<PutOutcome> {
    const reply = (await this.#cmd.eval(PUT_SCRIPT, 2, ...this.#keys(collection), Date.now(), Math.ceil(expiresAtMs), id, value, max)) as [number, number];
    return { stored: reply[0] === 1, count: reply[1] };
  }

  async list(collection: string): Promise<ControlRecord[]> {
    const flat = (await this.#cmd.eval(LIST_SCRIPT, 2, ...this.#keys(collection), Date.now())) as string[];
    const out: ControlRecord[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      out.push({ id: flat[i] as string, expiresAtMs: Number(flat[i + 1]), value: flat[i + 2] as string });
    }
    return out;
  }

  #keys(collection: string): [string, string] {
    if (!COLLECTION.test(collection)) throw new RangeError(`control collection name ${JSON.stringify(collection.slice(0, 64))} is not [a-z][a-z0-9-]*`);
    return [`${this.#tag}:${collection}:index`, `${this.#tag}:${collection}:records`];
  }

  async close(): Promise<void> {
    this.#sub.disconnect();
    await this.#cmd.quit().catch(() => this.#cmd.disconnect());
  }
}
