import { principalFromClaims, readDenial } from '@ns/contracts';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, type GatewayUnderTest, launchGateway, stopAllGateways, TestClient } from '@ns/testkit';
import { alertData, publish } from './hardening/support/http.js';
import { PUBLISH_KEY, SECRET } from './hardening/support/tokens.js';
import { SseReader } from './support/sse-reader.js';

// Issue 20's acceptance line "permission checks identical to /ws (no alert without read:alerts by any
// path)": every principal × every way in to the alerts channel, against the real gateway. Each path's
// decision and error must be the one the contracts' access rule (readDenial) gives — or, for a token
// refused before the rule (expired, revoked), the same refusal on every path — and an alert published
// after a positive control must reach every allowed path and none of the denied ones.

let gw: GatewayUnderTest;
const cleanups: (() => void)[] = [];

beforeAll(async () => {
  gw = await launchGateway({ env: { NS_JWT_SECRET: SECRET, NS_PUBLISH_KEYS: PUBLISH_KEY, NS_IP_CONNECT_RATE: '1000' } });
});
afterAll(async () => {
  for (const c of cleanups.splice(0)) c();
  await stopAllGateways();
});

type Claims = Record<string, unknown> & { sub: string };

/** An HS256 token with `claims`, issued `ageS` seconds ago and living `lifeS` seconds from issue. */
function mint(claims: Claims, o: { ageS?: number; lifeS?: number } = {}): Promise<string> {
  const iat = Math.floor(Date.now() / 1000) - (o.ageS ?? 0);
  return new SignJWT({ ...claims, iat, exp: iat + (o.lifeS ?? 600) }).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(SECRET));
}

/** A refusal as a path reports it: the error code, and the message where the path carries one. */
interface Refusal {
  code: string;
  message: string;
}

/** One way in to `alerts`: its refusal (null: subscribed) and the alerts it has received so far. */
interface Attempt {
  refusal: Refusal | null;
  alerts(): unknown[];
  /** Resolves when a `system` event with `id` arrives; undefined when the path is not live (refused outright). */
  sawSystem?: (id: string) => Promise<void>;
  /** Reads again (history: the alerts it answers are those published by now). */
  refresh?: () => Promise<void>;
}

const refusalOf = (m: Record<string, any>): Refusal => ({ code: m.code, message: m.message });
const isAlertsReply = (m: Record<string, any>) => (m.type === 'subscribed' || m.type === 'error') && (m.channel === 'alerts' || m.details?.channel === 'alerts');

/** A WebSocket that says either `welcome` or a connection-level `error` (then closes). */
async function wsOpen(query: string, headers: Record<string, string>): Promise<{ c: TestClient; refusal: Refusal | null }> {
  const c = new TestClient(`${gw.wsUrl}${query}`, { headers }, 'ns.v1');
  cleanups.push(() => c.ws.terminate());
  const first = await Promise.race([c.next((m) => m.type === 'welcome' || m.type === 'error'), c.closed.then(() => null)]);
  if (first === null) throw new Error(`closed before any message: ${JSON.stringify(await c.closed)}`);
  return { c, refusal: first.type === 'error' ? refusalOf(first) : null };
}

function wsAttempt(c: TestClient, refusal: Refusal | null): Attempt {
  return {
    refusal,
    alerts: () => c.events('alerts'),
    sawSystem: c.ws.readyState !== c.ws.OPEN ? undefined : async (id) => void (await c.next((m) => m.channel === 'system' && m.id === id)),
  };
}

/** `/ws` with the token in the upgrade's Authorization header, then `subscribe` messages. */
async function wsHeaderSubscribe(token: string | undefined): Promise<Attempt> {
  const { c, refusal } = await wsOpen('', token === undefined ? {} : { authorization: `Bearer ${token}` });
  if (refusal !== null) return { refusal, alerts: () => c.events('alerts') };
  await c.subscribe('system');
  const reply = await c.subscribe('alerts');
  return wsAttempt(c, reply.type === 'subscribed' ? null : refusalOf(reply));
}

