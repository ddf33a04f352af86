import { EventBus, MemoryEngine } from '@ns/event-bus';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { responseContractViolation } from '../../test/support/http-contract.js';
import { AlertActions, actionEventId } from '../alert-actions.js';
import { ApiKeyRing } from '../api-keys.js';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { HttpAuth } from '../http-auth.js';
import { Lifecycle } from '../lifecycle.js';
import { GatewayMetrics } from '../metrics.js';
import { PUBLIC_DIR } from '../paths.js';
import { createTokenVerifier } from '../token-verifier.js';

const SECRET = 'alert-actions-test-secret-0123456789abcdef';
const open: { app: FastifyInstance; bus: EventBus }[] = [];
const violations: string[] = [];

afterEach(async () => {
  expect(violations.splice(0)).toEqual([]);
  for (const h of open.splice(0)) {
    await h.app.close();
    await h.bus.close();
  }
});

/** The HTTP app on a memory engine, with JWT auth (or `NS_AUTH=none`), every response held to the OpenAPI contract. */
async function gateway(env: Record<string, string> = { NS_JWT_SECRET: SECRET }, bus = new EventBus({ engine: new MemoryEngine() })) {
  const config = loadConfig(env);
  const lifecycle = new Lifecycle(() => bus.engine.state === 'ready');
  const metrics = new GatewayMetrics({ bus, lifecycle });
  const auth = new HttpAuth({
    mode: config.auth.mode,
    keys: new ApiKeyRing(config.publishKeys),
    verifier: createTokenVerifier(config.auth),
    allowAnonymous: config.allowAnonymous,
    trustProxy: false,
    allowedOrigins: () => [],
  });
  const app = await buildApp({ config, bus, lifecycle, metrics, auth, logger: pino({ level: 'silent' }), publicDir: PUBLIC_DIR, schemasDir: null });
  app.addHook('onSend', async (req, reply, payload) => {
    if (typeof payload === 'string') {
      const v = responseContractViolation(req.method, req.url, reply.statusCode, String(reply.getHeader('content-type') ?? ''), payload);
      if (v !== null) violations.push(v);
    }
    return payload;
  });
  open.push({ app, bus });
  return { app, bus };
}

const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(String(claims.sub ?? 'u_1')).setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

