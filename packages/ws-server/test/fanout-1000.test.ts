import { CLOSE_CODES, type PublishEvent, type PublishResult } from '@ns/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, startEndpoint, type EndpointServer } from './harness.js';

// 1,000 real `ws` clients against one endpoint, each with its own mix of channels and typed filters.
// Bounded: ~150 events, ~60k deliveries, all on loopback.
const CLIENTS = 1000;
const TIMEOUT_MS = 120_000;

type Filter = Record<string, unknown> | undefined;
interface Plan {
  subscriptions: { channel: 'threats' | 'alerts' | 'status'; filter: Filter }[];
}

const LEVELS = ['low', 'medium', 'high', 'critical'] as const;
const COMPONENTS = ['processor', 'db', 'kafka', 'api'];

/** Client i's subscriptions: every combination of filters appears, deterministically. */
function planFor(i: number): Plan {
  const threatFilters: Filter[] = [
    undefined,
    { min_score: i % 10 },
    { levels: [LEVELS[i % 4], LEVELS[(i + 1) % 4]] },
    { source_cidrs: ['10.0.0.0/8'] },
    { event_types: ['ssh_bruteforce'], min_score: 3 },
  ];
  const alertFilters: Filter[] = [undefined, { severities: [LEVELS[i % 4]] }, { tags: ['ssh'] }];
  const statusFilters: Filter[] = [undefined, { components: [COMPONENTS[i % 4]!] }];
  const subscriptions: Plan['subscriptions'] = [{ channel: 'threats', filter: threatFilters[i % threatFilters.length] }];
  if (i % 2 === 0) subscriptions.push({ channel: 'alerts', filter: alertFilters[i % alertFilters.length] });
  if (i % 3 === 0) subscriptions.push({ channel: 'status', filter: statusFilters[i % statusFilters.length] });
  return { subscriptions };
}

/** The test's own reading of the filters (docs/protocol.md#filters), independent of the server's compiler. */
function selects(channel: string, filter: Filter, data: Record<string, unknown>): boolean {
  if (filter === undefined) return true;
  const f = filter as Record<string, unknown[] & number>;
  if (channel === 'threats') {
    if (f.min_score !== undefined && (data.threat_score as number) < f.min_score) return false;
    if (f.levels !== undefined && !f.levels.includes(data.threat_level)) return false;
    if (f.source_cidrs !== undefined && !(data.source_ip as string).startsWith('10.')) return false;
    if (f.event_types !== undefined && !f.event_types.includes(data.event_type)) return false;
    return true;
  }
  if (channel === 'alerts') {
    if (f.severities !== undefined && !f.severities.includes(data.severity)) return false;
    const tags = f.tags;
    if (tags !== undefined && !((data.tags as string[] | undefined) ?? []).some((t) => tags.includes(t))) return false;
    return true;
  }
  return f.components === undefined || f.components.includes(data.component);
}

function events(): PublishEvent[] {
  const out: PublishEvent[] = [];
  for (let k = 0; k < 80; k++) {
    out.push({
      type: 'threat.new',
      data: {
        source_ip: k % 3 === 0 ? `10.1.2.${k}` : `192.168.7.${k}`,
        threat_score: (k * 7) % 10,
        threat_level: LEVELS[k % 4]!,
        timestamp: 1764115200 + k,
        event_type: k % 5 === 0 ? 'ssh_bruteforce' : 'port_scan',
      },
    });
    if (k % 2 === 0) {
      out.push({
        type: 'alert.new',
        data: { id: `a${k}`, severity: LEVELS[(k >> 1) % 4]!, message: `alert ${k}`, timestamp: 1764115200 + k, tags: k % 4 === 0 ? ['ssh', 'auth'] : ['scan'] },
      });
    }
    if (k % 3 === 0) out.push({ type: 'status.update', data: { component: COMPONENTS[k % 4]!, status: k % 2 === 0 ? 'healthy' : 'degraded' } });
  }
  return out;
}

let server: EndpointServer;
const clients: TestClient[] = [];

beforeAll(async () => {
  server = await startEndpoint({ ipConnectRate: 100_000, ipMaxConnections: CLIENTS + 10, maxConnections: CLIENTS + 10, clientMessageRate: 1000 });
  for (let batch = 0; batch < CLIENTS; batch += 100) {
    const opened = await Promise.all(Array.from({ length: 100 }, () => TestClient.connect(server.url)));
    clients.push(...opened);
  }
}, TIMEOUT_MS);

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await server.close();
}, TIMEOUT_MS);

