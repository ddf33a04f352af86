import type { FilterMode } from './load/threat-events.js';
import type { CapacitySpec } from './scenarios/capacity.js';
import type { FanoutSpec } from './scenarios/fanout.js';
import type { HeapSpec } from './scenarios/heap.js';
import type { IngestSpec } from './scenarios/ingest.js';
import type { StormSpec } from './scenarios/reconnect-storm.js';
import type { ServerKind } from './servers/server-kinds.js';

/** One step of a profile: a scenario and the servers it runs on, in order. */
export type Step =
  | { kind: 'fanout'; spec: FanoutSpec; servers: ServerKind[] }
  | { kind: 'capacity'; spec: CapacitySpec; servers: ServerKind[] }
  | { kind: 'ingest'; spec: IngestSpec; servers: ServerKind[] }
  | { kind: 'storm'; spec: StormSpec; servers: ServerKind[] }
  | { kind: 'heap'; spec: HeapSpec; servers: ServerKind[] };

const ALL: ServerKind[] = ['gateway', 'gateway-redis', 'ws', 'socketio'];
/** The scale-out comparison: ALL plus the gateway on a 3-master Redis Cluster (sharded pub/sub). */
const SCALE_OUT: ServerKind[] = ['gateway', 'gateway-redis', 'gateway-cluster', 'ws', 'socketio'];
const ONE_PROCESS: ServerKind[] = ['gateway', 'ws', 'socketio'];
/** Fan-out also runs with SSE subscribers (`GET /v1/stream`) when `--servers` names gateway-sse. */
const withSse = (servers: ServerKind[]): ServerKind[] => servers.flatMap((k): ServerKind[] => (k === 'gateway' ? ['gateway', 'gateway-sse'] : [k]));
// Each has ~28k ephemeral ports; 8 leave room for 20k connections plus TIME_WAIT from earlier runs.
const SOURCE_ADDRESSES = 8;

const FILTER_TITLES = {
  none: 'fan-out',
  types: 'filtered fan-out (10 distinct filters, 10 % each)',
  distinct: 'filtered fan-out (1,000 distinct filters, 10 % each)',
  identical: 'filtered fan-out (100 % identical filters)',
} as const satisfies Record<FilterMode, string>;
const FILTER_IDS = { none: 'fanout', types: 'filtered', distinct: 'filtered-distinct', identical: 'filtered-identical' } as const satisfies Record<FilterMode, string>;

function fanout(subscribers: number, rate: number, seconds: number, o: { filter?: FilterMode; servers?: ServerKind[]; drainDeadlineMs?: number } = {}): Step {
  const k = subscribers >= 1000 ? `${subscribers / 1000}k` : String(subscribers);
  const filter = o.filter ?? 'none';
  return {
    kind: 'fanout',
    servers: withSse(o.servers ?? ALL),
    spec: {
      scenario: `${FILTER_IDS[filter]}-${k}-${rate}`,
      title: `${FILTER_TITLES[filter]} ${k} subs × ${rate} ev/s`,
      subscribers,
      rate,
      events: Math.round(rate * seconds),
      filter,
      samplers: 10,
      warmupEvents: Math.min(200, rate),
      drainDeadlineMs: o.drainDeadlineMs ?? 60_000,
      sourceAddresses: SOURCE_ADDRESSES,
    },
  };
}

function capacity(connections: number, settleMs: number, repeats = 1, servers: ServerKind[] = ONE_PROCESS): Step {
  const k = connections >= 1000 ? `${connections / 1000}k` : String(connections);
  return { kind: 'capacity', servers, spec: { scenario: `capacity-${k}`, title: `idle subscribed connections (${k} attempted)`, connections, release: 100, sourceAddresses: SOURCE_ADDRESSES, settleMs, repeats } };
}

function heap(connections: number, servers: ServerKind[] = ONE_PROCESS): Step {
  const k = connections >= 1000 ? `${connections / 1000}k` : String(connections);
  return { kind: 'heap', servers, spec: { scenario: `heap-${k}`, title: `heap per idle subscribed connection (${k}, snapshot diff)`, warmup: 200, connections, settleMs: 12_000, sourceAddresses: SOURCE_ADDRESSES } };
}

function ingestStep(seconds: number, servers: ServerKind[]): Step {
  return { kind: 'ingest', servers, spec: { scenario: 'ingest-batch-1000', title: 'publish ingest, batches of 1000', durationMs: seconds * 1000, warmupMs: 1000, batchSize: 1000, concurrency: 4 } };
}

function storm(clients: number, servers: ServerKind[]): Step {
  const k = clients >= 1000 ? `${clients / 1000}k` : String(clients);
  return { kind: 'storm', servers, spec: { scenario: `storm-${k}`, title: `reconnect storm, ${k} clients resuming at once`, clients, before: 20, missed: 50, after: 20, rate: 100, sourceAddresses: SOURCE_ADDRESSES } };
}

/** `npm run bench`: under 3 minutes. The headline comparisons at 1k subscribers and small versions of the rest. */
export const QUICK: Step[] = [
  fanout(1000, 100, 3),
  fanout(1000, 1000, 1, { servers: ONE_PROCESS }),
  capacity(5000, 2000),
  ingestStep(2, ONE_PROCESS),
  storm(1000, ONE_PROCESS),
];

/** `npm run bench -- --full`: every scenario of the issue at full size. */
export const FULL: Step[] = [
  fanout(1000, 100, 5, { servers: SCALE_OUT }),
  fanout(1000, 1000, 3, { servers: SCALE_OUT }),
  fanout(10_000, 100, 3, { drainDeadlineMs: 150_000 }),
  fanout(10_000, 1000, 1, { drainDeadlineMs: 150_000 }),
  fanout(10_000, 1000, 2, { filter: 'types', drainDeadlineMs: 150_000 }),
  fanout(10_000, 1000, 2, { filter: 'distinct', drainDeadlineMs: 150_000 }),
  // 100 % of 10k × 1,000/s would keep the baselines busy for ~10 minutes each (20M deliveries at ~10 µs
  // on one core); at 100/s it compares with fanout-10k-100.
  fanout(10_000, 100, 3, { filter: 'identical', drainDeadlineMs: 150_000 }),
  // The servers' fd limit is 20,000: attempting that many finds what one process can hold.
  // Three runs per server, the median reported: after the same burst, V8 sometimes leaves the young
  // generation grown and old-space pages part empty (~1.3 KB per connection more, 2 runs in 9).
  capacity(20_000, 20_000, 3),
  heap(2000, ['gateway', 'ws']),
  ingestStep(5, SCALE_OUT),
  storm(5000, SCALE_OUT),
];
