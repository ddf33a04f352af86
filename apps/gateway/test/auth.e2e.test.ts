import { SignJWT } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, startGateway, stopAllGateways, TestClient } from '@ns/testkit';
import { jsonOf } from './support/json.js';

const SECRET = 'test-secret-0123456789abcdef0123456789';
const KEY = 'pk-0123456789abcdef0123';
const threat = { type: 'threat.new', data: { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1234567890.123 } };

const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

let gw: GatewayProcess;
const sockets: TestClient[] = [];

async function publish(headers: Record<string, string>): Promise<Response> {
  return fetch(`${gw.url}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(threat) });
}

beforeAll(async () => {
  gw = await startGateway({ NS_JWT_SECRET: SECRET, NS_PUBLISH_KEYS: `${KEY},another-key-0123456789` });
});
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});
afterAll(async () => {
  await stopAllGateways();
});

describe('auth with NS_JWT_SECRET and NS_PUBLISH_KEYS', () => {
  it('announces how publishing is protected in the start banner, without the secrets', () => {
    expect(gw.stderr()).toMatch(/publishing\s+API key required \(2 configured\) or a JWT with write:events/);
    expect(gw.stderr() + gw.stdout()).not.toContain(SECRET);
    expect(gw.stderr() + gw.stdout()).not.toContain(KEY);
  });

  it('publishes with an API key or a JWT carrying write:events, and refuses anything else', async () => {
    expect((await publish({})).status).toBe(401);
    expect((await publish({ authorization: `Bearer ${KEY.slice(0, -1)}` })).status).toBe(401);
    expect((await publish({ authorization: `Bearer ${KEY}` })).status).toBe(202);
    expect((await publish({ authorization: `Bearer ${await token({ sub: 'svc', permissions: ['write:events'] })}` })).status).toBe(202);
    const reader = await publish({ authorization: `Bearer ${await token({ sub: 'u1', roles: ['analyst'] })}` });
    expect(reader.status).toBe(403);
    expect((await jsonOf(reader)).error.code).toBe('forbidden');
  });

  it('lets anonymous clients read status but not threats; an analyst token reads threats', async () => {
    const anonymous = await TestClient.open(gw.wsUrl);
    sockets.push(anonymous);
    expect((await anonymous.subscribe('status')).type).toBe('subscribed');
    expect(await anonymous.subscribe('threats')).toMatchObject({ type: 'error', code: 'unauthorized' });

    const analyst = await TestClient.open(gw.wsUrl, { headers: { authorization: `Bearer ${await token({ sub: 'u1', roles: ['analyst'] })}` } });
    sockets.push(analyst);
    expect((await analyst.subscribe('threats')).type).toBe('subscribed');
    const res = await publish({ authorization: `Bearer ${KEY}` });
    const { results } = await jsonOf(res);
    expect((await analyst.next((m) => m.id === results[0].id)).type).toBe('threat.new');
  });

  it('authorizes history like a subscription', async () => {
    expect((await fetch(`${gw.url}/v1/channels/threats/history`)).status).toBe(401);
    expect((await fetch(`${gw.url}/v1/channels/status/history`)).status).toBe(200);
    const viewer = await token({ sub: 'u2', roles: ['viewer'] });
    expect((await fetch(`${gw.url}/v1/channels/threats/history`, { headers: { authorization: `Bearer ${viewer}` } })).status).toBe(200);
    const none = await token({ sub: 'u3' });
    expect((await fetch(`${gw.url}/v1/channels/alerts/history`, { headers: { authorization: `Bearer ${none}` } })).status).toBe(403);
  });

  it('refuses a read with the same code and message on /ws and over HTTP (one access rule)', async () => {
    const refusals = async (bearerToken: string | undefined) => {
      const headers: Record<string, string> = bearerToken === undefined ? {} : { authorization: `Bearer ${bearerToken}` };
      const ws = await TestClient.open(gw.wsUrl, { headers });
      sockets.push(ws);
      const reply = await ws.subscribe('alerts');
      const res = await fetch(`${gw.url}/v1/channels/alerts/history`, { headers });
      const { error } = await jsonOf(res);
      return { ws: { code: reply.code, message: reply.message }, http: { code: error.code, message: error.message }, status: res.status };
    };
    const anonymous = await refusals(undefined);
    expect(anonymous.ws).toEqual({ code: 'unauthorized', message: 'channel alerts requires a token with read:alerts' });
    expect(anonymous.http).toEqual(anonymous.ws);
    expect(anonymous.status).toBe(401);
    const lacking = await refusals(await token({ sub: 'u4', permissions: ['read:events'] }));
    expect(lacking.ws).toEqual({ code: 'forbidden', message: 'channel alerts requires read:alerts' });
    expect(lacking.http).toEqual(lacking.ws);
    expect(lacking.status).toBe(403);
  });

  it('counts refused credentials in ns_auth_failures_total', async () => {
    await publish({ authorization: 'Bearer nope-nope-nope' });
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const line = /^ns_auth_failures_total\{transport="http",reason="invalid"\} (\d+)$/m.exec(text);
    expect(Number(line?.[1])).toBeGreaterThan(0);
  });
});
