import { parseStreamCursor } from '@ns/contracts';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayUnderTest, launchGateway, stopAllGateways } from '@ns/testkit';
import { alertData, getJson, metric, publish, threatData } from './hardening/support/http.js';
import { PUBLISH_KEY, SECRET, sign } from './hardening/support/tokens.js';
import { SseReader } from './support/sse-reader.js';

// GET /v1/stream against the real gateway (JWT HS256): the /ws protocol's messages as Server-Sent
// Events, a cursor `id:` that resumes every lossless channel at once, stream tickets for EventSource.

let gw: GatewayUnderTest;
const readers: SseReader[] = [];
const asPublisher = { authorization: `Bearer ${PUBLISH_KEY}` };
const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  gw = await launchGateway({ env: { NS_JWT_SECRET: SECRET, NS_PUBLISH_KEYS: PUBLISH_KEY, NS_IP_CONNECT_RATE: '1000' } });
});
afterEach(() => {
  for (const r of readers.splice(0)) r.close();
});
afterAll(async () => {
  await stopAllGateways();
});

async function stream(path: string, headers: Record<string, string> = {}): Promise<SseReader> {
  const r = await SseReader.open(gw.port, path, headers);
  readers.push(r);
  return r;
}

async function publishOk(events: unknown[]): Promise<void> {
  const res = await publish(gw.url, { events }, asPublisher);
  expect(res.status).toBe(202);
}

