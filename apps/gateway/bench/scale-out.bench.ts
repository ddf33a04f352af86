/**
 * Scale-out on one host: two gateway processes on a shared Redis versus one process on the memory
 * engine, in one run, against the REAL built gateway (`node apps/gateway/dist/cli.js start`) and a
 * private redis-server (free port, no persistence) started by this script.
 *
 *   npx tsx apps/gateway/bench/scale-out.bench.ts [--clients 100] [--events 4000] [--batch 50] [--in-flight 4]
 *                                                 [--latency-events 600] [--rate 200] [--rounds 3] [--json]
 *
 * Setup: memory gateway M with 2×clients WebSocket clients; Redis gateways A and B with `clients` each,
 * all subscribed to `threats`, so every event costs the same 2×clients deliveries in both setups.
 *
 * - Fan-out (throughput): `events` threats POSTed in batches of `batch`, `in-flight` requests at a
 *   time, to M (memory) or to B (redis: A's clients are served across instances through Redis).
 *   Rate = deliveries (every client, every event) / (first POST → last client received everything).
 * - Latency: `latency-events` threats, one per POST, paced at `rate`/s, to M or to B; for every
 *   delivery, receive time − time just before the POST, both on this process's clock. Redis is split
 *   into cross-instance (clients on A) and same-instance (clients on B).
 *
 * Rounds alternate memory and redis; the figures printed are medians over rounds. Every round checks
 * that every client received every event once, in seq order (the run exits 1 otherwise). Process CPU
 * (utime + stime from /proc) is reported per delivery for the gateways and for redis-server.
 *
 * This machine has 2 cores shared by the gateways, redis-server and this load generator; read the
 * figures as a comparison within one run, not as capacity.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startRedisServer, type TestRedisServer } from '../../../packages/event-bus-redis/test/redis-server.js';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '100' },
    events: { type: 'string', default: '4000' },
    batch: { type: 'string', default: '50' },
    'in-flight': { type: 'string', default: '4' },
    'latency-events': { type: 'string', default: '600' },
    rate: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const CLIENTS = Number(values.clients);
const EVENTS = Number(values.events);
const BATCH = Math.max(1, Math.min(1000, Number(values.batch)));
const IN_FLIGHT = Math.max(1, Number(values['in-flight']));
const LATENCY_EVENTS = Number(values['latency-events']);
const RATE = Number(values.rate);
const ROUNDS = Math.max(1, Number(values.rounds));

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist', 'cli.js');
if (!existsSync(CLI)) {
  console.error(`${CLI} is missing; run \`npm run build\` first`);
  process.exit(2);
}

interface Gateway {
  name: string;
  url: string;
  pid: number;
  stop(): Promise<number | null>;
}

function startGateway(name: string, env: Record<string, string>): Promise<Gateway> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('NS_')));
  const child: ChildProcess = spawn(process.execPath, [CLI, 'start'], {
    env: { ...base, NS_AUTH: 'none', NS_PORT: '0', NS_LOG_LEVEL: 'warn', NS_IP_CONNECT_RATE: '10000', NS_PUBLISH_RATE: '100000', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  process.once('exit', () => child.kill('SIGKILL'));
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(err);
      if (m) resolve({ name, url: m[1] as string, pid: child.pid as number, stop: () => (child.kill('SIGTERM'), exited) });
    });
    void exited.then((code) => reject(new Error(`gateway ${name} exited (${code}):\n${err}`)));
  });
}

/** utime + stime of a process, in seconds (Linux /proc; clock ticks of 1/100 s). */
function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * A subscriber that does as little as possible per frame: it reads `seq` and `id` by position (the
 * gateway serializes envelopes with a fixed key order: type, channel, id, seq, …), so the load
 * generator stays cheaper than the servers.
 */
