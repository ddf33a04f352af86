/**
 * RedisEngine versus MemoryEngine, in one run, on a private redis-server (no persistence):
 *
 * 1. publish → deliver latency (p50/p99) of one event at a time through an EventBus, same process;
 * 2. throughput: events/s published and delivered locally, batches of 100 with 4 batches in flight;
 * 3. cross-instance fan-out: 2 processes, each with its own RedisEngine + EventBus, each publishing
 *    its share while receiving everything: deliveries/s per process and publish → deliver latency
 *    across processes (process.hrtime is CLOCK_MONOTONIC, comparable between processes on one host).
 *
 * Rounds alternate memory/redis and the figures reported are medians over rounds.
 *
 *   npx tsx --conditions=@ns/source packages/event-bus-redis/bench/redis-vs-memory.bench.ts [--quick]
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PublishEvent } from '@ns/contracts';
import { EventBus, MemoryEngine, type Engine } from '@ns/event-bus';
import { RedisEngine } from '../src/index.js';
import { startRedisServer } from '@ns/testkit';

const quick = process.argv.includes('--quick');
const ROUNDS = quick ? 1 : 3;
const LATENCY_EVENTS = quick ? 500 : 2000;
const THROUGHPUT_EVENTS = quick ? 5000 : 20_000;
const FANOUT_EVENTS_PER_PROCESS = quick ? 5000 : 20_000;
const BATCH = 100;
const IN_FLIGHT = 4;

const nowNs = (): number => Number(process.hrtime.bigint());

function threat(i: number, sentNs = 0): PublishEvent {
  return {
    type: 'threat.new',
    data: { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1764115200.101 + i, sent_ns: sentNs, n: i },
  } as PublishEvent;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 === 1 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
}

/** One event at a time: publish, wait for the local handler, next. */
async function latency(bus: EventBus): Promise<{ p50: number; p99: number }> {
  const samples: number[] = [];
  let resolveNext: (() => void) | undefined;
  let sent = 0;
  const off = bus.subscribe('threat.*', () => {
    samples.push((nowNs() - sent) / 1000);
    resolveNext?.();
  });
  for (let i = 0; i < LATENCY_EVENTS; i++) {
    const delivered = new Promise<void>((resolve) => (resolveNext = resolve));
    sent = nowNs();
    await bus.publish(threat(i));
    await delivered;
  }
  off();
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99) };
}

/** Batches of BATCH with IN_FLIGHT batches outstanding; events/s until the last is delivered. */
async function throughput(bus: EventBus, total: number): Promise<number> {
  let received = 0;
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  const off = bus.subscribe('threat.*', () => {
    if (++received === total) done();
  });
  const start = nowNs();
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const from = next;
      next += BATCH;
      await bus.publishBatch(Array.from({ length: Math.min(BATCH, total - from) }, (_, i) => threat(from + i)));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  await all;
  off();
  return total / ((nowNs() - start) / 1e9);
}

// ---------------------------------------------------------------------------------------------------
// Cross-instance worker: one process of the fan-out measurement.

interface WorkerResult {
  received: number;
  ordered: boolean;
  ratePerS: number;
  /** Unloaded: the other process publishes one event every PACE_MS. */
  pacedP50Us: number;
  pacedP99Us: number;
  /** Under the flood, queueing included. */
  floodP50Us: number;
  floodP99Us: number;
  gapReads: number;
  gapEventsRecovered: number;
}

const PACED_EVENTS = quick ? 200 : 500;
const PACE_MS = 2;

