/**
 * Scale-out on one host: two gateway processes on a shared Redis, and two on a Redis Cluster of three
 * masters (sharded pub/sub, `redis+cluster://`), versus one process on the memory engine, in one run,
 * against the REAL built gateway (`node apps/gateway/dist/cli.js start`) and private redis-servers
 * (free ports, no persistence) started by this script.
 *
 *   npx tsx apps/gateway/bench/scale-out.bench.ts [--clients 250] [--samplers 10] [--events 4000] [--batch 50]
 *                                                 [--in-flight 4] [--latency-events 600] [--rate 200] [--rounds 3] [--json]
 *
 * Setup: memory gateway M with 2×clients subscribers; Redis gateways A and B, and Cluster gateways C
 * and D, with `clients` each, all on `threats`, so every event costs the same 2×clients deliveries in
 * every setup. Subscribers are raw
 * TCP sockets in a load-generator child that only count frames (docs/architecture.md#fan-out: the load generator must
 * cost less than the server), plus `samplers` real `ws` clients per gateway in this process that
 * check seq order and time every delivery.
 *
 * - Fan-out (throughput): `events` threats POSTed in batches of `batch`, `in-flight` requests at a
 *   time, to M (memory), to B (redis: A's subscribers are served across instances through Redis) or
 *   to D (cluster: C's subscribers are served through the threats channel's master).
 *   Rate = deliveries (every subscriber, every event) / (first POST → the last subscriber's last frame).
 * - Latency: `latency-events` threats, one per POST, paced at `rate`/s, to M or to B, with the whole
 *   fan-out going on; per sampler delivery, receive time − time just before the POST, both on this
 *   process's clock. Redis is split into cross-instance (samplers on A) and same-instance (on B).
 *
 * Rounds alternate memory, redis and cluster; figures are medians over rounds. Every round checks that every
 * sampler received every event once, in seq order, and every raw subscriber every frame (the run
 * exits 1 otherwise). Process CPU (utime + stime from /proc) is reported per delivery for the
 * gateways, redis-server and the load generator.
 *
 * This machine has 2 cores shared by the gateways, redis-server, the load generator and this
 * process (and other users): read the figures as a comparison within one run, not as capacity.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startRedisCluster, startRedisServer, type TestRedisServer } from '@ns/testkit';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '250' },
    samplers: { type: 'string', default: '10' },
    role: { type: 'string', default: 'bench' },
    targets: { type: 'string', default: '' },
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
const SAMPLERS = Number(values.samplers);
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
    // Heartbeat off for the run's length: the raw subscribers do not answer pings.
    env: { ...base, NS_AUTH: 'none', NS_PORT: '0', NS_LOG_LEVEL: 'warn', NS_IP_CONNECT_RATE: '100000', NS_PUBLISH_RATE: '100000', NS_HEARTBEAT_S: '3600', ...env },
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

/** CLOCK_MONOTONIC in ms: one clock for every process on the host, so a child's timestamps compare. */
const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6;

// ------------------------------------------------------------------------------------------------
// Load generator child: raw sockets that upgrade with `?subscribe=threats`, then count frames by
// reading frame headers only (no unmasking, no UTF-8, no JSON).

/** `mark`: remember every socket's count of `groups`; `expect`: answer `done` once each got `frames` more. */
interface LoadgenCommand {
  type: 'mark' | 'expect';
  groups: number[];
  frames?: number;
}