class Client {
  received = 0;
  /** `received` count that completes the current wait (see {@link waitUntil}). */
  target = Number.POSITIVE_INFINITY;
  lastSeq = 0;
  outOfOrder = 0;
  onEvent: ((id: string, now: number) => void) | undefined;
  readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
  }

  static async open(url: string): Promise<Client> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws`, 'ns.v1', { perMessageDeflate: false });
    const c = new Client(ws);
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data: Buffer) => {
        const now = performance.now();
        const s = data.toString('latin1');
        if (!s.startsWith('{"type":"threat.new"')) {
          if (s.includes('"type":"welcome"')) ws.send(JSON.stringify({ type: 'subscribe', id: 's', channel: 'threats' }));
          else if (s.includes('"type":"subscribed"')) resolve();
          return;
        }
        const at = s.indexOf('"seq":');
        const seq = Number.parseInt(s.slice(at + 6, at + 22), 10);
        if (seq !== c.lastSeq + 1 && c.lastSeq !== 0) c.outOfOrder++;
        c.lastSeq = seq;
        if (++c.received === c.target) clientDone();
        if (c.onEvent !== undefined) {
          const idAt = s.indexOf('"id":"') + 6;
          c.onEvent(s.slice(idAt, s.indexOf('"', idAt)), now);
        }
      });
      ws.once('error', reject);
    });
    return c;
  }
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await fetch(`${url}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 202) throw new Error(`publish answered ${res.status}: ${text}`);
}

let nextId = 0;
const threat = () => ({
  type: 'threat.new',
  id: `so-${nextId++}`,
  data: { source_ip: `198.51.100.${nextId % 250}`, threat_score: 8.5, threat_level: 'high', timestamp: Date.now() / 1000, event_type: 'ssh_login_attempt' },
});

let waiting: { remaining: number; resolve(): void } | undefined;

function clientDone(): void {
  if (waiting !== undefined && --waiting.remaining === 0) waiting.resolve();
}

/** Resolves once every client's `received` reached `target(c)`; event-driven, no polling. */
function waitUntil(clients: readonly Client[], target: (c: Client) => number): Promise<void> {
  return new Promise((resolve) => {
    const behind = clients.filter((c) => c.received < target(c));
    for (const c of clients) c.target = target(c);
    if (behind.length === 0) return resolve();
    waiting = {
      remaining: behind.length,
      resolve: () => {
        waiting = undefined;
        for (const c of clients) c.target = Number.POSITIVE_INFINITY;
        resolve();
      },
    };
  });
}

interface FanOutResult {
  deliveriesPerS: number;
  eventsPerS: number;
  cpuUsPerDelivery: Record<string, number>;
}

