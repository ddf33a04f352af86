import { get as httpGet } from 'node:http';
import { CLOSE_CODES } from '@ns/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayUnderTest, launchGateway, type Msg, RawWs, stopAllGateways, upgradeStatus } from '@ns/testkit';
import { alertData, getJson, publish, threatData } from './support/http.js';
import { PUBLISH_KEY, SECRET, sign, signedByStranger, tampered, unsigned } from './support/tokens.js';

// Authorization against the real gateway (JWT HS256 + API key), logging at debug level: what a token
// does not grant is never delivered by any path, forged or expired tokens are refused, and no token
// or secret ever reaches the logs.

let gw: GatewayUnderTest;
const clients: RawWs[] = [];
/** Every credential this file presents; none may appear in the captured logs. */
const presented: string[] = [SECRET, PUBLISH_KEY];

beforeAll(async () => {
  gw = await launchGateway({ env: { NS_JWT_SECRET: SECRET, NS_PUBLISH_KEYS: PUBLISH_KEY, NS_LOG_LEVEL: 'debug', NS_IP_CONNECT_RATE: '1000' } });
});
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});
afterAll(async () => {
  await stopAllGateways();
});

const asPublisher = { authorization: `Bearer ${PUBLISH_KEY}` };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

async function token(claims: Record<string, unknown>, expiresInS?: number): Promise<string> {
  const t = await sign(claims, expiresInS === undefined ? {} : { expiresInS });
  presented.push(t);
  return t;
}

async function open(path = '/ws', headers: Record<string, string> = {}): Promise<RawWs> {
  const c = await RawWs.connect(gw.port, { path, headers });
  clients.push(c);
  return c;
}

const alertsSeen = (c: RawWs): Msg[] => c.messages.filter((m) => m.channel === 'alerts' && typeof m.type === 'string' && m.type.startsWith('alert.'));

describe('a token without read:alerts', () => {
  it('never receives an alert: not by subscribe, ?subscribe=, first-message auth, ?token=, replay with since, or history', async () => {
    const eventsOnly = await token({ sub: 'u-events', permissions: ['read:events'] });
    const analyst = await token({ sub: 'u-analyst', roles: ['analyst'] });
    // History holds alerts before anyone subscribes.
    const first = await publish(gw.url, { events: [0, 1, 2].map((i) => ({ type: 'alert.new', data: alertData(i) })) }, asPublisher);
    expect(first.status).toBe(202);
    const epoch = (await getJson(`${gw.url}/v1/channels/alerts/history`, bearer(analyst))).body.epoch as string;

    const byHeader = await open('/ws', bearer(eventsOnly));
    expect(await byHeader.request({ type: 'subscribe', channel: 'alerts' })).toMatchObject({ type: 'error', code: 'forbidden' });
    expect(await byHeader.request({ type: 'subscribe', channel: 'alerts', since: { epoch, seq: 0 } })).toMatchObject({ type: 'error', code: 'forbidden' });
    expect(await byHeader.request({ type: 'subscribe', channel: 'alerts', filter: { severities: ['critical'] } })).toMatchObject({ type: 'error', code: 'forbidden' });
    expect(await byHeader.request({ type: 'subscribe', channel: 'threats' })).toMatchObject({ type: 'subscribed' });

    const byQuery = await open('/ws?subscribe=alerts,threats', bearer(eventsOnly));
    await byQuery.next((m) => m.type === 'subscribed' && m.channel === 'threats');
    expect(byQuery.messages.find((m) => m.type === 'error')).toMatchObject({ code: 'forbidden', details: { channel: 'alerts' } });

    // Anonymous at first (allowed for status/system only), then authenticated by message.
    const byMessage = await open('/ws?subscribe=alerts');
    await byMessage.next((m) => m.type === 'error' && m.code === 'unauthorized');
    expect(await byMessage.request({ type: 'auth', token: eventsOnly })).toMatchObject({ type: 'authenticated' });
    expect(await byMessage.request({ type: 'subscribe', channel: 'alerts' })).toMatchObject({ type: 'error', code: 'forbidden' });
    expect(await byMessage.request({ type: 'subscribe', channel: 'alerts', since: { epoch, seq: 0 } })).toMatchObject({ type: 'error', code: 'forbidden' });

    const byTokenParam = await open(`/ws?subscribe=alerts&token=${eventsOnly}`);
    await byTokenParam.next((m) => m.type === 'error' && m.code === 'forbidden');

    const anonymous = await open('/ws?subscribe=alerts');
    expect(await anonymous.request({ type: 'subscribe', channel: 'alerts', since: { epoch, seq: 0 } })).toMatchObject({ type: 'error', code: 'unauthorized' });

    // A refresh to a token that lacks read:alerts ends an existing alerts subscription.
    const downgraded = await open('/ws?subscribe=alerts', bearer(await token({ sub: 'u-events', roles: ['analyst'] })));
    await downgraded.next((m) => m.type === 'subscribed' && m.channel === 'alerts');
    expect(await downgraded.request({ type: 'auth', token: eventsOnly })).toMatchObject({ type: 'authenticated' });
    await downgraded.next((m) => m.type === 'error' && m.code === 'forbidden');
    const downgradedBefore = alertsSeen(downgraded).length;

    for (const since_seq of ['', '?since_seq=0', '?since_seq=0&limit=1000']) {
      const res = await getJson(`${gw.url}/v1/channels/alerts/history${since_seq}`, bearer(eventsOnly));
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('forbidden');
      expect(res.body.events).toBeUndefined();
    }
    expect((await getJson(`${gw.url}/v1/channels/alerts/history`)).status).toBe(401);

    // An analyst proves alerts and threats do flow, live and replayed.
    const control = await open('/ws', bearer(analyst));
    expect(await control.request({ type: 'subscribe', channel: 'alerts', since: { epoch, seq: 0 } })).toMatchObject({ type: 'subscribed', replayed: 3 });
    const more = await publish(gw.url, { events: [3, 4].map((i) => ({ type: 'alert.new', data: alertData(i) })) }, asPublisher);
    const threat = await publish(gw.url, { type: 'threat.new', data: threatData(7) }, asPublisher);
    await control.next((m) => m.id === more.body.results[1].id);
    expect(alertsSeen(control).length).toBe(5);
    for (const c of [byHeader, byQuery]) await c.next((m) => m.id === threat.body.results[0].id);
    // Each connection is flushed in order: a ping answered after the publishes proves nothing else is in flight.
    for (const c of [byHeader, byQuery, byMessage, byTokenParam, anonymous, downgraded]) await c.request({ type: 'ping' });
    for (const c of [byHeader, byQuery, byMessage, byTokenParam, anonymous]) expect(alertsSeen(c)).toEqual([]);
    expect(alertsSeen(downgraded).length).toBe(downgradedBefore);
  });
});