describe('fan-out to 1,000 clients with mixed filters', () => {
  it(
    'delivers to every client exactly the events its filters select, in seq order, without loss',
    async () => {
      await Promise.all(
        clients.map(async (c, i) => {
          for (const [k, s] of planFor(i).subscriptions.entries()) {
            const reply = await c.request({ type: 'subscribe', id: `s${k}`, channel: s.channel, ...(s.filter ? { filter: s.filter } : {}) });
            expect(reply.type).toBe('subscribed');
          }
        }),
      );
      expect(server.manager.stats().subscriptions).toMatchObject({ threats: CLIENTS, alerts: CLIENTS / 2, status: Math.ceil(CLIENTS / 3) });

      const published = events();
      const results: PublishResult[] = [];
      for (let k = 0; k < published.length; k += 25) results.push(...(await server.bus.publishBatch(published.slice(k, k + 25))));
      // A pong is queued behind every event already fanned out to that connection: a barrier, not a sleep.
      await Promise.all(clients.map((c) => c.request({ type: 'ping', id: 'barrier' })));

      let deliveries = 0;
      clients.forEach((c, i) => {
        for (const s of planFor(i).subscriptions) {
          const expected = published
            .map((e, k) => ({ e, seq: results[k]!.seq, channel: results[k]!.channel }))
            .filter((x) => x.channel === s.channel && selects(s.channel, s.filter, x.e.data as Record<string, unknown>))
            .map((x) => x.seq);
          const got = c.events(s.channel).map((m) => m.seq);
          expect(got, `client ${i} ${s.channel} ${JSON.stringify(s.filter)}`).toEqual(expected);
          deliveries += got.length;
        }
      });
      expect(deliveries).toBeGreaterThan(30_000);
      const stats = server.manager.stats();
      expect(stats.delivered.threats + stats.delivered.alerts + stats.delivered.status).toBe(deliveries);
      expect(stats.dropped).toMatchObject({ threats: 0, alerts: 0, status: 0 });
      expect(stats.slowConsumerCloses).toBe(0);
    },
    TIMEOUT_MS,
  );
});

describe('a slow consumer among 1,000 clients', () => {
  it(
    'is closed with 4008 while the clients sharing its channel still receive everything and the rest stay connected',
    async () => {
      const slow = await TestClient.connect(server.url);
      const peers = clients.slice(0, 20);
      for (const c of [slow, ...peers]) expect((await c.request({ type: 'subscribe', id: 'corr', channel: 'correlations' })).type).toBe('subscribed');
      const slowConnection = [...server.manager.connections()].at(-1)!;
      const slowClosed = new Promise<void>((resolve) => slowConnection.onClose(() => resolve()));
      slow.ws.pause();
      // ~2 KB events until the slow client's socket backs up past the 1 MiB cap (the loopback kernel
      // buffers absorb a few MB first); bounded by 20,000 events.
      const pattern = 'p'.repeat(200);
      const types = Array.from({ length: 40 }, (_, k) => `event_type_${k}_${'x'.repeat(20)}`);
      let published = 0;
      while (server.manager.stats().slowConsumerCloses === 0 && published < 20_000) {
        const batch = Array.from({ length: 100 }, (_, k): PublishEvent => ({
          type: 'correlation.new',
          data: { source_ip: '10.9.8.7', pattern, correlation_score: 0.5, event_count: published + k, timestamp: 1764115200, event_types: types },
        }));
        await server.bus.publishBatch(batch);
        published += batch.length;
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(server.manager.stats().slowConsumerCloses).toBe(1);
      slow.ws.resume();
      expect((await slow.closed).code).toBe(CLOSE_CODES.SLOW_CONSUMER);
      await slowClosed;
      await Promise.all(clients.map((c) => c.request({ type: 'ping', id: 'after-slow' })));
      for (const c of peers) expect(c.events('correlations').map((m) => m.seq)).toEqual(Array.from({ length: published }, (_, k) => k + 1));
      expect(server.manager.stats().connections).toBe(CLIENTS);
    },
    TIMEOUT_MS,
  );
});