/** `/ws?subscribe=system,alerts` with the token in the Authorization header. */
async function wsQuerySubscribe(token: string | undefined): Promise<Attempt> {
  const { c, refusal } = await wsOpen('?subscribe=system,alerts', token === undefined ? {} : { authorization: `Bearer ${token}` });
  if (refusal !== null) return { refusal, alerts: () => c.events('alerts') };
  const reply = await c.next(isAlertsReply);
  return wsAttempt(c, reply.type === 'subscribed' ? null : refusalOf(reply));
}

/** `/ws` without credentials, the token in an `auth` message (what browsers and the console do). */
async function wsAuthMessage(token: string | undefined): Promise<Attempt> {
  const { c, refusal } = await wsOpen('', {});
  if (refusal !== null) throw new Error(`anonymous upgrade refused: ${JSON.stringify(refusal)}`);
  if (token !== undefined) {
    const ok = await c.request({ type: 'auth', id: 'a1', token });
    if (ok.type !== 'authenticated') return { refusal: refusalOf(ok), alerts: () => c.events('alerts') };
  }
  await c.subscribe('system');
  const reply = await c.subscribe('alerts');
  return wsAttempt(c, reply.type === 'subscribed' ? null : refusalOf(reply));
}

/** `/ws?token=` (compatibility), then `subscribe` messages. */
async function wsQueryToken(token: string | undefined): Promise<Attempt> {
  const { c, refusal } = await wsOpen(token === undefined ? '' : `?token=${encodeURIComponent(token)}`, {});
  if (refusal !== null) return { refusal, alerts: () => c.events('alerts') };
  await c.subscribe('system');
  const reply = await c.subscribe('alerts');
  return wsAttempt(c, reply.type === 'subscribed' ? null : refusalOf(reply));
}

async function sseAttempt(path: string, headers: Record<string, string>): Promise<Attempt> {
  const r = await SseReader.open(gw.port, path, headers);
  cleanups.push(() => r.close());
  if (r.status !== 200) return { refusal: refusalOf(JSON.parse(r.body).error), alerts: () => [] };
  await r.next((m) => m.type === 'welcome');
  const reply = await r.next(isAlertsReply);
  return {
    refusal: reply.type === 'subscribed' ? null : refusalOf(reply),
    alerts: () => r.events('alerts'),
    sawSystem: async (id) => void (await r.next((m) => m.channel === 'system' && m.id === id)),
  };
}

/** `GET /v1/stream` with the token in the Authorization header. */
const sseHeader = (token: string | undefined) => sseAttempt('/v1/stream?channels=system,alerts', token === undefined ? {} : { authorization: `Bearer ${token}` });

