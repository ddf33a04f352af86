/**
 * The filter index against the naive loop (every subscription's compiled filter tested for every
 * event), in-process: the cost of finding an event's subscribers, without frames or sockets.
 *
 *   npx tsx --conditions=@ns/source packages/event-bus/bench/filter-index.bench.ts
 *
 * Cases (10,000 subscriptions each): 1,000 distinct filters selecting 10 % (event type one of ten,
 * plus a min_score every event passes: the app bench's scenario); 100 % identical filters; 1,000
 * distinct filters of mixed shapes (levels + min_score, CIDRs v4/v6, event types). Reported: median
 * ns per event and per delivery over BENCH_RUNS runs (default 7) of BENCH_EVENTS events (default 2000).
 */
import type { EventEnvelope } from '@ns/contracts';
import { compileFilter, type EventPredicate } from '../src/filter-compiler.js';
import { FilterIndex } from '../src/filter-index.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 2000);
const SUBSCRIBERS = 10_000;
const TYPES = ['ssh_bruteforce', 'http_scan', 'ftp_login', 'smb_probe', 'telnet_login', 'mysql_login', 'rdp_probe', 'vnc_login', 'sip_invite', 'port_scan'];
const LEVELS = ['low', 'medium', 'high', 'critical'] as const;

const events: EventEnvelope[] = Array.from({ length: 1000 }, (_, n) => ({
  type: 'threat.new',
  channel: 'threats',
  id: `evt_${n}`,
  seq: n + 1,
  epoch: 'e1',
  ts: 1,
  data: {
    source_ip: n % 5 === 0 ? `2001:db8:${(n % 7).toString(16)}::${(n % 250).toString(16)}` : `198.51.${(n >> 8) & 255}.${n & 255}`,
    threat_score: n % 2 === 0 ? 8.5 : (n * 37) % 100 / 10,
    threat_level: LEVELS[n % 4],
    timestamp: 1764115200,
    event_type: TYPES[n % 10],
  },
})) as unknown as EventEnvelope[];

type Case = { name: string; filterOf: (i: number) => object; events: (n: number) => EventEnvelope };

const CASES: Case[] = [
  {
    name: '1,000 distinct filters, 10 % each',
    filterOf: (i) => ({ event_types: [TYPES[i % 10]], min_score: Math.floor((i % 1000) / 10) * 0.05 }),
    // Score 8.5: every threshold (0 … 4.95) passes, so each filter selects exactly its event type.
    events: (n) => ({ ...(events[n % 1000] as EventEnvelope), data: { ...(events[n % 1000] as EventEnvelope).data, threat_score: 8.5 } }) as EventEnvelope,
  },
  { name: '100 % identical filters', filterOf: () => ({ min_score: 0 }), events: (n) => events[n % 1000] as EventEnvelope },
  {
    name: '1,000 distinct filters, mixed shapes',
    filterOf: (i) => {
      const k = i % 1000;
      if (k % 3 === 0) return { levels: [LEVELS[k % 4], 'critical'], min_score: (k % 100) / 10 };
      if (k % 3 === 1) return { source_cidrs: [`198.51.${k % 256}.0/24`, `2001:db8:${(k % 7).toString(16)}::/48`] };
      return { event_types: [TYPES[k % 10], TYPES[(k + 3) % 10]], levels: [LEVELS[k % 4]] };
    },
    events: (n) => events[n % 1000] as EventEnvelope,
  },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

function timeRun(fn: (e: EventEnvelope) => number, make: (n: number) => EventEnvelope): { ns: number; deliveries: number } {
  const batch = Array.from({ length: EVENTS }, (_, n) => make(n));
  let deliveries = 0;
  const t0 = process.hrtime.bigint();
  for (const e of batch) deliveries += fn(e);
  return { ns: Number(process.hrtime.bigint() - t0), deliveries };
}

for (const c of CASES) {
  const naive: { filter: EventPredicate; hits: number }[] = [];
  const index = new FilterIndex<{ hits: number }>('threats');
  for (let i = 0; i < SUBSCRIBERS; i++) {
    naive.push({ filter: compileFilter('threats', c.filterOf(i)), hits: 0 });
    index.add({ hits: 0 }, c.filterOf(i));
  }
  const loop = (e: EventEnvelope) => {
    let n = 0;
    for (const s of naive) if (s.filter(e)) (s.hits++, n++);
    return n;
  };
  const indexed = (e: EventEnvelope) => {
    let n = 0;
    index.match(e, (s) => (s.hits++, n++));
    return n;
  };
  const results = { loop: [] as number[], index: [] as number[] };
  let deliveries = 0;
  for (let r = 0; r < RUNS + 1; r++) {
    const a = timeRun(loop, c.events);
    const b = timeRun(indexed, c.events);
    if (a.deliveries !== b.deliveries) throw new Error(`${c.name}: the index delivered ${b.deliveries}, the loop ${a.deliveries}`);
    deliveries = a.deliveries;
    // The first run warms the JIT.
    if (r === 0) continue;
    results.loop.push(a.ns / EVENTS);
    results.index.push(b.ns / EVENTS);
  }
  const perEvent = deliveries / EVENTS;
  const l = median(results.loop);
  const x = median(results.index);
  console.log(
    `${c.name}: ${index.groupCount} groups, ${perEvent.toFixed(0)} deliveries/event — loop ${(l / 1000).toFixed(1)} µs/event (${(l / perEvent).toFixed(1)} ns/delivery), ` +
      `index ${(x / 1000).toFixed(1)} µs/event (${(x / perEvent).toFixed(1)} ns/delivery), index ÷ loop ${(x / l).toFixed(3)}`,
  );
}
