import type { SinceCursor } from '@ns/contracts';
import { createClient, type GapEvent, type NsClient } from '@ns/ws-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually, freePort, hasRedisServer, launchGateway, RawWs, startRedisServer, stopAllGateways, type TestRedisServer } from '@ns/testkit';
import { publish, threatData } from './support/http.js';

// The gateway process is SIGKILLed (no drain, no 1001) and started again on the same port. Clients
// reconnect on their own and resume with `since`: with the Redis engine the history survived and they
// continue gap-free and duplicate-free; with the memory engine it did not, and they are told so.

const clientsToClose: NsClient[] = [];
let redis: TestRedisServer | undefined;
afterEach(async () => {
  for (const c of clientsToClose.splice(0)) c.close();
  await stopAllGateways();
});
afterAll(async () => {
  await redis?.close();
});

const publishThreats = async (url: string, from: number, n: number) => {
  const res = await publish(url, { events: Array.from({ length: n }, (_, i) => ({ type: 'threat.new', id: `t-${from + i}`, data: threatData(from + i) })) });
  expect(res.status).toBe(202);
};

function resumingClient(url: string): { client: NsClient; seqs: number[]; epochs: Set<string>; gaps: GapEvent[] } {
  const client = createClient({ url, WebSocket: WebSocket as never, backoff: { minMs: 50, maxMs: 250 } });
  clientsToClose.push(client);
  const seqs: number[] = [];
  const epochs = new Set<string>();
  const gaps: GapEvent[] = [];
  client.subscribe('threats', (e) => {
    seqs.push(e.seq);
    epochs.add(e.epoch);
  });
  client.on('gap', (g) => gaps.push(g));
  return { client, seqs, epochs, gaps };
}

describe.skipIf(!hasRedisServer)('gateway SIGKILL and restart, Redis engine', () => {
  it('clients reconnect by themselves and resume with since: every event once, in order, across the crash', async () => {
    redis = await startRedisServer();
    const port = await freePort();
    const env = { NS_AUTH: 'none', NS_ENGINE: 'redis', NS_REDIS_URL: redis.url, NS_REDIS_PREFIX: `hardening-${process.pid}:`, NS_PORT: String(port) };
    let gw = await launchGateway({ env });
    const library = resumingClient(gw.wsUrl);
    const raw = await RawWs.connect(gw.port, { path: '/ws?subscribe=threats' });
    await eventually('library client open', () => library.client.state === 'open');
    await raw.next((m) => m.type === 'subscribed');

    await publishThreats(gw.url, 0, 30);
    await eventually('30 events before the crash', () => library.seqs.length === 30 && raw.events('threats').length === 30);
    const cursor: SinceCursor = { epoch: raw.events('threats').at(-1)?.epoch as string, seq: 30 };

    await gw.kill(); // SIGKILL: no notice, no close frame
    expect(await raw.closed).toBeUndefined();
    await eventually('library client notices', () => library.client.state === 'reconnecting');

    gw = await launchGateway({ env });
    // Events published after the restart, some before the client is back.
    await publishThreats(gw.url, 30, 20);
    await eventually('library client back', () => library.client.state === 'open');
    await publishThreats(gw.url, 50, 20);
    await eventually('all 70 events', () => library.seqs.length >= 70);

    expect(library.seqs).toEqual(Array.from({ length: 70 }, (_, i) => i + 1));
    expect(library.epochs.size).toBe(1);
    expect(library.gaps).toEqual([]);
    expect(library.client.stats()).toMatchObject({ duplicates: 0 });
    expect(library.client.stats().reconnects).toBeGreaterThanOrEqual(1);

    // A raw client resumes from its own cursor: the 40 it missed are replayed, then live.
    const back = await RawWs.connect(gw.port);
    expect(await back.request({ type: 'subscribe', channel: 'threats', since: cursor })).toMatchObject({ type: 'subscribed', recovered: true, replayed: 40, seq: 70 });
    await publishThreats(gw.url, 70, 1);
    await eventually('replay plus one live event', () => back.events('threats').length === 41);
    expect(back.events('threats').map((e) => e.seq)).toEqual(Array.from({ length: 41 }, (_, i) => i + 31));
    back.destroy();
  });
});

describe('gateway SIGKILL and restart, memory engine', () => {
  it('tells resuming clients their history is gone (gap, recovered false) and keeps delivering', async () => {
    const port = await freePort();
    const env = { NS_AUTH: 'none', NS_PORT: String(port) };
    let gw = await launchGateway({ env });
    const library = resumingClient(gw.wsUrl);
    await eventually('library client open', () => library.client.state === 'open');
    await publishThreats(gw.url, 0, 10);
    await eventually('10 events before the crash', () => library.seqs.length === 10);

    await gw.kill();
    gw = await launchGateway({ env });
    await eventually('library client back', () => library.client.state === 'open' && library.client.stats().reconnects >= 1);
    await publishThreats(gw.url, 10, 5);
    await eventually('5 events after the restart', () => library.seqs.length === 15);

    // The new process starts a new epoch at seq 1; the client was told, not left with a silent gap.
    expect(library.gaps).toEqual([expect.objectContaining({ channel: 'threats', reason: 'not_recovered' })]);
    expect(library.epochs.size).toBe(2);
    expect(library.seqs).toEqual([...Array.from({ length: 10 }, (_, i) => i + 1), 1, 2, 3, 4, 5]);
  });
});
