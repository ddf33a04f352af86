/**
 * Publish throughput of the event bus (issue 3): single `publish` vs `publishBatch` of 1000, with 100
 * filtered subscribers on the threats channel, reported as events/s and µs/event (median of runs).
 *
 *   npx tsx packages/event-bus/bench/publish.bench.ts      (or `npm run bench -w @ns/event-bus`)
 *
 * Every event goes the whole way: contract validation, id generation, engine sequencing and ring
 * history, then dispatch to the 100 subscriptions (each filter evaluated; one handler reads the
 * serialized JSON, as the WebSocket layer would, so serialization is paid once per event).
 * Env: BENCH_EVENTS (per run, default 20000), BENCH_RUNS (default 7).
 */
import type { PublishEvent, ThreatLevel } from '@ns/contracts';
import { EventBus } from '../src/index.js';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const BATCH = 1000;
const SUBSCRIBERS = 100;

const LEVELS: ThreatLevel[] = ['low', 'medium', 'high', 'critical'];

/** 1000 distinct, realistic threat events (~270 bytes serialized), IPv4 and IPv6 sources. */
const inputs: PublishEvent[] = Array.from({ length: BATCH }, (_, i) => ({
  type: 'threat.new',
  data: {
    source_ip: i % 5 === 0 ? `2001:db8:${(i % 7).toString(16)}::${(i % 250).toString(16)}` : `${10 + (i % 3) * 81}.${i % 256}.${(i * 7) % 256}.${(i * 13) % 256}`,
    threat_score: (i * 37) % 100 / 10,
    threat_level: LEVELS[i % 4] as ThreatLevel,
    timestamp: 1764115200 + i / 1000,
    event_type: i % 2 === 0 ? 'ssh_login' : 'http_scan',
    dst_port: i % 2 === 0 ? 22 : 80,
  },
}));

/** 100 subscriptions with a spread of typed filters (scores, levels, CIDRs v4/v6, event types). */
function attachSubscribers(bus: EventBus): { delivered: () => number } {
  let delivered = 0;
  let jsonBytes = 0;
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const filter =
      i % 4 === 0
        ? { min_score: (i % 10) as number }
        : i % 4 === 1
          ? { levels: [LEVELS[i % 4] as ThreatLevel, 'critical' as const] }
          : i % 4 === 2
            ? { source_cidrs: ['10.0.0.0/8', '2001:db8::/32', `172.${16 + (i % 16)}.0.0/12`] }
            : { event_types: ['ssh_login'], min_score: 2 };
    if (i === 0) {
      bus.subscribe('threats', (e) => {
        delivered++;
        jsonBytes += e.json.length;
      });
    } else {
      bus.subscribe('threats', () => void delivered++, { filter });
    }
  }
  return { delivered: () => (jsonBytes > 0 ? delivered : 0) };
}

async function runSingle(bus: EventBus): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < EVENTS; i++) await bus.publish(inputs[i % BATCH] as PublishEvent);
  return performance.now() - start;
}

async function runBatch(bus: EventBus): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < EVENTS / BATCH; i++) await bus.publishBatch(inputs);
  return performance.now() - start;
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
};

interface Scenario {
  name: string;
  subscribers: boolean;
  run: (bus: EventBus) => Promise<number>;
  wallMs: number[];
  cpuMs: number[];
  deliveredPerEvent: number;
}

const scenarios: Scenario[] = [
  { name: `publish() x ${EVENTS}, ${SUBSCRIBERS} filtered subscribers`, subscribers: true, run: runSingle },
  { name: `publishBatch(${BATCH}) x ${EVENTS / BATCH}, ${SUBSCRIBERS} filtered subscribers`, subscribers: true, run: runBatch },
  { name: `publish() x ${EVENTS}, no subscribers`, subscribers: false, run: runSingle },
  { name: `publishBatch(${BATCH}) x ${EVENTS / BATCH}, no subscribers`, subscribers: false, run: runBatch },
].map((s) => ({ ...s, wallMs: [], cpuMs: [], deliveredPerEvent: 0 }));

// Scenarios are interleaved run by run, so load from other processes on this shared machine hits
// them alike; CPU time (process.cpuUsage) is reported beside wall time because it is less disturbed.
for (let r = 0; r <= RUNS; r++) {
  for (const s of scenarios) {
    const bus = new EventBus();
    const counter = s.subscribers ? attachSubscribers(bus) : undefined;
    const cpu = process.cpuUsage();
    const wall = await s.run(bus);
    const used = process.cpuUsage(cpu);
    if (r > 0) {
      // run 0 warms the JIT up
      s.wallMs.push(wall);
      s.cpuMs.push((used.user + used.system) / 1000);
    }
    s.deliveredPerEvent = (counter?.delivered() ?? 0) / EVENTS;
    await bus.close();
  }
}

const rows = scenarios.map((s) => {
  const wall = median(s.wallMs);
  return {
    scenario: s.name,
    'events/s': Math.round(EVENTS / (wall / 1000)),
    'µs/event': Number(((wall * 1000) / EVENTS).toFixed(2)),
    'best µs/event': Number(((Math.min(...s.wallMs) * 1000) / EVENTS).toFixed(2)),
    'CPU µs/event': Number(((median(s.cpuMs) * 1000) / EVENTS).toFixed(2)),
    'deliveries/event': Number(s.deliveredPerEvent.toFixed(1)),
  };
});

console.log(`node ${process.version}, ${EVENTS} events per run, median of ${RUNS} interleaved runs (after 1 warm-up)`);
console.table(rows);
