/**
 * Memory and cost of 10k presence entries on Redis. The presence module itself (LocalPresence +
 * RedisPresenceStore + Presence, the code the gateway runs) over `--connections` synthetic sinks, each
 * a distinct user subscribed to `--channels` channels, on a private redis-server (the test kit's) — so
 * the figures are presence's own, not those of the sockets behind it. Reports:
 *
 * - Redis: `used_memory` growth and `MEMORY USAGE` of the instance's keys, per entry;
 * - this process's heap growth after a full GC (presence's scan state and its copy of what it wrote);
 * - CPU time (this process) of one refresh with nothing changed, with 1 % of connections changed (each
 *   change told to presence as the manager tells it), of the queued-bytes pass alone, and of a cluster
 *   read (`counts()`) from a second instance.
 *
 *   npx tsx --expose-gc apps/gateway/bench/presence.bench.ts [--connections 10000] [--channels 1]
 */
import { parseArgs } from 'node:util';
import { CHANNEL_NAMES, type ChannelName } from '@ns/contracts';
import { redisCommand, startRedisServer } from '@ns/testkit';
import { pino } from 'pino';
import { Presence } from '../src/presence/presence.js';
import { LocalPresence, type PresenceSink } from '../src/presence/local-presence.js';
import { quantizeQueuedBytes } from '../src/presence/presence-store.js';
import { RedisPresenceStore } from '../src/presence/redis-presence-store.js';

const { values } = parseArgs({ options: { connections: { type: 'string', default: '10000' }, channels: { type: 'string', default: '1' } } });
const n = Number(values.connections);
const perSink = Number(values.channels);
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with --expose-gc (npx tsx --expose-gc …)');
const heap = () => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};

const redis = await startRedisServer();
const usedMemory = async () => Number(/used_memory:(\d+)/.exec(await redisCommand(redis, 'INFO', 'memory'))?.[1]);
const logger = pino({ level: 'warn' });

const sinks: PresenceSink[] = [];
const channelsOf = new Map<string, ChannelName[]>();
const now = Date.now();
for (let i = 0; i < n; i++) {
  const id = `c_${i.toString(36).padStart(12, '0')}`;
  sinks.push({ id, transport: 'websocket', principal: { id: `user-${i}`, username: `analyst${i}`, roles: ['analyst'], permissions: ['read:events'] }, remoteAddress: `10.0.${(i >> 8) & 255}.${i & 255}`, openedAt: now - i, state: 'open', bufferedBytes: 0 });
  channelsOf.set(id, CHANNEL_NAMES.slice(0, perSink) as ChannelName[]);
}
// The manager tells presence of every sink that changed; the bench tells it of the ones it changes.
const listeners = new Set<(s: PresenceSink) => void>();
const source = {
  sinks: () => sinks,
  channelsOf: (s: PresenceSink) => channelsOf.get(s.id) ?? [],
  onSinkChange: (l: (s: PresenceSink) => void) => (listeners.add(l), () => listeners.delete(l)),
};
const empty = { sinks: () => [], channelsOf: () => [], onSinkChange: () => () => undefined };

const redisBefore = await usedMemory();
const heapBefore = heap();
// refreshMs far beyond the run: the bench drives every refresh itself.
const reader = new Presence({ source: empty, store: new RedisPresenceStore({ url: redis.url, prefix: 'bench:', instanceId: 'gw-b', logger }), instanceId: 'gw-b', logger, refreshMs: 3_600_000 });
await new Promise((r) => setTimeout(r, 500));
// The first refresh (at construction) takes in every sink and writes everything.
const t0 = process.cpuUsage();
const a = new Presence({ source, store: new RedisPresenceStore({ url: redis.url, prefix: 'bench:', instanceId: 'gw-a', logger }), instanceId: 'gw-a', logger, refreshMs: 3_600_000 });
await a.refresh();
const full = process.cpuUsage(t0);
const fullMs = (full.user + full.system) / 1000;
const heapAfter = heap();
const redisAfter = await usedMemory();

const memoryUsage = async (key: string) => Number(await redisCommand(redis, 'MEMORY', 'USAGE', key, 'SAMPLES', '0'));
const keys = { members: await memoryUsage('{bench:presence}:m:gw-a'), connections: await memoryUsage('{bench:presence}:c:gw-a') };

// CPU time of this process (user + system), which a loaded shared machine inflates far less than wall time.
const time = async (f: () => Promise<unknown>, runs = 10) => {
  const t = process.cpuUsage();
  for (let i = 0; i < runs; i++) await f();
  const d = process.cpuUsage(t);
  return (d.user + d.system) / 1000 / runs;
};
const unchangedMs = await time(() => a.refresh(), 100);
let flip = 0;
const changedMs = await time(async () => {
  // 1 % of the connections change channel between refreshes.
  for (let i = 0; i < n / 100; i++) {
    const sink = sinks[(flip * 97 + i * 101) % n]!;
    channelsOf.set(sink.id, [CHANNEL_NAMES[(flip + i) % CHANNEL_NAMES.length] as ChannelName]);
    for (const l of listeners) l(sink);
  }
  flip++;
  await a.refresh();
});
const local = new LocalPresence(source);
local.flush();
local.queuedBytesChanged(quantizeQueuedBytes);
const sweepMs = await time(async () => local.queuedBytesChanged(quantizeQueuedBytes), 100);
local.close();
let counted = 0;
const readMs = await time(async () => {
  const counts = await reader.counts();
  counted = Object.values(counts).reduce((s, c) => s + c.connections, 0);
});

const entries = n * perSink;
const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
console.log(`presence: ${n} connections × ${perSink} channel(s) = ${entries} presence entries (+ ${n} connection records), distinct users`);
console.log(`redis used_memory growth: ${kib(redisAfter - redisBefore)} (${((redisAfter - redisBefore) / entries).toFixed(0)} B per entry incl. its connection record)`);
console.log(`redis MEMORY USAGE: entries hash ${kib(keys.members)} (${(keys.members / entries).toFixed(0)} B/entry), connections hash ${kib(keys.connections)} (${(keys.connections / n).toFixed(0)} B/connection)`);
console.log(`gateway heap growth (presence state only, after GC): ${kib(heapAfter - heapBefore)} (${((heapAfter - heapBefore) / n).toFixed(0)} B per connection)`);
console.log(`CPU per operation (this process): queued-bytes pass over every connection alone ${sweepMs.toFixed(2)} ms; first (full) refresh ${fullMs.toFixed(1)} ms; refresh with nothing changed ${unchangedMs.toFixed(2)} ms; with 1 % changed ${changedMs.toFixed(1)} ms; cluster read from another instance ${readMs.toFixed(1)} ms (counted ${counted} connections)`);

await a.close();
await reader.close();
await redis.close();
