import { createClient, type NsClient, type StateChange } from '@ns/ws-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type GatewayUnderTest, launchGateway, stopAllGateways } from '@ns/testkit';
import { WebSocket } from 'ws';
import { publish, threatData } from './hardening/support/http.js';
import { PUBLISH_KEY, SECRET, sign } from './hardening/support/tokens.js';
import { startNoUpgradeProxy, type NoUpgradeProxy } from './support/no-upgrade-proxy.js';

// @ns/ws-client over Server-Sent Events against the real gateway: `transport: 'sse'` directly, and
// `auto` behind a proxy that refuses WebSocket upgrades — the client says it fell back, and the
// application sees the same subscribe API, events and resume.

let gw: GatewayUnderTest;
let proxy: NoUpgradeProxy;
const clients: NsClient[] = [];
const asPublisher = { authorization: `Bearer ${PUBLISH_KEY}` };

beforeAll(async () => {
  gw = await launchGateway({ env: { NS_JWT_SECRET: SECRET, NS_PUBLISH_KEYS: PUBLISH_KEY, NS_IP_CONNECT_RATE: '1000' } });
  proxy = await startNoUpgradeProxy(gw.port);
});
afterAll(async () => {
  for (const c of clients) c.close();
  await proxy.close();
  await stopAllGateways();
});

describe('@ns/ws-client over Server-Sent Events', () => {
  it("falls back from WebSocket to SSE behind a proxy that refuses upgrades ('auto'), says so, and delivers live events and resumes", async () => {
    const token = await sign({ sub: 'u-auto', roles: ['analyst'] });
    const states: StateChange[] = [];
    const client = createClient({ url: `${proxy.url.replace('http', 'ws')}/ws`, WebSocket, transport: 'auto', token, backoff: { minMs: 50, maxMs: 200 } });
    clients.push(client);
    client.on('state', (s) => states.push(s));
    const got: number[] = [];
    client.subscribe('threats', (e) => got.push(e.seq));
    await eventually('open over SSE', () => client.state === 'open', 30_000);
    expect(client.transport).toBe('sse');
    expect(states.at(-1)).toMatchObject({ state: 'open', transport: 'sse' });
    expect(proxy.refusedUpgrades()).toBeGreaterThanOrEqual(2);

    await eventually('subscribed', () => got.length === 0 && client.cursor('threats') !== undefined, 10_000).catch(() => undefined);
    const res = await publish(gw.url, { events: [0, 1, 2].map((i) => ({ type: 'threat.new', data: threatData(i) })) }, asPublisher);
    expect(res.status).toBe(202);
    const seqs = res.body.results.map((r: { seq: number }) => r.seq);
    await eventually('three live threats', () => got.length === 3, 20_000);
    expect(got).toEqual(seqs);

    // A second channel re-opens the stream; threats resume from the cursor, without duplicates.
    const alerts: string[] = [];
    let alertsSubscribed = false;
    client.on('subscribed', (m) => (alertsSubscribed ||= m.channel === 'alerts'));
    client.subscribe('alerts', (e) => alerts.push(e.data.id));
    await eventually('alerts subscribed', () => alertsSubscribed, 20_000);
    await publish(gw.url, { events: [{ type: 'alert.new', data: { id: 'al-1', severity: 'high', message: 'x', timestamp: 1764115200 } }, { type: 'threat.new', data: threatData(3) }] }, asPublisher);
    await eventually('the alert and the fourth threat', () => alerts.length === 1 && got.length === 4, 20_000);
    expect(got).toEqual([...seqs, seqs[2] + 1]);
    expect(client.stats().duplicates).toBe(0);
  });

  it('an SSE client an administrator disconnects sees close code 4003 and the reason /ws would close with, and does not reconnect', async () => {
    const client = createClient({ url: gw.wsUrl, transport: 'sse', token: await sign({ sub: 'u-kicked', roles: ['viewer'] }), backoff: { minMs: 50, maxMs: 200 } });
    clients.push(client);
    const states: StateChange[] = [];
    client.on('state', (s) => states.push(s));
    client.on('error', () => undefined);
    await eventually('open', () => client.state === 'open', 20_000);
    const admin = await sign({ sub: 'u-root', roles: ['admin'] });
    const res = await fetch(`${gw.url}/v1/disconnects`, { method: 'POST', headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' }, body: JSON.stringify({ user: 'u-kicked', reason: 'shift over' }) });
    expect(res.status).toBe(200);
    await eventually('closed by the administrator', () => states.some((s) => s.closeCode === 4003), 20_000);
    expect(states.find((s) => s.closeCode === 4003)).toMatchObject({ closeCode: 4003, reason: 'disconnected by an administrator: shift over' });
    await new Promise((r) => setTimeout(r, 500));
    expect(client.state).toBe('closed');
  });

  it("uses SSE from the start with transport: 'sse', and stops on a refused token", async () => {
    const ok = createClient({ url: gw.wsUrl, transport: 'sse', token: await sign({ sub: 'u-sse', roles: ['viewer'] }) });
    clients.push(ok);
    await eventually('open', () => ok.state === 'open', 20_000);
    expect(ok.transport).toBe('sse');
    const errors: string[] = [];
    const refused = createClient({ url: gw.wsUrl, transport: 'sse', token: 'not-a-jwt' });
    clients.push(refused);
    refused.on('error', (e) => errors.push(e.code));
    await eventually('closed for the token', () => refused.state === 'closed' || errors.length > 0, 20_000);
    expect(refused.state === 'closed' || errors.length > 0).toBe(true);
  });
});