function loadgen(): void {
  const groups = values.targets.split(',').map((t) => {
    const at = t.lastIndexOf('@');
    return { url: new URL(t.slice(0, at)), sockets: Number(t.slice(at + 1)) };
  });
  const counts: number[][] = groups.map((g) => new Array<number>(g.sockets).fill(0));
  let base: number[][] = counts.map((c) => [...c]);
  let waiting: { groups: number[]; frames: number; remaining: number } | undefined;
  const finish = () => {
    waiting = undefined;
    process.send?.({ type: 'done', at: nowMs(), cpu: process.cpuUsage() });
  };

  const open = (group: number, index: number, url: URL): Promise<void> =>
    new Promise((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname);
      const mine = counts[group] as number[];
      let handshaken = false;
      let head = '';
      let skip = 0; // payload bytes of the current frame still to skip
      let partial: Buffer | undefined;
      socket.on('error', reject);
      socket.on('connect', () =>
        socket.write(
          `GET /ws?subscribe=threats HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
        ),
      );
      socket.on('data', (chunk: Buffer) => {
        let buf = chunk;
        if (!handshaken) {
          head += chunk.toString('latin1');
          const end = head.indexOf('\r\n\r\n');
          if (end === -1) return;
          if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
          handshaken = true;
          resolve();
          buf = chunk.subarray(chunk.length - (head.length - end - 4));
        }
        if (partial !== undefined) {
          buf = Buffer.concat([partial, buf]);
          partial = undefined;
        }
        let frames = 0;
        let i = 0;
        while (i < buf.length) {
          if (skip > 0) {
            const n = Math.min(skip, buf.length - i);
            skip -= n;
            i += n;
            continue;
          }
          if (buf.length - i < 2) {
            partial = buf.subarray(i);
            break;
          }
          let len = (buf[i + 1] as number) & 0x7f;
          const header = len === 126 ? 4 : len === 127 ? 10 : 2;
          if (buf.length - i < header) {
            partial = buf.subarray(i);
            break;
          }
          if (len === 126) len = buf.readUInt16BE(i + 2);
          else if (len === 127) len = Number(buf.readBigUInt64BE(i + 2));
          frames++;
          i += header;
          skip = len;
        }
        if (frames === 0) return;
        const before = mine[index] as number;
        mine[index] = before + frames;
        const w = waiting;
        if (w === undefined || !w.groups.includes(group)) return;
        const target = ((base[group] as number[])[index] as number) + w.frames;
        if (before < target && before + frames >= target && --w.remaining === 0) finish();
      });
    });

  void (async () => {
    for (const [g, group] of groups.entries()) {
      for (let k = 0; k < group.sockets; k += 50) {
        await Promise.all(Array.from({ length: Math.min(50, group.sockets - k) }, (_, j) => open(g, k + j, group.url)));
      }
    }
    process.send?.({ type: 'connected' });
  })().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });

  process.on('message', (m: LoadgenCommand) => {
    if (m.type === 'mark') {
      base = counts.map((c) => [...c]);
      process.send?.({ type: 'marked', cpu: process.cpuUsage() });
      return;
    }
    const frames = m.frames as number;
    let behind = 0;
    for (const g of m.groups) (counts[g] as number[]).forEach((n, i) => (behind += n < ((base[g] as number[])[i] as number) + frames ? 1 : 0));
    waiting = { groups: m.groups, frames, remaining: behind };
    if (behind === 0) finish();
  });
}

function next<T>(proc: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string }) => {
      if (m.type !== type) return;
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null) => reject(new Error(`load generator exited (${code}) while waiting for ${type}`));
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
}

// ------------------------------------------------------------------------------------------------
// Samplers: real `ws` clients in this process that check seq order and time deliveries.

let sampling: { remaining: number; resolve(): void } | undefined;

/**
 * Reads `seq` and `id` by position (the gateway serializes envelopes with a fixed key order: type,
 * channel, id, seq, …), so sampling stays cheap.
 */
class Sampler {
  received = 0;
  lastSeq = 0;
  outOfOrder = 0;
  /** `received` count that completes the current wait (see {@link samplersReach}). */
  target = Number.POSITIVE_INFINITY;
  onEvent: ((id: string, now: number) => void) | undefined;
  readonly ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.ws = ws;
  }

  static async open(url: string): Promise<Sampler> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/ws?subscribe=threats`, 'ns.v1', { perMessageDeflate: false });
    const c = new Sampler(ws);
    await new Promise<void>((resolve, reject) => {
      ws.on('message', (data: Buffer) => {
        const now = performance.now();
        const s = data.toString('latin1');
        if (!s.startsWith('{"type":"threat.new"')) {
          if (s.includes('"type":"subscribed"')) resolve();
          return;
        }
        const at = s.indexOf('"seq":');
        const seq = Number.parseInt(s.slice(at + 6, at + 22), 10);
        if (c.lastSeq !== 0 && seq !== c.lastSeq + 1) c.outOfOrder++;
        c.lastSeq = seq;
        if (c.onEvent !== undefined) {
          const idAt = s.indexOf('"id":"') + 6;
          c.onEvent(s.slice(idAt, s.indexOf('"', idAt)), now);
        }
        if (++c.received === c.target && sampling !== undefined && --sampling.remaining === 0) sampling.resolve();
      });
      ws.once('error', reject);
    });
    return c;
  }
}

/** Resolves once every sampler's `received` reached `target(c)`; event-driven, no polling. */
function samplersReach(samplers: readonly Sampler[], target: (c: Sampler) => number): Promise<void> {
  return new Promise((resolve) => {
    for (const c of samplers) c.target = target(c);
    const behind = samplers.filter((c) => c.received < c.target).length;
    const done = () => {
      sampling = undefined;
      for (const c of samplers) c.target = Number.POSITIVE_INFINITY;
      resolve();
    };
    if (behind === 0) done();
    else sampling = { remaining: behind, resolve: done };
  });
}

// ------------------------------------------------------------------------------------------------
// Runs.

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

/** One side of the comparison. */
interface Setup {
  /** Where events are POSTed. */
  target: Gateway;
  /** The load generator's socket groups of this setup, and how many sockets they hold. */
  groups: number[];
  sockets: number;
  samplers: Sampler[];
  cpu: { name: string; pid: number | undefined }[];
}

interface FanOutResult {
  deliveriesPerS: number;
  eventsPerS: number;
  cpuUsPerDelivery: Record<string, number>;
}

/** `EVENTS` threats to the setup's target, `IN_FLIGHT` batches at a time; every subscriber must get all. */
async function fanOut(setup: Setup, gen: ChildProcess): Promise<FanOutResult> {
  const start = new Map(setup.samplers.map((c) => [c, c.received]));
  gen.send({ type: 'mark', groups: setup.groups } satisfies LoadgenCommand);
  const marked = await next<{ cpu: NodeJS.CpuUsage }>(gen, 'marked');
  const done = next<{ at: number; cpu: NodeJS.CpuUsage }>(gen, 'done');
  gen.send({ type: 'expect', groups: setup.groups, frames: EVENTS } satisfies LoadgenCommand);
  const cpu0 = setup.cpu.map((m) => cpuSeconds(m.pid));
  const t0 = nowMs();
  let sent = 0;
  const publisher = async () => {
    while (sent < EVENTS) {
      const n = Math.min(BATCH, EVENTS - sent);
      sent += n;
      await post(setup.target.url, { events: Array.from({ length: n }, threat) });
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, publisher));
  const end = await done;
  await samplersReach(setup.samplers, (c) => (start.get(c) as number) + EVENTS);
  const elapsedS = (Math.max(end.at, nowMs()) - t0) / 1000;
  const deliveries = (setup.sockets + setup.samplers.length) * EVENTS;
  const cpu = Object.fromEntries(setup.cpu.map((m, i) => [m.name, cpuSeconds(m.pid) - (cpu0[i] as number)]));
  cpu['load generator'] = (end.cpu.user + end.cpu.system - marked.cpu.user - marked.cpu.system) / 1e6;
  return {
    deliveriesPerS: deliveries / elapsedS,
    eventsPerS: EVENTS / elapsedS,
    cpuUsPerDelivery: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, (v * 1e6) / deliveries])),
  };
}