const post = (app: FastifyInstance, url: string, jwt: string | undefined, payload?: unknown) =>
  app.inject({
    method: 'POST',
    url,
    headers: { ...(jwt === undefined ? {} : { authorization: `Bearer ${jwt}` }), ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });

/** The alert-state events of the alerts channel's history, as published. */
async function stateEvents(bus: EventBus) {
  const { events } = await bus.history('alerts', { limit: 1000 });
  return events.map((e) => JSON.parse(e.json) as { id: string; type: string; data: Record<string, unknown> }).filter((e) => e.type !== 'alert.new');
}

describe('POST /v1/alerts/{id}/acknowledge and /resolve', () => {
  it('publishes alert.acknowledged with by from the token, the note, and the gateway\'s timestamp', async () => {
    const { app, bus } = await gateway();
    const alice = await token({ sub: 'u_alice', username: 'alice', roles: ['analyst'] });
    const before = Date.now() / 1000;
    const res = await post(app, '/v1/alerts/alert_81/acknowledge', alice, { note: 'on it' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ channel: 'alerts', seq: 1, type: 'alert.acknowledged', duplicate: false, data: { id: 'alert_81', by: 'alice', note: 'on it' } });
    expect(body.data.timestamp).toBeGreaterThanOrEqual(before);
    expect(body.data.timestamp).toBeLessThanOrEqual(Date.now() / 1000);
    expect(await stateEvents(bus)).toEqual([{ ...(await stateEvents(bus))[0], id: actionEventId('acknowledge', 'alert_81'), type: 'alert.acknowledged', data: body.data }]);
  });

  it('is idempotent: a second acknowledge (sequential or concurrent) publishes nothing and answers the first', async () => {
    const { app, bus } = await gateway();
    const alice = await token({ sub: 'u_alice', username: 'alice', roles: ['analyst'] });
    const bob = await token({ sub: 'u_bob', roles: ['admin'] });
    const [a, b] = await Promise.all([post(app, '/v1/alerts/alert_1/acknowledge', alice), post(app, '/v1/alerts/alert_1/acknowledge', bob, { note: 'me too' })]);
    const c = await post(app, '/v1/alerts/alert_1/acknowledge', bob);
    const first = a.json();
    expect(first).toMatchObject({ duplicate: false, data: { by: 'alice' } });
    expect(b.json()).toEqual({ ...first, duplicate: true });
    expect(c.json()).toEqual({ ...first, duplicate: true });
    // Resolve is its own action; the token's id stands in for a missing username.
    expect((await post(app, '/v1/alerts/alert_1/resolve', bob)).json()).toMatchObject({ type: 'alert.resolved', seq: 2, duplicate: false, data: { id: 'alert_1', by: 'u_bob' } });
    expect((await stateEvents(bus)).map((e) => `${e.type} ${e.data.by}`)).toEqual(['alert.acknowledged alice', 'alert.resolved u_bob']);
  });

  it('answers a concurrent repeat on another gateway sharing the engine with the first action (id_conflict resolved from history)', async () => {
    const engine = new MemoryEngine();
    const bus = new EventBus({ engine });
    const other = new EventBus({ engine });
    open.push({ app: await (await gateway(undefined, other)).app, bus: other });
    const alice = { id: 'u_alice', username: 'alice', roles: ['analyst' as const], permissions: ['write:alerts' as const] };
    const bob = { ...alice, id: 'u_bob', username: 'bob' };
    const [x, y] = await Promise.all([new AlertActions(bus).act({ action: 'resolve', alertId: 'a/1 ü', principal: alice }), new AlertActions(other).act({ action: 'resolve', alertId: 'a/1 ü', principal: bob })]);
    expect([x.duplicate, y.duplicate].sort()).toEqual([false, true]);
    expect(x.data).toEqual(y.data);
    expect(await stateEvents(bus)).toHaveLength(1);
    await bus.close();
  });

  it('takes no author from the body, and names the field or limit that is wrong', async () => {
    const { app, bus } = await gateway();
    const alice = await token({ sub: 'u_alice', username: 'alice', roles: ['analyst'] });
    const forged = await post(app, '/v1/alerts/alert_1/acknowledge', alice, { by: 'mallory' });
    expect(forged.statusCode).toBe(400);
    expect(forged.json().error).toMatchObject({ code: 'invalid_message', issues: [{ path: 'by', message: 'unknown field "by"' }] });
    const long = await post(app, '/v1/alerts/alert_1/resolve', alice, { note: 'x'.repeat(4097) });
    expect(long.json().error.issues[0]).toMatchObject({ path: 'note', code: 'too_big' });
    const longId = await post(app, `/v1/alerts/${'a'.repeat(257)}/resolve`, alice);
    expect(longId.statusCode).toBe(400);
    expect(longId.json().error.message).toMatch(/^id: /);
    expect(await stateEvents(bus)).toEqual([]);
  });

  it('requires a JWT with write:alerts: 401 without one, 403 for a viewer; open with NS_AUTH=none', async () => {
    const { app } = await gateway();
    expect((await post(app, '/v1/alerts/alert_1/acknowledge', undefined)).json().error).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('write:alerts') });
    const viewer = await token({ sub: 'u_v', roles: ['viewer'] });
    const refused = await post(app, '/v1/alerts/alert_1/acknowledge', viewer);
    expect(refused.statusCode).toBe(403);
    expect(refused.json().error.message).toContain('write:alerts');
    const explicit = await token({ sub: 'u_x', permissions: ['write:alerts'] });
    expect((await post(app, '/v1/alerts/alert_1/acknowledge', explicit)).statusCode).toBe(200);

    const { app: open } = await gateway({ NS_AUTH: 'none' });
    expect((await post(open, '/v1/alerts/alert_2/resolve', undefined)).json()).toMatchObject({ data: { by: 'auth-disabled' } });
  });
});