describe('expired tokens', () => {
  it('are closed with 4001 at expiry, not before, after token_expired', async () => {
    const short = await token({ sub: 'u-short', roles: ['viewer'] }, 2);
    const exp = JSON.parse(Buffer.from(short.split('.')[1] as string, 'base64url').toString()).exp as number;
    const c = await open('/ws?subscribe=threats', bearer(short));
    // With under 30 s left, auth_expiring comes at once.
    expect(await c.next((m) => m.type === 'auth_expiring')).toMatchObject({ expires_at: exp });
    await c.next((m) => m.type === 'subscribed');
    expect(await c.closed).toBe(CLOSE_CODES.UNAUTHORIZED);
    expect(Date.now()).toBeGreaterThanOrEqual(exp * 1000);
    expect(c.messages.find((m) => m.type === 'error')).toMatchObject({ code: 'token_expired' });
  });

  it('are refused at once when already expired, on /ws and over HTTP', async () => {
    const expired = await token({ sub: 'u-old', roles: ['admin'], permissions: ['write:events'] }, -10);
    const viaHeader = await RawWs.upgrade(gw.port, { headers: bearer(expired) });
    clients.push(viaHeader);
    expect(await viaHeader.closed).toBe(CLOSE_CODES.UNAUTHORIZED);
    expect(viaHeader.messages).toEqual([expect.objectContaining({ type: 'error', code: 'token_expired' })]);
    const viaMessage = await open();
    expect(await viaMessage.request({ type: 'auth', token: expired })).toMatchObject({ type: 'error', code: 'token_expired' });
    expect(await viaMessage.closed).toBe(CLOSE_CODES.UNAUTHORIZED);
    const res = await publish(gw.url, { type: 'threat.new', data: threatData() }, bearer(expired));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('token_expired');
  });
});