/** `EVENTS` threats to `target`, `IN_FLIGHT` batches at a time; every client must get all of them. */
async function fanOut(target: Gateway, clients: Client[], measured: { name: string; pid: number | undefined }[]): Promise<FanOutResult> {
  const start = new Map(clients.map((c) => [c, c.received]));
  const cpu0 = measured.map((m) => cpuSeconds(m.pid));
  const t0 = performance.now();
  let sent = 0;
  const worker = async () => {
    while (sent < EVENTS) {
      const n = Math.min(BATCH, EVENTS - sent);
      sent += n;
      await post(target.url, { events: Array.from({ length: n }, threat) });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await waitUntil(clients, (c) => (start.get(c) as number) + EVENTS);
  const elapsedS = (performance.now() - t0) / 1000;
  const deliveries = clients.length * EVENTS;
  const cpuUsPerDelivery = Object.fromEntries(measured.map((m, i) => [m.name, ((cpuSeconds(m.pid) - (cpu0[i] as number)) * 1e6) / deliveries]));
  return { deliveriesPerS: deliveries / elapsedS, eventsPerS: EVENTS / elapsedS, cpuUsPerDelivery };
}

/** `LATENCY_EVENTS` single-event POSTs paced at `RATE`/s to `target`; latency per delivery, per client group. */
async function latency(target: Gateway, groups: Record<string, Client[]>): Promise<Record<string, { p50: number; p99: number }>> {
  const sentAt = new Map<string, number>();
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(groups).map((g) => [g, []]));
  for (const [g, clients] of Object.entries(groups)) {
    for (const c of clients) {
      c.onEvent = (id, now) => {
        const t = sentAt.get(id);
        if (t !== undefined) samples[g]?.push(now - t);
      };
    }
  }
  const all = Object.values(groups).flat();
  const start = new Map(all.map((c) => [c, c.received]));
  const t0 = performance.now();
  const posts: Promise<void>[] = [];
  for (let i = 0; i < LATENCY_EVENTS; i++) {
    // Paced against the schedule, not the previous send, so the offered rate holds.
    const wait = t0 + (i * 1000) / RATE - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const event = threat();
    sentAt.set(event.id, performance.now());
    posts.push(post(target.url, event));
  }
  await Promise.all(posts);
  await waitUntil(all, (c) => (start.get(c) as number) + LATENCY_EVENTS);
  for (const c of all) c.onEvent = undefined;
  return Object.fromEntries(
    Object.entries(samples).map(([g, s]) => {
      s.sort((a, b) => a - b);
      return [g, { p50: quantile(s, 0.5), p99: quantile(s, 0.99) }];
    }),
  );
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
}

const round2 = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const redis: TestRedisServer = await startRedisServer();
  const prefix = `scale-out-bench-${process.pid}:`;
  const [m, a, b] = await Promise.all([
    startGateway('M (memory)', { NS_ENGINE: 'memory' }),
    startGateway('A (redis)', { NS_ENGINE: 'redis', NS_REDIS_URL: redis.url, NS_REDIS_PREFIX: prefix }),
    startGateway('B (redis)', { NS_ENGINE: 'redis', NS_REDIS_URL: redis.url, NS_REDIS_PREFIX: prefix }),
  ]);
  const onM = await Promise.all(Array.from({ length: 2 * CLIENTS }, () => Client.open(m.url)));
  const onA = await Promise.all(Array.from({ length: CLIENTS }, () => Client.open(a.url)));
  const onB = await Promise.all(Array.from({ length: CLIENTS }, () => Client.open(b.url)));

  // Warm-up (JIT, keep-alive pools, Redis script cache), not measured.
  const warmups: [Gateway, Client[]][] = [
    [m, onM],
    [b, [...onA, ...onB]],
  ];
  for (const [gw, clients] of warmups) {
    const before = new Map(clients.map((c) => [c, c.received]));
    for (let i = 0; i < 4; i++) await post(gw.url, { events: Array.from({ length: 50 }, threat) });
    await waitUntil(clients, (c) => (before.get(c) as number) + 200);
  }

  const rounds: {
    memory: FanOutResult;
    redis: FanOutResult;
    memoryLatency: { p50: number; p99: number };
    crossLatency: { p50: number; p99: number };
    sameLatency: { p50: number; p99: number };
  }[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const memory = await fanOut(m, onM, [{ name: 'gateway', pid: m.pid }]);
    const redisRun = await fanOut(b, [...onA, ...onB], [
      { name: 'gateway A', pid: a.pid },
      { name: 'gateway B', pid: b.pid },
      { name: 'redis-server', pid: redis.pid },
    ]);
    const memLat = await latency(m, { memory: onM });
    const redisLat = await latency(b, { cross: onA, same: onB });
    rounds.push({
      memory,
      redis: redisRun,
      memoryLatency: memLat.memory as { p50: number; p99: number },
      crossLatency: redisLat.cross as { p50: number; p99: number },
      sameLatency: redisLat.same as { p50: number; p99: number },
    });
    if (!values.json) {
      console.error(
        `round ${r + 1}/${ROUNDS}: memory ${Math.round(memory.deliveriesPerS)} deliveries/s, redis ${Math.round(redisRun.deliveriesPerS)} deliveries/s; ` +
          `p50 memory ${round2(memLat.memory?.p50 ?? NaN)} ms, redis cross ${round2(redisLat.cross?.p50 ?? NaN)} ms`,
      );
    }
  }

  const all = [...onM, ...onA, ...onB];
  const outOfOrder = all.reduce((n, c) => n + c.outOfOrder, 0);
  const expected = 200 + ROUNDS * (EVENTS + LATENCY_EVENTS);
  const incomplete = all.filter((c) => c.received !== expected).length;
  for (const c of all) c.ws.close();
  const exits = await Promise.all([m, a, b].map((g) => g.stop()));
  await redis.close();

  const med = (f: (x: (typeof rounds)[0]) => number) => round2(median(rounds.map(f)));
  const result = {
    setup: { clients_per_redis_gateway: CLIENTS, clients_on_memory_gateway: 2 * CLIENTS, events: EVENTS, batch: BATCH, in_flight: IN_FLIGHT, latency_events: LATENCY_EVENTS, rate_per_s: RATE, rounds: ROUNDS },
    fan_out: {
      memory_deliveries_per_s: med((x) => x.memory.deliveriesPerS),
      redis_deliveries_per_s: med((x) => x.redis.deliveriesPerS),
      redis_over_memory: round2(median(rounds.map((x) => x.redis.deliveriesPerS / x.memory.deliveriesPerS))),
      memory_events_per_s: med((x) => x.memory.eventsPerS),
      redis_events_per_s: med((x) => x.redis.eventsPerS),
      cpu_us_per_delivery: {
        memory_gateway: med((x) => x.memory.cpuUsPerDelivery['gateway'] ?? NaN),
        redis_gateway_a: med((x) => x.redis.cpuUsPerDelivery['gateway A'] ?? NaN),
        redis_gateway_b: med((x) => x.redis.cpuUsPerDelivery['gateway B'] ?? NaN),
        redis_server: med((x) => x.redis.cpuUsPerDelivery['redis-server'] ?? NaN),
      },
    },
    latency_ms: {
      memory: { p50: med((x) => x.memoryLatency.p50), p99: med((x) => x.memoryLatency.p99) },
      redis_cross_instance: { p50: med((x) => x.crossLatency.p50), p99: med((x) => x.crossLatency.p99) },
      redis_same_instance: { p50: med((x) => x.sameLatency.p50), p99: med((x) => x.sameLatency.p99) },
      added_by_redis_p50: med((x) => x.crossLatency.p50 - x.memoryLatency.p50),
      cross_over_memory_p50: round2(median(rounds.map((x) => x.crossLatency.p50 / x.memoryLatency.p50))),
      cross_over_memory_p99: round2(median(rounds.map((x) => x.crossLatency.p99 / x.memoryLatency.p99))),
    },
    check: { clients: all.length, incomplete, out_of_order: outOfOrder, gateway_exit_codes: exits },
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    const f = result.fan_out;
    const l = result.latency_ms;
    console.log(`scale-out bench: ${ROUNDS} rounds, medians; ${2 * CLIENTS} clients per setup, all on threats`);
    console.log(`fan-out  memory (1 process)   ${f.memory_deliveries_per_s} deliveries/s (${f.memory_events_per_s} events/s)`);
    console.log(`fan-out  redis (2 processes)  ${f.redis_deliveries_per_s} deliveries/s (${f.redis_events_per_s} events/s)  = ${f.redis_over_memory}× memory`);
    console.log(
      `CPU per delivery: memory gateway ${f.cpu_us_per_delivery.memory_gateway} µs; redis gateways ${f.cpu_us_per_delivery.redis_gateway_a} + ${f.cpu_us_per_delivery.redis_gateway_b} µs, redis-server ${f.cpu_us_per_delivery.redis_server} µs`,
    );
    console.log(`latency  memory                p50 ${l.memory.p50} ms  p99 ${l.memory.p99} ms`);
    console.log(`latency  redis cross-instance  p50 ${l.redis_cross_instance.p50} ms  p99 ${l.redis_cross_instance.p99} ms  (${l.cross_over_memory_p50}× / ${l.cross_over_memory_p99}× memory)`);
    console.log(`latency  redis same instance   p50 ${l.redis_same_instance.p50} ms  p99 ${l.redis_same_instance.p99} ms`);
    console.log(`check: ${all.length} clients, ${incomplete} incomplete, ${outOfOrder} out of order, gateway exits ${exits.join(',')}`);
  }
  if (incomplete > 0 || outOfOrder > 0 || exits.some((c) => c !== 0)) process.exit(1);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