/** A stream ticket minted with the token (before any revocation), then `GET /v1/stream?ticket=` (what EventSource and the console do). */
async function mintTicket(token: string | undefined): Promise<{ ticket: string } | { refusal: Refusal }> {
  const res = await fetch(`${gw.url}/v1/stream-tickets`, { method: 'POST', headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as Record<string, any>;
  return res.status === 201 ? { ticket: body.ticket } : { refusal: refusalOf(body.error) };
}
async function sseTicket(minted: { ticket: string } | { refusal: Refusal }): Promise<Attempt> {
  if ('refusal' in minted) return { refusal: minted.refusal, alerts: () => [] };
  return sseAttempt(`/v1/stream?channels=system,alerts&ticket=${encodeURIComponent(minted.ticket)}`, {});
}

/** `GET /v1/channels/alerts/history`: the alerts it answers are those published so far, so it is read again after the publish. */
async function history(token: string | undefined): Promise<Attempt> {
  const headers: Record<string, string> = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const read = async () => {
    const res = await fetch(`${gw.url}/v1/channels/alerts/history`, { headers });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const first = await read();
  let events: unknown[] = [];
  return {
    refusal: first.status === 200 ? null : refusalOf(first.body.error),
    alerts: () => events,
    refresh: async () => {
      const again = await read();
      events = again.status === 200 ? again.body.events : [];
    },
  };
}

interface Principal {
  name: string;
  token: string | undefined;
  /** The refusal every path must report; null: allowed. */
  expected: Refusal | null;
}

describe('reading alerts: one decision on every transport and path', () => {
  it('refuses or admits every principal identically on /ws, /v1/stream (header and ticket) and history, and no alert reaches a refused path', async () => {
    const claims: Record<string, Claims> = {
      viewer: { sub: 'p-viewer', roles: ['viewer'] },
      analyst: { sub: 'p-analyst', roles: ['analyst'] },
      admin: { sub: 'p-admin', roles: ['admin'] },
      'read:alerts only': { sub: 'p-alerts', permissions: ['read:alerts'] },
      'read:events only': { sub: 'p-events', permissions: ['read:events'] },
      'no permissions': { sub: 'p-none' },
      'unknown role': { sub: 'p-odd', roles: ['auditor'] },
    };
    const principals: Principal[] = [{ name: 'anonymous', token: undefined, expected: readDenial(null, 'alerts') }];
    for (const [name, c] of Object.entries(claims)) principals.push({ name, token: await mint(c), expected: readDenial(principalFromClaims(c), 'alerts') });
    // The oracle really splits the table: some principals are refused, some admitted, both ways.
    expect(principals.filter((p) => p.expected === null).map((p) => p.name)).toEqual(['viewer', 'analyst', 'admin', 'read:alerts only']);
    expect(principals.find((p) => p.name === 'anonymous')?.expected?.code).toBe('unauthorized');
    expect(principals.find((p) => p.name === 'read:events only')?.expected?.code).toBe('forbidden');

    // Refused before the access rule: an expired token and a revoked one (viewer tokens: they would read alerts).
    const expired = await mint({ sub: 'p-expired', roles: ['viewer'] }, { ageS: 1200, lifeS: 600 });
    const revokedJti = `jti-perm-${Date.now()}`;
    const revoked = await mint({ sub: 'p-revoked', roles: ['viewer'], jti: revokedJti });
    principals.push({ name: 'expired', token: expired, expected: { code: 'token_expired', message: '' } });
    principals.push({ name: 'revoked', token: revoked, expected: { code: 'unauthorized', message: '' } });

    // Tickets are minted before the revocation: a ticket must not outlive the token's revocation.
    const tickets = new Map<string, Awaited<ReturnType<typeof mintTicket>>>();
    for (const p of principals) tickets.set(p.name, await mintTicket(p.token));
    const admin = await mint({ sub: 'p-root', roles: ['admin'] });
    const res = await fetch(`${gw.url}/v1/revocations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ jti: revokedJti, expires_at: Math.floor(Date.now() / 1000) + 900 }),
    });
    expect(res.status).toBe(201);

    const paths: Record<string, (p: Principal) => Promise<Attempt>> = {
      '/ws header + subscribe': (p) => wsHeaderSubscribe(p.token),
      '/ws header + ?subscribe=': (p) => wsQuerySubscribe(p.token),
      '/ws auth message + subscribe (console)': (p) => wsAuthMessage(p.token),
      '/ws ?token= + subscribe': (p) => wsQueryToken(p.token),
      '/v1/stream header': (p) => sseHeader(p.token),
      '/v1/stream ticket (console)': (p) => sseTicket(tickets.get(p.name) as Awaited<ReturnType<typeof mintTicket>>),
      'GET /v1/channels/alerts/history': (p) => history(p.token),
    };
    const table: { principal: Principal; path: string; attempt: Attempt }[] = [];
    for (const principal of principals) for (const [path, open] of Object.entries(paths)) table.push({ principal, path, attempt: await open(principal) });

    // Decisions: each path reports the oracle's code; messages agree across paths (and with the oracle where it has one).
    const decisions = table.map(({ principal, path, attempt }) => ({ principal: principal.name, path, code: attempt.refusal?.code ?? 'allowed' }));
    expect(decisions).toEqual(table.map(({ principal, path }) => ({ principal: principal.name, path, code: principal.expected?.code ?? 'allowed' })));
    for (const principal of principals) {
      // Without a token there is no ticket to mint: that refusal names the missing header, not the channel.
      const rows = table.filter((row) => row.principal === principal && !(principal.token === undefined && row.path === '/v1/stream ticket (console)'));
      const messages = new Set(rows.map((row) => row.attempt.refusal?.message));
      expect({ principal: principal.name, messages: [...messages] }).toEqual({
        principal: principal.name,
        messages: [principal.expected === null ? undefined : principal.expected.message === '' ? [...messages][0] : principal.expected.message],
      });
    }
    expect(table.find((r) => r.principal.name === 'revoked')?.attempt.refusal?.message).toMatch(/revoked/);
    expect(table.find((r) => r.principal.name === 'expired')?.attempt.refusal?.message).toMatch(/expired/);

    // Delivery: an alert, then (once every allowed path has it) a system notice as a marker; every live
    // refused path receives the marker — it is connected and delivering — and, a second later, still no alert.
    const published = await publish(gw.url, { events: [{ type: 'alert.new', id: 'perm-alert-1', data: alertData(1) }] }, { authorization: `Bearer ${PUBLISH_KEY}` });
    expect(published.status).toBe(202);
    const allowed = table.filter((r) => r.attempt.refusal === null);
    const refused = table.filter((r) => r.attempt.refusal !== null);
    await eventually(
      'the alert on every allowed path',
      async () => {
        for (const r of allowed) await r.attempt.refresh?.();
        return allowed.every((r) => r.attempt.alerts().some((a: any) => a.id === 'perm-alert-1'));
      },
      30_000,
      50,
    ).catch(() => {
      throw new Error(`alert missing on: ${allowed.filter((r) => !r.attempt.alerts().some((a: any) => a.id === 'perm-alert-1')).map((r) => `${r.principal.name} via ${r.path}`).join('; ')}`);
    });
    const marker = await publish(gw.url, { events: [{ type: 'system.notice', id: 'perm-marker-1', data: { level: 'info', message: 'marker', timestamp: 1_764_115_300 } }] }, { authorization: `Bearer ${PUBLISH_KEY}` });
    expect(marker.status).toBe(202);
    const live = refused.filter((r) => r.attempt.sawSystem !== undefined);
    // Anonymous and permission-lacking principals stay connected on every streaming path.
    expect(live.map((r) => `${r.principal.name} via ${r.path}`)).toEqual(
      expect.arrayContaining(['anonymous via /ws header + subscribe', 'read:events only via /v1/stream header', 'no permissions via /v1/stream ticket (console)', 'unknown role via /ws header + ?subscribe=']),
    );
    await Promise.all(live.map((r) => r.attempt.sawSystem?.('perm-marker-1')));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    for (const r of refused) await r.attempt.refresh?.();
    expect(refused.filter((r) => r.attempt.alerts().length > 0).map((r) => `${r.principal.name} via ${r.path}`)).toEqual([]);
  }, 120_000);

  it('never replays alerts on resume to a principal without read:alerts, and a refresh that drops read:alerts stops them on /ws', async () => {
    const asPublisher = { authorization: `Bearer ${PUBLISH_KEY}` };
    expect((await publish(gw.url, { events: [{ type: 'alert.new', id: 'perm-alert-2', data: alertData(2) }] }, asPublisher)).status).toBe(202);
    const viewer = await mint({ sub: 'p-refresh', roles: ['viewer'] });
    const head = await fetch(`${gw.url}/v1/channels/alerts/history`, { headers: { authorization: `Bearer ${viewer}` } });
    const { epoch, events } = (await head.json()) as { epoch: string; events: { id: string }[] };
    expect(events.map((e) => e.id)).toContain('perm-alert-2');
    const cursor = `alerts:${encodeURIComponent(epoch)}:0`;

    const lacking: { name: string; token: string | undefined; claims: Claims | null }[] = [
      { name: 'anonymous', token: undefined, claims: null },
      { name: 'read:events only', token: await mint({ sub: 'p-resume', permissions: ['read:events'] }), claims: { sub: 'p-resume', permissions: ['read:events'] } },
    ];
    const watched: { label: string; expected: Refusal; attempt: Attempt }[] = [];
    for (const p of lacking) {
      const expected = readDenial(p.claims === null ? null : principalFromClaims(p.claims), 'alerts') as Refusal;
      const headers: Record<string, string> = p.token === undefined ? {} : { authorization: `Bearer ${p.token}` };
      const { c } = await wsOpen('', headers);
      await c.subscribe('system');
      const reply = await c.subscribe('alerts', { since: { epoch, seq: 0 } });
      watched.push({ label: `${p.name} via /ws subscribe since`, expected, attempt: wsAttempt(c, reply.type === 'subscribed' ? null : refusalOf(reply)) });
      watched.push({ label: `${p.name} via /v1/stream Last-Event-ID`, expected, attempt: await sseAttempt('/v1/stream?channels=system,alerts', { ...headers, 'last-event-id': cursor }) });
      watched.push({ label: `${p.name} via /v1/stream ?since=`, expected, attempt: await sseAttempt(`/v1/stream?channels=system,alerts&since=${encodeURIComponent(cursor)}`, headers) });
    }
    expect(watched.map((w) => ({ label: w.label, refusal: w.attempt.refusal }))).toEqual(watched.map((w) => ({ label: w.label, refusal: w.expected })));

    // A viewer reading alerts on /ws refreshes to a token of the same user without read:alerts.
    const { c: refreshed } = await wsOpen('', { authorization: `Bearer ${viewer}` });
    expect((await refreshed.subscribe('system')).type).toBe('subscribed');
    expect((await refreshed.subscribe('alerts', { since: { epoch, seq: 0 } })).type).toBe('subscribed');
    await refreshed.next((m) => m.channel === 'alerts' && m.id === 'perm-alert-2');
    const downgraded = { sub: 'p-refresh', permissions: ['read:events'] };
    expect((await refreshed.request({ type: 'auth', id: 'r1', token: await mint(downgraded) })).type).toBe('authenticated');
    const dropped = await refreshed.next((m) => m.type === 'error' && m.details?.channel === 'alerts');
    expect(dropped.code).toBe(readDenial(principalFromClaims(downgraded), 'alerts')?.code);
    const before = refreshed.events('alerts').length;

    expect((await publish(gw.url, { events: [{ type: 'alert.new', id: 'perm-alert-3', data: alertData(3) }] }, asPublisher)).status).toBe(202);
    const control = await SseReader.open(gw.port, '/v1/stream?channels=alerts', { authorization: `Bearer ${viewer}`, 'last-event-id': cursor });
    cleanups.push(() => control.close());
    await control.next((m) => m.id === 'perm-alert-3');
    const marker = await publish(gw.url, { events: [{ type: 'system.notice', id: 'perm-marker-2', data: { level: 'info', message: 'marker', timestamp: 1_764_115_301 } }] }, asPublisher);
    expect(marker.status).toBe(202);
    await Promise.all([...watched.map((w) => w.attempt.sawSystem?.('perm-marker-2')), refreshed.next((m) => m.channel === 'system' && m.id === 'perm-marker-2')]);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(watched.filter((w) => w.attempt.alerts().length > 0).map((w) => w.label)).toEqual([]);
    expect(refreshed.events('alerts').slice(before)).toEqual([]);
  }, 120_000);
});
