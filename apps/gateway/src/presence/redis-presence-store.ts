import { parseRedisTarget } from '@ns/event-bus-redis';
import { isChannelName } from '@ns/contracts';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { ConnectionRecord, MemberEntry } from './local-presence.js';
import { PRESENCE_TTL_MS, quantizeQueuedBytes, type PresenceStore, type PresenceUpdate, type RemoteConnection, type RemoteView } from './presence-store.js';

/** Options of {@link RedisPresenceStore}. */
export interface RedisPresenceStoreOptions {
  /** `NS_REDIS_URL` (one Redis, or `redis+cluster://` seeds), as the engine reads it. */
  url: string;
  /** `NS_REDIS_PREFIX`: gateways sharing an engine share their presence. */
  prefix: string;
  instanceId: string;
  logger: Logger;
  /** Default {@link PRESENCE_TTL_MS}. */
  ttlMs?: number;
}

/** Instance ids whose index entry is older than this are dropped from the index by any writer. */
const INDEX_GC_MS = 10 * 60_000;

/**
 * Presence on the engine's Redis (docs/protocol.md#presence-and-admin). On one Redis, every key is
 * under the hash tag `{<prefix>presence}`; on a Redis Cluster, each instance's own keys are under a
 * tag of their own, `{<prefix>presence:<id>}`, so that instances spread over the masters and each
 * refresh is still one MULTI on one slot:
 *
 * - `<tag>:alive:<id>` — a key that says the instance lives, with a TTL of 5 s;
 * - `<tag>:m:<id>` — hash of presence entries, field `<channel>\x01<user>` → `[connections, since_ms, username?]`;
 * - `<tag>:c:<id>` — hash of connection records, field `<connection id>` → the record's JSON;
 * - `{<prefix>presence}:instances` — sorted set of instance ids (an index; the `alive` key decides).
 *
 * Every refresh (1 s) writes only the fields of the entries and connections that changed since the
 * last one (the instance tracks changes; it does not compare) and renews the three keys' TTL, in one
 * MULTI (on a Cluster the index is written beside it, in its own slot): with nothing changed, six
 * small commands. An instance that stops refreshing (SIGKILL, partition) is gone from every reader's view when
 * its keys expire, at most 5 s later; Redis does the expiring, so clock skew between hosts does not
 * matter. When the `alive` key had already expired (Redis restarted or the instance stalled), the
 * refresh writes everything again.
 */
export class RedisPresenceStore implements PresenceStore {
  readonly name = 'redis';
  readonly shared = true;
  readonly #cmd: Redis | Cluster;
  readonly #log: Logger;
  readonly #id: string;
  readonly #ttl: number;
  readonly #keys: { index: string; alive: (id: string) => string; members: (id: string) => string; conns: (id: string) => string };
  /** A Redis Cluster: each instance's keys are in a slot of their own, so reads go one pipeline per instance. */
  readonly #cluster: boolean;
  /** Set when Redis may not hold what this instance wrote (a failed write, start): the next refresh writes everything. */
  #full = true;
  #awaitReady = true;

