import { request } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type GatewayProcess, stopAllGateways, TestClient } from '@ns/testkit';
import { hasRedisServer, startRedisGateway, startRedisServer, uniquePrefix, until, type TestRedisServer } from './support/redis-gateways.js';

// Under NS_WORKERS every figure the HTTP API reports is the cluster's, whichever worker answers: two
// workers, five clients on threats, /v1/channels says 5 every time (before: 2, 3, 2 — each worker
// counted its own), and /metrics agrees (ns_ws_* summed over workers, ns_presence_* not: see below).

let redis: TestRedisServer;
const sockets: TestClient[] = [];

/** GET on a fresh TCP connection, so node:cluster hands successive requests to different workers. */
function getFresh(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Pids of the workers that logged answering `path` (debug-level "request completed" lines). */
function answeringPids(gw: GatewayProcess, path: string): Set<number> {
  const pids = new Set<number>();
  for (const line of gw.stdout().split('\n')) {
    if (!line.includes('"request completed"')) continue;
    const entry = JSON.parse(line) as { pid: number; req?: { url?: string } };
    if (entry.req?.url === path) pids.add(entry.pid);
  }
  return pids;
}

const sample = (metrics: string, series: string): number | undefined => {
  const line = metrics.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe.skipIf(!hasRedisServer)('cluster-wide counts under NS_WORKERS=2', () => {
  beforeEach(async () => {
    redis = await startRedisServer();
  });
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    await stopAllGateways();
    await redis.close();
  });

  it('/v1/channels and /metrics report the 5 subscribers of both workers, from either worker', { timeout: 90_000 }, async () => {
    const gw = await startRedisGateway(redis.url, uniquePrefix(), { NS_WORKERS: '2', NS_LOG_LEVEL: 'debug', NS_LOG_FORMAT: 'json' });
    await until('both workers listening', () => new Set(gw.stdout().split('\n').filter((l) => l.includes('"msg":"ns-gateway listening on')).map((l) => (JSON.parse(l) as { pid: number }).pid)).size === 2);
    for (let i = 0; i < 5; i++) {
      const s = await TestClient.open(gw.wsUrl);
      sockets.push(s);
      expect(await s.subscribe('threats')).toMatchObject({ type: 'subscribed' });
    }
    // One more client on status only: counted as a connection, not as a threats subscriber.
    const other = await TestClient.open(gw.wsUrl);
    sockets.push(other);
    await other.subscribe('status');
    // Counts are cluster-wide presence: another worker's view is refreshed once a second (documented in
    // docs/protocol.md, "Presence and admin"), so wait for both workers' refreshes to show everywhere —
    // each worker's part of threats and the status subscriber (waiting for status alone let a worker
    // answer before the other's threats subscribers had been refreshed: 2, 5, 2, 5, …).
    await until('presence refreshed on both workers', async () => {
      for (let i = 0; i < 4; i++) {
        const body = JSON.parse((await getFresh(`${gw.url}/v1/channels`)).body) as { channels: { name: string; subscribers: number }[] };
        if (body.channels.find((c) => c.name === 'status')?.subscribers !== 1) return false;
        if (body.channels.find((c) => c.name === 'threats')?.subscribers !== 5) return false;
      }
      return true;
    }, 10_000);

    const seen: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await getFresh(`${gw.url}/v1/channels`);
      expect(res.status).toBe(200);
      const channels = (JSON.parse(res.body) as { channels: { name: string; subscribers: number }[] }).channels;
      seen.push(channels.find((c) => c.name === 'threats')?.subscribers ?? -1);
      expect(channels.find((c) => c.name === 'status')?.subscribers).toBe(1);
      expect(channels.find((c) => c.name === 'alerts')?.subscribers).toBe(0);
    }
    expect(seen).toEqual(Array(12).fill(5));
    // Both workers answered some of those requests: the counts did not come from one worker's view.
    await until('both workers logged /v1/channels', () => answeringPids(gw, '/v1/channels').size === 2, 5_000);

    for (let i = 0; i < 4; i++) {
      const metrics = (await getFresh(`${gw.url}/metrics`)).body;
      expect(sample(metrics, 'ns_ws_subscriptions{channel="threats"}')).toBe(5);
      expect(sample(metrics, 'ns_ws_connections')).toBe(6);
      // Presence gauges are cluster-wide already in each worker (its own sinks plus the other
      // instances' entries in Redis), so the workers' values are combined with max: a sum would say 10.
      expect(sample(metrics, 'ns_presence_connections{channel="threats"}')).toBe(5);
      expect(sample(metrics, 'ns_presence_connections{channel="status"}')).toBe(1);
      // Every client is the one principal NS_AUTH=none gives (on both workers): one user, not two.
      expect(sample(metrics, 'ns_presence_users{channel="threats"}')).toBe(1);
    }
  });
});