async function runWorker(url: string, prefix: string, index: number): Promise<void> {
  const engine = await RedisEngine.connect({ url, prefix });
  const bus = new EventBus({ engine });
  const flood = 2 * FANOUT_EVENTS_PER_PROCESS;
  const expected = 2 * PACED_EVENTS + flood;
  let received = 0;
  let lastSeq = 0;
  let ordered = true;
  let floodStart = 0;
  const paced: number[] = [];
  const flooded: number[] = [];
  let done!: () => void;
  const all = new Promise<void>((resolve) => (done = resolve));
  bus.subscribe('threat.*', (e) => {
    const t = nowNs();
    if (e.seq !== lastSeq + 1) ordered = false;
    lastSeq = e.seq;
    const data = e.envelope.data as Record<string, number>;
    const phase = data['phase'];
    if (phase === 1 && floodStart === 0) floodStart = t;
    if (data['worker'] !== index) (phase === 0 ? paced : flooded).push((t - (data['sent_ns'] as number)) / 1000);
    if (++received === expected) done();
  });
  const tagged = (i: number, phase: number, sent: number) => {
    const ev = threat(i, sent);
    Object.assign(ev.data as Record<string, unknown>, { worker: index, phase });
    return ev;
  };
  process.send?.({ ready: true });
  await new Promise<void>((resolve) => process.once('message', () => resolve()));

  // Phase 0: paced, one event every PACE_MS from each process, so nothing queues.
  for (let i = 0; i < PACED_EVENTS; i++) {
    await bus.publish(tagged(i, 0, nowNs()));
    await new Promise((resolve) => setTimeout(resolve, PACE_MS));
  }
  // Phase 1: flood, batches of BATCH with IN_FLIGHT in flight from each process.
  let next = 0;
  const publisher = async () => {
    while (next < FANOUT_EVENTS_PER_PROCESS) {
      const from = next;
      next += BATCH;
      const sent = nowNs();
      await bus.publishBatch(Array.from({ length: Math.min(BATCH, FANOUT_EVENTS_PER_PROCESS - from) }, (_, i) => tagged(from + i, 1, sent)));
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, publisher));
  const stuck = setInterval(() => {
    console.error(`worker ${index}: ${received}/${expected} received, last seq ${lastSeq}, state ${engine.state}, ${JSON.stringify(engine.stats())}`);
  }, 5000);
  stuck.unref();
  await all;
  clearInterval(stuck);
  const elapsed = (nowNs() - floodStart) / 1e9;
  paced.sort((a, b) => a - b);
  flooded.sort((a, b) => a - b);
  const stats = engine.stats();
  const result: WorkerResult = {
    received,
    ordered: ordered && received === expected,
    ratePerS: flood / elapsed,
    pacedP50Us: percentile(paced, 50),
    pacedP99Us: percentile(paced, 99),
    floodP50Us: percentile(flooded, 50),
    floodP99Us: percentile(flooded, 99),
    gapReads: stats.gapReads,
    gapEventsRecovered: stats.gapEventsRecovered,
  };
  process.send?.({ result });
  await bus.close();
  await engine.close();
}

async function fanOut(url: string, round: number): Promise<WorkerResult[]> {
  const prefix = `bench-fanout-${round}:`;
  const self = fileURLToPath(import.meta.url);
  const children = [0, 1].map((i) =>
    fork(self, ['--worker', url, prefix, String(i), ...(quick ? ['--quick'] : [])], { execArgv: process.execArgv }),
  );
  const message = (child: (typeof children)[number], key: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const onMessage = (m: Record<string, unknown>) => {
        if (key in m) {
          child.off('message', onMessage);
          resolve(m);
        }
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`fan-out worker exited (${code})`)));
    });
  await Promise.all(children.map((c) => message(c, 'ready')));
  const results = children.map((c) => message(c, 'result'));
  for (const c of children) c.send({ go: true });
  const out = (await Promise.all(results)).map((m) => m['result'] as WorkerResult);
  await Promise.all(children.map((c) => new Promise((resolve) => (c.exitCode !== null ? resolve(null) : c.once('exit', resolve)))));
  return out;
}

// ---------------------------------------------------------------------------------------------------

async function withBus<T>(engine: Engine, run: (bus: EventBus) => Promise<T>): Promise<T> {
  const bus = new EventBus({ engine });
  try {
    return await run(bus);
  } finally {
    await bus.close();
    await engine.close();
  }
}