  constructor(o: RedisPresenceStoreOptions) {
    this.#log = o.logger;
    this.#id = o.instanceId;
    this.#ttl = o.ttlMs ?? PRESENCE_TTL_MS;
    const target = parseRedisTarget(o.url);
    this.#cluster = target.cluster;
    const shared = `{${o.prefix}presence}`;
    const tag = target.cluster ? (id: string) => `{${o.prefix}presence:${id}}` : () => shared;
    this.#keys = {
      index: `${shared}:instances`,
      alive: (id) => `${tag(id)}:alive:${id}`,
      members: (id) => `${tag(id)}:m:${id}`,
      conns: (id) => `${tag(id)}:c:${id}`,
    };
    // Never queue while Redis is away: a refresh or read fails at once and the next refresh rewrites.
    const options: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      commandTimeout: 2_000,
      retryStrategy: (times: number) => Math.min(times * 100, 2_000),
      lazyConnect: true,
    };
    if (target.cluster) {
      const { retryStrategy, enableOfflineQueue: _q, lazyConnect: _l, ...node } = options;
      this.#cmd = new Cluster([...target.nodes], {
        enableOfflineQueue: false,
        lazyConnect: true,
        scaleReads: 'master',
        clusterRetryStrategy: retryStrategy as (n: number) => number,
        redisOptions: {
          ...node,
          ...(target.username !== undefined && { username: target.username }),
          ...(target.password !== undefined && { password: target.password }),
          ...(target.tls && { tls: {} }),
        },
      });
    } else this.#cmd = new Redis(target.url, options);
    this.#cmd.on('error', (err: Error) => this.#log.debug({ err: err.message }, 'presence redis error'));
    this.#cmd.connect().catch((err: unknown) => this.#log.warn({ err: err instanceof Error ? err.message : String(err) }, 'presence: redis unreachable; retrying'));
  }

  async refresh(update: PresenceUpdate): Promise<void> {
    // The first refresh comes right at start, while the client is still connecting: wait for it a little
    // rather than fail (and warn) on every start.
    if (this.#awaitReady) {
      this.#awaitReady = false;
      await this.#ready(2_000);
    }
    const full = this.#full;
    let alive: number;
    try {
      alive = await this.#write(update, full);
    } catch (err) {
      // Unknown what was applied: the next refresh writes everything.
      this.#full = true;
      throw err;
    }
    this.#full = false;
    if (alive === 0 && !full) {
      this.#log.info('presence: this instance\'s entries had expired in redis; writing them again');
      try {
        await this.#write(update, true);
      } catch (err) {
        this.#full = true;
        throw err;
      }
    }
  }

  #ready(ms: number): Promise<void> {
    if (this.#cmd.status === 'ready') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#cmd.off('ready', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#cmd.once('ready', done);
    });
  }

  /** One MULTI: the changed fields (or all of them), the TTLs, the index. Resolves with whether `alive` existed before. */
  async #write(update: PresenceUpdate, full: boolean): Promise<number> {
    const k = this.#keys;
    const now = Date.now();
    const tx = this.#cmd.multi();
    tx.exists(k.alive(this.#id));
    const members: string[] = [];
    const membersGone: string[] = [];
    const conns: string[] = [];
    const connsGone: string[] = [];
    const member = (m: MemberEntry) => JSON.stringify(m.username === undefined ? [m.connections, m.sinceMs] : [m.connections, m.sinceMs, m.username]);
    const connection = (c: ConnectionRecord) => JSON.stringify({ ...c, queued_bytes: quantizeQueuedBytes(c.queued_bytes) });
    if (full) {
      const all = update.all();
      for (const [field, m] of all.members) members.push(field, member(m));
      for (const c of all.connections) conns.push(c.id, connection(c));
    } else {
      for (const [field, m] of update.members) {
        if (m === undefined) membersGone.push(field);
        else members.push(field, member(m));
      }
      for (const [id, c] of update.connections) {
        if (c === undefined) connsGone.push(id);
        else conns.push(id, connection(c));
      }
    }
    for (const [key, set, gone] of [
      [k.members(this.#id), members, membersGone],
      [k.conns(this.#id), conns, connsGone],
    ] as const) {
      if (full) tx.del(key);
      if (set.length > 0) tx.hset(key, ...set);
      if (gone.length > 0) tx.hdel(key, ...gone);
      tx.pexpire(key, this.#ttl);
    }
    tx.set(k.alive(this.#id), String(now), 'PX', this.#ttl);
    // The index is in another slot on a Cluster: written beside the MULTI, not in it (the alive key,
    // not the index, says whether an instance lives).
    const index = this.#cluster ? this.#cmd.pipeline() : tx;
    index.zadd(k.index, now, this.#id);
    index.zremrangebyscore(k.index, '-inf', now - INDEX_GC_MS);
    const [results, indexed] = await Promise.all([tx.exec(), index === tx ? null : index.exec()]);
    const failed = [...(results ?? []), ...(indexed ?? [])].find(([err]) => err !== null)?.[0];
    if (results === null || failed) throw failed ?? new Error('presence refresh aborted');
    return results[0]?.[1] as number;
  }

  async remoteMembers(): Promise<RemoteView<MemberEntry>> {
    const { instances, hashes } = await this.#readOthers(this.#keys.members);
    const items: MemberEntry[] = [];
    for (const hash of hashes) {
      for (const [field, value] of Object.entries(hash)) {
        const entry = parseMember(field, value);
        if (entry !== undefined) items.push(entry);
      }
    }
    return { instances, items };
  }

  async remoteConnections(): Promise<RemoteView<RemoteConnection>> {
    const { instances, hashes } = await this.#readOthers(this.#keys.conns);
    const items: RemoteConnection[] = [];
    hashes.forEach((hash, i) => {
      for (const value of Object.values(hash)) {
        const record = parseConnection(value);
        if (record !== undefined) items.push({ ...record, instance: instances[i] as string });
      }
    });
    return { instances, items };
  }

  /** The live other instances and, for each, the hash `key` names. */
  async #readOthers(key: (id: string) => string): Promise<{ instances: string[]; hashes: Record<string, string>[] }> {
    const ids = (await this.#cmd.zrange(this.#keys.index, '0', '-1')).filter((id) => id !== this.#id);
    if (ids.length === 0) return { instances: [], hashes: [] };
    // One pipeline on one Redis; on a Cluster one per instance (a pipeline must stay on one node).
    const read = async (some: string[]) => {
      const p = this.#cmd.pipeline();
      for (const id of some) p.exists(this.#keys.alive(id)).hgetall(key(id));
      return (await p.exec()) ?? [];
    };
    const results = this.#cluster ? (await Promise.all(ids.map((id) => read([id])))).flat() : await read(ids);
    const instances: string[] = [];
    const hashes: Record<string, string>[] = [];
    const dead: string[] = [];
    ids.forEach((id, i) => {
      const [errAlive, alive] = results[2 * i] ?? [null, 0];
      const [errHash, hash] = results[2 * i + 1] ?? [null, {}];
      if (errAlive !== null || errHash !== null) throw errAlive ?? errHash;
      if (alive === 0) dead.push(id);
      else {
        instances.push(id);
        hashes.push(hash as Record<string, string>);
      }
    });
    // An instance re-adds itself at its next refresh, so removing one that only just started is harmless.
    if (dead.length > 0) this.#cmd.zrem(this.#keys.index, ...dead).catch(() => {});
    return { instances, hashes };
  }

  async close(): Promise<void> {
    const k = this.#keys;
    try {
      await Promise.all([this.#cmd.del(k.alive(this.#id), k.members(this.#id), k.conns(this.#id)), this.#cmd.zrem(k.index, this.#id)]);
    } catch (err) {
      this.#log.debug({ err: err instanceof Error ? err.message : String(err) }, 'presence: could not remove this instance\'s entries (they expire)');
    }
    this.#cmd.disconnect();
  }
}

function parseMember(field: string, value: string): MemberEntry | undefined {
  const sep = field.indexOf('\u0001');
  const channel = field.slice(0, sep);
  if (sep < 0 || !isChannelName(channel)) return undefined;
  try {
    const [connections, sinceMs, username] = JSON.parse(value) as [unknown, unknown, unknown];
    if (typeof connections !== 'number' || typeof sinceMs !== 'number') return undefined;
    const user = field.slice(sep + 1);
    return { channel, user: user === '' ? null : user, connections, sinceMs, ...(typeof username === 'string' && { username }) };
  } catch {
    return undefined;
  }
}

function parseConnection(value: string): ConnectionRecord | undefined {
  try {
    const r = JSON.parse(value) as ConnectionRecord;
    if (typeof r !== 'object' || r === null || typeof r.id !== 'string' || !Array.isArray(r.channels)) return undefined;
    return { ...r, channels: r.channels.filter(isChannelName) };
  } catch {
    return undefined;
  }
}