type Percentiles = { p50: number; p99: number };

/** `LATENCY_EVENTS` single-event POSTs paced at `RATE`/s; latency per sampler delivery, per sampler group. */
async function latency(setup: Setup, gen: ChildProcess, groups: Record<string, Sampler[]>): Promise<Record<string, Percentiles>> {
  const sentAt = new Map<string, number>();
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(groups).map((g) => [g, []]));
  for (const [g, samplers] of Object.entries(groups)) {
    for (const c of samplers) {
      c.onEvent = (id, now) => {
        const t = sentAt.get(id);
        if (t !== undefined) samples[g]?.push(now - t);
      };
    }
  }
  const all = Object.values(groups).flat();
  const start = new Map(all.map((c) => [c, c.received]));
  gen.send({ type: 'mark', groups: setup.groups } satisfies LoadgenCommand);
  await next(gen, 'marked');
  const done = next(gen, 'done');
  gen.send({ type: 'expect', groups: setup.groups, frames: LATENCY_EVENTS } satisfies LoadgenCommand);
  const t0 = performance.now();
  const posts: Promise<void>[] = [];
  for (let i = 0; i < LATENCY_EVENTS; i++) {
    // Paced against the schedule, not the previous send, so the offered rate holds.
    const wait = t0 + (i * 1000) / RATE - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const event = threat();
    sentAt.set(event.id, performance.now());
    posts.push(post(setup.target.url, event));
  }
  await Promise.all(posts);
  await done;
  await samplersReach(all, (c) => (start.get(c) as number) + LATENCY_EVENTS);
  for (const c of all) c.onEvent = undefined;
  return Object.fromEntries(
    Object.entries(samples).map(([g, s]) => {
      s.sort((x, y) => x - y);
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

interface Round {
  memory: FanOutResult;
  redis: FanOutResult;
  cluster: FanOutResult;
  memoryLatency: Percentiles;
  crossLatency: Percentiles;
  sameLatency: Percentiles;
  clusterCrossLatency: Percentiles;
  clusterSameLatency: Percentiles;
}

async function main(): Promise<void> {
  const redis: TestRedisServer = await startRedisServer();
  const cluster = await startRedisCluster({ masters: 3 });
  const prefix = `scale-out-bench-${process.pid}:`;
  const [m, a, b, c, d] = await Promise.all([
    startGateway('M (memory)', { NS_ENGINE: 'memory' }),
    startGateway('A (redis)', { NS_ENGINE: 'redis', NS_REDIS_URL: redis.url, NS_REDIS_PREFIX: prefix }),
    startGateway('B (redis)', { NS_ENGINE: 'redis', NS_REDIS_URL: redis.url, NS_REDIS_PREFIX: prefix }),
    startGateway('C (cluster)', { NS_ENGINE: 'redis', NS_REDIS_URL: cluster.url, NS_REDIS_PREFIX: prefix }),
    startGateway('D (cluster)', { NS_ENGINE: 'redis', NS_REDIS_URL: cluster.url, NS_REDIS_PREFIX: prefix }),
  ]);
  // Socket groups: 0 = 2×clients on M; 1 = clients on A; 2 = clients on B; 3 = on C; 4 = on D.
  const targets = [`${m.url}@${2 * CLIENTS}`, ...[a, b, c, d].map((g) => `${g.url}@${CLIENTS}`)].join(',');
  const gen = fork(fileURLToPath(import.meta.url), ['--role=loadgen', `--targets=${targets}`], {
    execArgv: process.execArgv,
  });
  process.once('exit', () => gen.kill('SIGKILL'));
  await next(gen, 'connected');
  const onM = await Promise.all(Array.from({ length: 2 * SAMPLERS }, () => Sampler.open(m.url)));
  const onA = await Promise.all(Array.from({ length: SAMPLERS }, () => Sampler.open(a.url)));
  const onB = await Promise.all(Array.from({ length: SAMPLERS }, () => Sampler.open(b.url)));
  const onC = await Promise.all(Array.from({ length: SAMPLERS }, () => Sampler.open(c.url)));
  const onD = await Promise.all(Array.from({ length: SAMPLERS }, () => Sampler.open(d.url)));
  const memory: Setup = { target: m, groups: [0], sockets: 2 * CLIENTS, samplers: onM, cpu: [{ name: 'gateway', pid: m.pid }] };
  const redisPair: Setup = {
    target: b,
    groups: [1, 2],
    sockets: 2 * CLIENTS,
    samplers: [...onA, ...onB],
    cpu: [
      { name: 'gateway A', pid: a.pid },
      { name: 'gateway B', pid: b.pid },
      { name: 'redis-server', pid: redis.pid },
    ],
  };
  const clusterPair: Setup = {
    target: d,
    groups: [3, 4],
    sockets: 2 * CLIENTS,
    samplers: [...onC, ...onD],
    cpu: [
      { name: 'gateway C', pid: c.pid },
      { name: 'gateway D', pid: d.pid },
      ...cluster.nodes.map((n, i) => ({ name: `cluster node ${i + 1}`, pid: n.pid })),
    ],
  };

  // Warm-up (JIT, keep-alive pools, the Redis script cache), not measured.
  for (const setup of [memory, redisPair, clusterPair]) {
    const before = new Map(setup.samplers.map((c) => [c, c.received]));
    for (let i = 0; i < 4; i++) await post(setup.target.url, { events: Array.from({ length: 50 }, threat) });
    await samplersReach(setup.samplers, (c) => (before.get(c) as number) + 200);
  }

  const rounds: Round[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const mem = await fanOut(memory, gen);
    const red = await fanOut(redisPair, gen);
    const clu = await fanOut(clusterPair, gen);
    const memLat = await latency(memory, gen, { memory: onM });
    const redLat = await latency(redisPair, gen, { cross: onA, same: onB });
    const cluLat = await latency(clusterPair, gen, { cross: onC, same: onD });
    const round: Round = {
      memory: mem,
      redis: red,
      cluster: clu,
      memoryLatency: memLat['memory'] as Percentiles,
      crossLatency: redLat['cross'] as Percentiles,
      sameLatency: redLat['same'] as Percentiles,
      clusterCrossLatency: cluLat['cross'] as Percentiles,
      clusterSameLatency: cluLat['same'] as Percentiles,
    };
    rounds.push(round);
    if (!values.json) {
      console.error(
        `round ${r + 1}/${ROUNDS}: fan-out memory ${Math.round(mem.deliveriesPerS)}/s, redis ${Math.round(red.deliveriesPerS)}/s, cluster ${Math.round(clu.deliveriesPerS)}/s; ` +
          `p50 memory ${round2(round.memoryLatency.p50)} ms, redis cross ${round2(round.crossLatency.p50)} ms, same ${round2(round.sameLatency.p50)} ms, ` +
          `cluster cross ${round2(round.clusterCrossLatency.p50)} ms`,
      );
    }
  }

  const samplers = [...onM, ...onA, ...onB, ...onC, ...onD];
  const outOfOrder = samplers.reduce((n, c) => n + c.outOfOrder, 0);
  const expected = 200 + ROUNDS * (EVENTS + LATENCY_EVENTS);
  const incomplete = samplers.filter((c) => c.received !== expected).length;
  for (const c of samplers) c.ws.close();
  gen.kill();
  const exits = await Promise.all([m, a, b, c, d].map((g) => g.stop()));
  await redis.close();
  await cluster.close();

  const med = (f: (x: Round) => number) => round2(median(rounds.map(f)));
  const cpu = (f: (x: Round) => number) => Math.round(median(rounds.map(f)) * 1000) / 1000;
  const result = {
    setup: {
      subscribers_per_setup: 2 * CLIENTS + 2 * SAMPLERS,
      events: EVENTS,
      batch: BATCH,
      in_flight: IN_FLIGHT,
      latency_events: LATENCY_EVENTS,
      rate_per_s: RATE,
      rounds: ROUNDS,
    },
    fan_out: {
      memory_deliveries_per_s: Math.round(median(rounds.map((x) => x.memory.deliveriesPerS))),
      redis_deliveries_per_s: Math.round(median(rounds.map((x) => x.redis.deliveriesPerS))),
      redis_over_memory: med((x) => x.redis.deliveriesPerS / x.memory.deliveriesPerS),
      memory_events_per_s: Math.round(median(rounds.map((x) => x.memory.eventsPerS))),
      redis_events_per_s: Math.round(median(rounds.map((x) => x.redis.eventsPerS))),
      cluster_deliveries_per_s: Math.round(median(rounds.map((x) => x.cluster.deliveriesPerS))),
      cluster_over_memory: med((x) => x.cluster.deliveriesPerS / x.memory.deliveriesPerS),
      cluster_over_redis: med((x) => x.cluster.deliveriesPerS / x.redis.deliveriesPerS),
      cpu_us_per_delivery: {
        memory_gateway: cpu((x) => x.memory.cpuUsPerDelivery['gateway'] ?? NaN),
        memory_load_generator: cpu((x) => x.memory.cpuUsPerDelivery['load generator'] ?? NaN),
        redis_gateway_a: cpu((x) => x.redis.cpuUsPerDelivery['gateway A'] ?? NaN),
        redis_gateway_b: cpu((x) => x.redis.cpuUsPerDelivery['gateway B'] ?? NaN),
        redis_server: cpu((x) => x.redis.cpuUsPerDelivery['redis-server'] ?? NaN),
        redis_load_generator: cpu((x) => x.redis.cpuUsPerDelivery['load generator'] ?? NaN),
        cluster_gateway_c: cpu((x) => x.cluster.cpuUsPerDelivery['gateway C'] ?? NaN),
        cluster_gateway_d: cpu((x) => x.cluster.cpuUsPerDelivery['gateway D'] ?? NaN),
        cluster_nodes: cpu((x) => cluster.nodes.reduce((sum, _, i) => sum + (x.cluster.cpuUsPerDelivery[`cluster node ${i + 1}`] ?? NaN), 0)),
      },
    },
    latency_ms: {
      memory: { p50: med((x) => x.memoryLatency.p50), p99: med((x) => x.memoryLatency.p99) },
      redis_cross_instance: { p50: med((x) => x.crossLatency.p50), p99: med((x) => x.crossLatency.p99) },
      redis_same_instance: { p50: med((x) => x.sameLatency.p50), p99: med((x) => x.sameLatency.p99) },
      cluster_cross_instance: { p50: med((x) => x.clusterCrossLatency.p50), p99: med((x) => x.clusterCrossLatency.p99) },
      cluster_same_instance: { p50: med((x) => x.clusterSameLatency.p50), p99: med((x) => x.clusterSameLatency.p99) },
      added_by_redis_p50: med((x) => x.crossLatency.p50 - x.memoryLatency.p50),
      cross_over_memory_p50: med((x) => x.crossLatency.p50 / x.memoryLatency.p50),
      cross_over_memory_p99: med((x) => x.crossLatency.p99 / x.memoryLatency.p99),
    },
    check: { samplers: samplers.length, incomplete, out_of_order: outOfOrder, gateway_exit_codes: exits },
  };
  if (values.json) console.log(JSON.stringify(result));
  else {
    const f = result.fan_out;
    const c = f.cpu_us_per_delivery;
    const l = result.latency_ms;
    console.log(`scale-out bench, medians of ${ROUNDS} rounds; ${result.setup.subscribers_per_setup} subscribers per setup on threats`);
    console.log(`fan-out  memory, 1 process     ${f.memory_deliveries_per_s} deliveries/s (${f.memory_events_per_s} events/s)`);
    console.log(`fan-out  redis, 2 processes    ${f.redis_deliveries_per_s} deliveries/s (${f.redis_events_per_s} events/s) = ${f.redis_over_memory}× memory`);
    console.log(`CPU µs per delivery: memory gateway ${c.memory_gateway} (load generator ${c.memory_load_generator}); redis gateways A ${c.redis_gateway_a} + B ${c.redis_gateway_b}, redis-server ${c.redis_server} (load generator ${c.redis_load_generator})`);
    console.log(`latency  memory                p50 ${l.memory.p50} ms  p99 ${l.memory.p99} ms`);
    console.log(`latency  redis cross-instance  p50 ${l.redis_cross_instance.p50} ms  p99 ${l.redis_cross_instance.p99} ms  (${l.cross_over_memory_p50}× / ${l.cross_over_memory_p99}× memory; p50 +${l.added_by_redis_p50} ms)`);
    console.log(`latency  redis same instance   p50 ${l.redis_same_instance.p50} ms  p99 ${l.redis_same_instance.p99} ms`);
    console.log(`fan-out  cluster, 2 processes  ${f.cluster_deliveries_per_s} deliveries/s = ${f.cluster_over_memory}× memory, ${f.cluster_over_redis}× redis; CPU µs per delivery: gateways C ${c.cluster_gateway_c} + D ${c.cluster_gateway_d}, 3 cluster nodes ${c.cluster_nodes}`);
    console.log(`latency  cluster cross-instance p50 ${l.cluster_cross_instance.p50} ms  p99 ${l.cluster_cross_instance.p99} ms; same instance p50 ${l.cluster_same_instance.p50} ms  p99 ${l.cluster_same_instance.p99} ms`);
    console.log(`check: ${samplers.length} samplers, ${incomplete} incomplete, ${outOfOrder} out of order; gateway exits ${exits.join(',')}`);
  }
  if (incomplete > 0 || outOfOrder > 0 || exits.some((code) => code !== 0)) process.exit(1);
}

if (values.role === 'loadgen') loadgen();
else {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