async function main(): Promise<void> {
  const server = await startRedisServer();
  const f = (n: number, d = 0) => n.toFixed(d);
  try {
    const mem = { p50: [] as number[], p99: [] as number[], tput: [] as number[] };
    const red = { p50: [] as number[], p99: [] as number[], tput: [] as number[] };
    const fan = { rate: [] as number[], pacedP50: [] as number[], pacedP99: [] as number[], floodP50: [] as number[], floodP99: [] as number[], gapReads: 0, recovered: 0, ordered: true };
    for (let round = 0; round < ROUNDS; round++) {
      const m = await withBus(new MemoryEngine(), async (bus) => ({ lat: await latency(bus), tput: await throughput(bus, THROUGHPUT_EVENTS) }));
      const r = await withBus(await RedisEngine.connect({ url: server.url, prefix: `bench-${round}:` }), async (bus) => ({
        lat: await latency(bus),
        tput: await throughput(bus, THROUGHPUT_EVENTS),
      }));
      mem.p50.push(m.lat.p50);
      mem.p99.push(m.lat.p99);
      mem.tput.push(m.tput);
      red.p50.push(r.lat.p50);
      red.p99.push(r.lat.p99);
      red.tput.push(r.tput);
      const workers = await fanOut(server.url, round);
      for (const w of workers) {
        fan.rate.push(w.ratePerS);
        fan.pacedP50.push(w.pacedP50Us);
        fan.pacedP99.push(w.pacedP99Us);
        fan.floodP50.push(w.floodP50Us);
        fan.floodP99.push(w.floodP99Us);
        fan.gapReads += w.gapReads;
        fan.recovered += w.gapEventsRecovered;
        fan.ordered &&= w.ordered;
      }
      console.log(
        `round ${round + 1}: memory p50 ${f(m.lat.p50, 1)} µs p99 ${f(m.lat.p99, 1)} µs ${f(m.tput)} ev/s | ` +
          `redis p50 ${f(r.lat.p50, 1)} µs p99 ${f(r.lat.p99, 1)} µs ${f(r.tput)} ev/s | ` +
          `fan-out ${workers.map((w) => `${f(w.ratePerS)} ev/s`).join(', ')}, cross p50 ${workers.map((w) => f(w.pacedP50Us)).join('/')} µs`,
      );
    }
    const mp50 = median(mem.p50);
    const rp50 = median(red.p50);
    const mp99 = median(mem.p99);
    const rp99 = median(red.p99);
    const mt = median(mem.tput);
    const rt = median(red.tput);
    console.log('');
    console.log(`medians over ${ROUNDS} round(s); Node ${process.version}, ${LATENCY_EVENTS} latency samples, ${THROUGHPUT_EVENTS} events per throughput run`);
    console.log(`publish→deliver, one process:  memory p50 ${f(mp50, 1)} µs, p99 ${f(mp99, 1)} µs | redis p50 ${f(rp50, 1)} µs, p99 ${f(rp99, 1)} µs`);
    console.log(`  latency added by Redis:      p50 +${f(rp50 - mp50, 1)} µs (${f(rp50 / mp50, 1)}x), p99 +${f(rp99 - mp99, 1)} µs`);
    console.log(`throughput (batches of ${BATCH}): memory ${f(mt)} ev/s | redis ${f(rt)} ev/s (${f((rt / mt) * 100, 1)}% of memory)`);
    console.log(
      `cross-instance, 2 processes (each its own RedisEngine + EventBus, each receiving everything):`,
    );
    console.log(
      `  unloaded publish→deliver to the other process (one event per ${PACE_MS} ms each): p50 ${f(median(fan.pacedP50), 1)} µs, p99 ${f(median(fan.pacedP99), 1)} µs`,
    );
    console.log(
      `  fan-out flood, ${FANOUT_EVENTS_PER_PROCESS} published by each in batches of ${BATCH}: ${f(median(fan.rate))} deliveries/s per process ` +
        `(p50 ${f(median(fan.floodP50) / 1000, 2)} ms, p99 ${f(median(fan.floodP99) / 1000, 2)} ms publish→deliver incl. queueing)`,
    );
    console.log(`  every delivery in seq order without gap: ${fan.ordered}; gap reads ${fan.gapReads} recovering ${fan.recovered} events (all rounds, both processes)`);
  } finally {
    await server.close();
  }
}

const workerAt = process.argv.indexOf('--worker');
if (workerAt >= 0) {
  const [url, prefix, index] = process.argv.slice(workerAt + 1);
  await runWorker(url as string, prefix as string, Number(index));
} else {
  await main();
}