describe('forged tokens', () => {
  it('are refused everywhere: another key, alg none, a tampered payload, a stranger RS256 key', async () => {
    const genuine = await token({ sub: 'u-forge', permissions: ['read:events'] });
    const forged: Record<string, string> = {
      'another secret': await sign({ sub: 'u-forge', roles: ['admin'] }, { secret: 'not-the-gateway-secret-0123456789abcdef' }),
      'alg none': unsigned({ sub: 'u-forge', roles: ['admin'] }),
      'alg none, empty signature dropped': unsigned({ sub: 'u-forge', roles: ['admin'] }).slice(0, -1),
      'tampered payload': tampered(genuine, { sub: 'u-forge', roles: ['admin'], permissions: ['read:alerts', 'write:events'] }),
      'stranger RS256': await signedByStranger({ sub: 'u-forge', roles: ['admin'] }),
      garbage: 'eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln',
    };
    presented.push(...Object.values(forged));
    for (const [name, t] of Object.entries(forged)) {
      // Upgrade header: error unauthorized and close 4001, before any welcome.
      const viaHeader = await RawWs.upgrade(gw.port, { headers: bearer(t) });
      clients.push(viaHeader);
      expect(await viaHeader.closed, name).toBe(CLOSE_CODES.UNAUTHORIZED);
      expect(viaHeader.messages, name).toEqual([expect.objectContaining({ type: 'error', code: 'unauthorized' })]);
      // First-message auth.
      const viaMessage = await open();
      expect(await viaMessage.request({ type: 'auth', token: t }), name).toMatchObject({ type: 'error', code: 'unauthorized' });
      expect(await viaMessage.closed, name).toBe(CLOSE_CODES.UNAUTHORIZED);
      // HTTP: publish and history.
      const pub = await publish(gw.url, { type: 'threat.new', data: threatData() }, bearer(t));
      expect(pub.status, name).toBe(401);
      expect((await getJson(`${gw.url}/v1/channels/threats/history`, bearer(t))).status, name).toBe(401);
    }
    expect(await publish(gw.url, { type: 'threat.new', data: threatData() }, bearer(genuine))).toMatchObject({ status: 403 });
  });
});

describe('DNS rebinding', () => {
  it('refuses a browser page on a rebinding name even when its Origin matches its Host', async () => {
    const local = await launchGateway(); // the default: loopback, no key
    for (const g of [gw, local]) {
      const host = `rebind.attacker.example:${g.port}`;
      // Upgraded only to be closed with 1008 (a browser sees that code; it would see a 403 as 1006).
      const refused = await RawWs.upgrade(g.port, { headers: { Host: host, Origin: `http://${host}` } });
      expect(await refused.closed).toBe(1008);
      expect(refused.messages).toEqual([]);
      expect(await upgradeStatus(g.port, { headers: { Host: `127.0.0.1:${g.port}`, Origin: `http://127.0.0.1:${g.port}` } })).toBe(101);
      expect(await upgradeStatus(g.port, { headers: { Host: `localhost:${g.port}`, Origin: `http://localhost:${g.port}` } })).toBe(101);
    }
    // The HTTP API of a loopback gateway refuses the rebinding name outright.
    const status = await new Promise<number | undefined>((resolve, reject) =>
      httpGet({ host: '127.0.0.1', port: local.port, path: '/v1/channels', headers: { Host: `rebind.attacker.example:${local.port}` } }, (res) => {
        res.resume();
        resolve(res.statusCode);
      }).on('error', reject),
    );
    expect(status).toBe(403);
  });
});

describe('logs', () => {
  it('never contain a token, the JWT secret or the publish key, even at debug level', async () => {
    // One more round of every credential path, successful and failed, so each has been logged about.
    const t = await token({ sub: 'u-log', roles: ['admin'] });
    const ok = await open(`/ws?token=${t}&subscribe=alerts`);
    await ok.next((m) => m.type === 'subscribed');
    const fail = await RawWs.upgrade(gw.port, { path: `/ws?token=${t}x` });
    expect(await fail.closed).toBe(CLOSE_CODES.UNAUTHORIZED);
    await publish(gw.url, { type: 'threat.new', data: threatData() }, bearer(`${PUBLISH_KEY}x`));
    await publish(gw.url, { type: 'threat.new', data: threatData() }, asPublisher);
    await fetch(`${gw.url}/v1/channels/alerts/history?token=${t}`, { headers: bearer(t) });
    await fetch(`${gw.url}/metrics?access_token=${t}`);
    ok.destroy();
    await ok.closed;
    const logs = gw.output();
    expect(logs).toContain('"level":20'); // debug lines were written
    expect(logs).toMatch(/connection opened/);
    for (const secret of presented) {
      expect(logs.includes(secret), `log output contains ${secret.slice(0, 12)}…`).toBe(false);
      const signature = secret.split('.')[2];
      if (signature !== undefined && signature.length > 8) expect(logs.includes(signature)).toBe(false);
    }
  });
});