describe('GET /v1/stream', () => {
  it('streams the same envelopes as the history API, each lossless event with the cursor of every channel, and resumes from Last-Event-ID without gap or duplicate', async () => {
    const analyst = await sign({ sub: 'u-analyst', roles: ['analyst'] });
    const first = await stream('/v1/stream?channels=threats,alerts', bearer(analyst));
    expect(first.status).toBe(200);
    expect(await first.next((m) => m.type === 'welcome')).toMatchObject({ principal: { id: 'u-analyst' } });
    await first.next((m) => m.type === 'subscribed' && m.channel === 'alerts');
    const threatsBefore = (await getJson(`${gw.url}/v1/channels/threats/history?limit=1`, bearer(analyst))).body.seq as number;
    const alertsBefore = (await getJson(`${gw.url}/v1/channels/alerts/history?limit=1`, bearer(analyst))).body.seq as number;

    await publishOk([...[0, 1, 2, 3, 4].map((i) => ({ type: 'threat.new', data: threatData(i) })), { type: 'alert.new', data: alertData(1) }]);
    await publishOk([{ type: 'alert.new', data: alertData(2) }]);
    await first.next((m) => m.channel === 'alerts' && m.seq === alertsBefore + 2);
    expect(first.events('threats').map((e) => e.seq)).toEqual([1, 2, 3, 4, 5].map((n) => threatsBefore + n));

    // Every event's id names both channels, each at the last event delivered on it.
    const seen: Record<string, number> = {};
    for (const { msg, lastEventId } of first.messages) {
      if (typeof msg.ts !== 'number') continue;
      seen[msg.channel as string] = msg.seq as number;
      const cursor = parseStreamCursor(lastEventId);
      expect(cursor.threats?.seq).toBe(seen.threats ?? threatsBefore);
      expect(cursor.alerts?.seq).toBe(seen.alerts ?? alertsBefore);
      expect(cursor.threats?.epoch).toBe(msg.epoch);
    }
    // Byte for byte the envelopes the history endpoint serves.
    const history = (await (await fetch(`${gw.url}/v1/channels/threats/history?since_seq=${threatsBefore}`, { headers: bearer(analyst) })).json()) as { events: unknown[] };
    expect(first.events('threats')).toEqual(history.events);

    const lastEventId = first.lastEventId;
    first.close();
    await publishOk([5, 6, 7].map((i) => ({ type: 'threat.new', data: threatData(i) })));
    await publishOk([{ type: 'alert.new', data: alertData(3) }]);

    const resumed = await stream('/v1/stream?channels=threats,alerts', { ...bearer(analyst), 'last-event-id': lastEventId });
    expect(await resumed.next((m) => m.type === 'subscribed' && m.channel === 'threats')).toMatchObject({ recovered: true, replayed: 3 });
    expect(await resumed.next((m) => m.type === 'subscribed' && m.channel === 'alerts')).toMatchObject({ recovered: true, replayed: 1 });
    await publishOk([{ type: 'threat.new', data: threatData(8) }]);
    await resumed.next((m) => m.channel === 'threats' && m.seq === threatsBefore + 9);
    expect(resumed.events('threats').map((e) => e.seq)).toEqual([6, 7, 8, 9].map((n) => threatsBefore + n));
    expect(resumed.events('alerts').map((e) => e.seq)).toEqual([alertsBefore + 3]);

    // A cursor from another epoch is answered as on /ws: recovered false, with the channel's head.
    const stale = await stream('/v1/stream?channels=threats&since=threats:gone:3', bearer(analyst));
    expect(await stale.next((m) => m.type === 'subscribed')).toMatchObject({ recovered: false, seq: threatsBefore + 9 });
  });

  it('applies filters as /ws does and refuses bad input naming the parameter', async () => {
    const analyst = await sign({ sub: 'u-filter', roles: ['analyst'] });
    const filtered = await stream(`/v1/stream?channels=threats&filter.threats=${encodeURIComponent('{"min_score":9}')}`, bearer(analyst));
    await filtered.next((m) => m.type === 'subscribed');
    await publishOk([0, 1, 2, 3, 4].map((i) => ({ type: 'threat.new', id: `flt-${i}`, data: threatData(i) })));
    await filtered.next((m) => m.id === 'flt-4');
    expect(filtered.events('threats').map((e) => e.id)).toEqual(['flt-4']);

    const bad = async (path: string) => {
      const r = await stream(path, bearer(analyst));
      return { status: r.status, body: JSON.parse(r.body) };
    };
    expect(await bad(`/v1/stream?channels=threats&filter.threats=${encodeURIComponent('{"min_score":"x"}')}`)).toMatchObject({
      status: 400,
      body: { error: { code: 'invalid_message', issues: [{ path: 'filter.threats.min_score' }] } },
    });
    expect(await bad('/v1/stream?channels=threats&filter.threats=%7B')).toMatchObject({ status: 400, body: { error: { code: 'invalid_json', issues: [{ path: 'filter.threats' }] } } });
    expect(await bad('/v1/stream?channels=threats&filter.alerts=%7B%7D')).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'filter.alerts' }] } } });
    expect(await bad('/v1/stream?channels=threats,nope')).toMatchObject({ status: 404, body: { error: { code: 'unknown_channel', details: { channels: ['nope'] } } } });
    expect(await bad('/v1/stream?channels=threats&since=threats:e')).toMatchObject({ status: 400, body: { error: { issues: [{ path: 'since' }] } } });
    expect(await bad('/v1/stream?channels=threats&colour=red')).toMatchObject({ status: 400, body: { error: { code: 'invalid_message' } } });
  });

  it('takes an Authorization header or a single-use ticket, never a JWT in the URL', async () => {
    const analyst = await sign({ sub: 'u-ticket', roles: ['analyst'] });
    // Anonymous (allowed by default): the stream opens, and a protected channel is refused as on /ws.
    const anonymous = await stream('/v1/stream?channels=threats,system');
    expect(anonymous.status).toBe(200);
    expect(await anonymous.next((m) => m.type === 'error')).toMatchObject({ code: 'unauthorized', details: { channel: 'threats' } });
    await anonymous.next((m) => m.type === 'subscribed' && m.channel === 'system');
    expect((await stream(`/v1/stream?channels=threats&token=${analyst}`)).status).toBe(400);
    expect((await stream('/v1/stream?channels=threats', bearer('not-a-jwt'))).status).toBe(401);

    expect((await fetch(`${gw.url}/v1/stream-tickets`, { method: 'POST' })).status).toBe(401);
    const res = await fetch(`${gw.url}/v1/stream-tickets`, { method: 'POST', headers: bearer(analyst) });
    expect(res.status).toBe(201);
    const { ticket, expires_at } = (await res.json()) as { ticket: string; expires_at: number };
    expect(expires_at).toBeGreaterThan(Date.now() / 1000);
    expect(expires_at).toBeLessThanOrEqual(Date.now() / 1000 + 31);

    const byTicket = await stream(`/v1/stream?channels=alerts&ticket=${encodeURIComponent(ticket)}`);
    expect(byTicket.status).toBe(200);
    expect(await byTicket.next((m) => m.type === 'welcome')).toMatchObject({ principal: { id: 'u-ticket' } });
    await byTicket.next((m) => m.type === 'subscribed');
    const again = await stream(`/v1/stream?channels=alerts&ticket=${encodeURIComponent(ticket)}`);
    expect(again.status).toBe(401);
    expect(JSON.parse(again.body).error.message).toMatch(/already used/);
    const forged = `${ticket.slice(0, -4)}AAAA`;
    expect((await stream(`/v1/stream?channels=alerts&ticket=${encodeURIComponent(forged)}`)).status).toBe(401);
    expect(await metric(gw.url, 'ns_connections', { transport: 'sse' })).toBeGreaterThanOrEqual(1);
  });

  it('ends a stream when its token expires, with a last token_expired error (a ticket carries the expiry)', async () => {
    const brief = await sign({ sub: 'u-brief', roles: ['analyst'] }, { expiresInS: 3 });
    const { ticket, expires_at } = (await (await fetch(`${gw.url}/v1/stream-tickets`, { method: 'POST', headers: bearer(brief) })).json()) as { ticket: string; expires_at: number };
    expect(expires_at).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 3);
    const r = await stream(`/v1/stream?channels=threats&ticket=${encodeURIComponent(ticket)}`);
    expect(r.status).toBe(200);
    await r.ended;
    expect(r.messages.at(-1)?.msg).toMatchObject({ type: 'error', code: 'token_expired', details: { close_code: 4001, close_reason: 'token_expired' } });
    expect(r.messages.filter((m) => m.msg.type === 'error')).toHaveLength(1);
  });

  it('ends a stream whose token is revoked, and refuses the revoked token and its tickets', async () => {
    const admin = await sign({ sub: 'root', roles: ['admin'] });
    const victim = await sign({ sub: 'u-victim', roles: ['analyst'], jti: 'jti-sse-victim' });
    const exp = Math.floor(Date.now() / 1000) + 300;
    const { ticket } = (await (await fetch(`${gw.url}/v1/stream-tickets`, { method: 'POST', headers: bearer(victim) })).json()) as { ticket: string };
    const live = await stream('/v1/stream?channels=threats', bearer(victim));
    await live.next((m) => m.type === 'subscribed');
    const res = await fetch(`${gw.url}/v1/revocations`, { method: 'POST', headers: { ...bearer(admin), 'content-type': 'application/json' }, body: JSON.stringify({ jti: 'jti-sse-victim', expires_at: exp }) });
    expect(res.status).toBe(201);
    await live.ended;
    // One last error, as /ws would say it before its close 4001 token_revoked.
    expect(live.messages.at(-1)?.msg).toEqual({
      type: 'error',
      code: 'unauthorized',
      message: 'token has been revoked; reconnect with a new token',
      details: { close_code: 4001, close_reason: 'token_revoked' },
    });
    expect(live.messages.filter((m) => m.msg.type === 'error')).toHaveLength(1);
    expect((await stream('/v1/stream?channels=threats', bearer(victim))).status).toBe(401);
    expect((await stream(`/v1/stream?channels=threats&ticket=${encodeURIComponent(ticket)}`)).status).toBe(401);
    expect((await fetch(`${gw.url}/v1/stream-tickets`, { method: 'POST', headers: bearer(victim) })).status).toBe(401);
  });
  it('ends a stream an administrator disconnects (by id, and every stream of a user) with a last forbidden error: close code 4003 and the reason /ws would close with', async () => {
    const admin = await sign({ sub: 'root', roles: ['admin'] });
    const carol = await sign({ sub: 'u-carol', roles: ['analyst'] });
    const byId = await stream('/v1/stream?channels=threats', bearer(carol));
    const id = (await byId.next((m) => m.type === 'welcome')).connection_id as string;
    await byId.next((m) => m.type === 'subscribed');
    const one = await fetch(`${gw.url}/v1/connections/${id}?reason=${encodeURIComponent('shift over')}`, { method: 'DELETE', headers: bearer(admin) });
    expect(one.status).toBe(200);
    await byId.ended;
    expect(byId.messages.at(-1)?.msg).toEqual({
      type: 'error',
      code: 'forbidden',
      message: 'disconnected by an administrator: shift over',
      details: { close_code: 4003, close_reason: 'disconnected by an administrator: shift over' },
    });

    const first = await stream('/v1/stream?channels=alerts', bearer(carol));
    const second = await stream('/v1/stream', bearer(carol));
    const bystander = await stream('/v1/stream?channels=alerts', bearer(await sign({ sub: 'u-dave', roles: ['analyst'] })));
    await Promise.all([first, second, bystander].map((r) => r.next((m) => m.type === 'welcome')));
    const all = await fetch(`${gw.url}/v1/disconnects`, { method: 'POST', headers: { ...bearer(admin), 'content-type': 'application/json' }, body: JSON.stringify({ user: 'u-carol' }) });
    expect(((await all.json()) as { disconnected: unknown[] }).disconnected).toHaveLength(2);
    for (const r of [first, second]) {
      await r.ended;
      expect(r.messages.at(-1)?.msg).toMatchObject({ type: 'error', code: 'forbidden', message: 'disconnected by an administrator', details: { close_code: 4003 } });
    }
    await publishOk([{ type: 'alert.new', data: alertData(9) }]);
    await bystander.next((m) => m.channel === 'alerts' && m.type === 'alert.new');
    expect(bystander.messages.some((m) => m.msg.type === 'error')).toBe(false);
  });
});
