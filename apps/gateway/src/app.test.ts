import { EventBus, MemoryEngine, type Engine } from '@ns/event-bus';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiKeyRing } from './api-keys.js';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { HttpAuth } from './http-auth.js';
import { Lifecycle } from './lifecycle.js';
import { GatewayMetrics } from './metrics.js';
import { PUBLIC_DIR } from './paths.js';
import { responseContractViolation } from '../test/support/http-contract.js';
import { SCHEMAS_DIR } from '../test/support/schema-validator.js';

const KEY = 'k-test-0123456789abcdef';
const threat = { type: 'threat.new', data: { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1234567890.123 } };
const alert = { type: 'alert.new', data: { id: 'alert_123', severity: 'critical', message: 'High threat detected', timestamp: 1234567890.123 } };
const json = { 'content-type': 'application/json' };

/** An engine that is down: the state a lost Redis connection puts the real one in. */
class DownEngine extends MemoryEngine {
  override get state() {
    return 'down' as const;
  }
}

interface Harness {
  app: FastifyInstance;
  bus: EventBus;
  lifecycle: Lifecycle;
}

const open: Harness[] = [];

async function harness(env: Record<string, string> = {}, engine: Engine = new MemoryEngine(), schemasDir: string | null = null): Promise<Harness> {
  const config = loadConfig(env);
  const bus = new EventBus({ engine });
  const lifecycle = new Lifecycle(() => bus.engine.state === 'ready');
  const metrics = new GatewayMetrics({ bus, lifecycle });
  const auth = new HttpAuth({
    mode: config.auth.mode,
    keys: new ApiKeyRing(config.publishKeys),
    verifier: null,
    allowAnonymous: config.allowAnonymous,
    trustProxy: config.trustProxy !== false,
    allowedOrigins: () => ['http://127.0.0.1:8080'],
    onFailure: (r) => metrics.countHttpAuthFailure(r),
  });
  const app = await buildApp({ config, bus, lifecycle, metrics, auth, logger: pino({ level: 'silent' }), publicDir: PUBLIC_DIR, schemasDir });
  // Every response a test provokes must keep the published contract (schemas/openapi.json).
  app.addHook('onSend', async (req, reply, payload) => {
    if (typeof payload === 'string') {
      const violation = responseContractViolation(req.method, req.url, reply.statusCode, String(reply.getHeader('content-type') ?? ''), payload);
      if (violation !== null) contractViolations.push(violation);
    }
    return payload;
  });
  const h = { app, bus, lifecycle };
  open.push(h);
  return h;
}

const contractViolations: string[] = [];

afterEach(async () => {
  expect(contractViolations.splice(0)).toEqual([]);
  for (const h of open.splice(0)) {
    await h.app.close();
    await h.bus.close();
  }
});

describe('POST /v1/publish', () => {
  it('accepts one event and answers 202 with its id, channel and seq', async () => {
    const { app } = await harness();
    const res = await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: threat });
    expect(res.statusCode).toBe(202);
    const body = res.json();
    expect(body.results).toHaveLength(1);
    expect(body.results[0]).toMatchObject({ channel: 'threats', seq: 1 });
    expect(body.results[0].id).toMatch(/^[A-Za-z0-9]/);
  });

  it('publishes a batch in order and delivers it to bus subscribers', async () => {
    const { app, bus } = await harness();
    const seen: string[] = [];
    bus.subscribe('*', (e) => void seen.push(`${e.type}#${e.seq}`));
    const res = await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: { events: [threat, alert, threat] } });
    expect(res.statusCode).toBe(202);
    expect(res.json().results.map((r: { channel: string; seq: number }) => `${r.channel}#${r.seq}`)).toEqual(['threats#1', 'alerts#1', 'threats#2']);
    expect(seen).toEqual(['threat.new#1', 'alert.new#1', 'threat.new#2']);
  });

  it('rejects a batch with one invalid event with 400 naming index and path, and publishes nothing', async () => {
    const { app, bus } = await harness();
    const seen: unknown[] = [];
    bus.subscribe('*', (e) => void seen.push(e));
    const bad = { type: 'threat.new', data: { ...threat.data, source_ip: 'not-an-ip' } };
    const res = await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: { events: [threat, bad, alert] } });
    expect(res.statusCode).toBe(400);
    const { error } = res.json();
    expect(error.code).toBe('invalid_message');
    expect(error.issues[0]).toMatchObject({ index: 1, path: 'events[1].data.source_ip' });
    expect(seen).toEqual([]);
    expect((await bus.heads()).threats.seq).toBe(0);
  });

  it('answers a repeated id with the first result and does not deliver it again', async () => {
    const { app, bus } = await harness();
    let delivered = 0;
    bus.subscribe('threats', () => void delivered++);
    const first = await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: { ...threat, id: 'thr-1' } });
    const again = await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: { ...threat, id: 'thr-1' } });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toEqual({ results: [{ ...first.json().results[0], duplicate: true }] });
    expect(delivered).toBe(1);
  });

  it('refuses 1001 events with 413 and a body over the limit with 413', async () => {
    const { app } = await harness();
    const many = await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: { events: Array.from({ length: 1001 }, () => threat) } });
    expect(many.statusCode).toBe(413);
    expect(many.json().error.code).toBe('message_too_large');
    const huge = await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: `{"type":"x","data":"${'a'.repeat(5 * 1024 * 1024)}"}` });
    expect(huge.statusCode).toBe(413);
    expect(huge.json().error.code).toBe('message_too_large');
  });

  it('answers malformed JSON with 400 invalid_json and reads JSON sent without a JSON content type', async () => {
    const { app } = await harness();
    const bad = await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: '{"type":' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('invalid_json');
    const proto = await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: '{"__proto__":{"x":1}}' });
    expect(proto.statusCode).toBe(400);
    const text = await app.inject({ method: 'POST', url: '/v1/publish', headers: { 'content-type': 'text/plain;charset=UTF-8' }, payload: JSON.stringify(threat) });
    expect(text.statusCode).toBe(202);
    const form = await app.inject({ method: 'POST', url: '/v1/publish', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: '{"__proto__":{"x":1}}' });
    expect(form.statusCode).toBe(400);
    expect(form.json().error.code).toBe('invalid_json');
  });

  it('refuses a body that is not valid UTF-8 with 400 invalid_json instead of decoding it lossily', async () => {
    const { app, bus } = await harness();
    const [before, after] = JSON.stringify({ ...threat, data: { ...threat.data, note: 'XX' } }).split('XX') as [string, string];
    const payload = Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe]), Buffer.from(after)]);
    const res = await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_json');
    expect((await bus.heads()).threats?.seq ?? 0).toBe(0);
  });

  it('requires a configured API key, compared exactly', async () => {
    const { app } = await harness({ NS_PUBLISH_KEYS: KEY });
    const none = await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: threat });
    expect(none.statusCode).toBe(401);
    expect(none.json().error.code).toBe('unauthorized');
    const wrong = await app.inject({ method: 'POST', url: '/v1/publish', headers: { ...json, authorization: `Bearer ${KEY}x` }, payload: threat });
    expect(wrong.statusCode).toBe(401);
    const right = await app.inject({ method: 'POST', url: '/v1/publish', headers: { ...json, authorization: `Bearer ${KEY}` }, payload: threat });
    expect(right.statusCode).toBe(202);
  });

  it('without keys accepts loopback publishers only, and not when a proxy forwarded the request', async () => {
    const { app } = await harness();
    const local = await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: threat, remoteAddress: '127.0.0.1' });
    expect(local.statusCode).toBe(202);
    const remote = await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: threat, remoteAddress: '10.1.2.3' });
    expect(remote.statusCode).toBe(401);
    const proxied = await app.inject({ method: 'POST', url: '/v1/publish', headers: { ...json, 'x-forwarded-for': '203.0.113.9' }, payload: threat, remoteAddress: '127.0.0.1' });
    expect(proxied.statusCode).toBe(401);
  });

  it('refuses browser requests from origins that are not allowed, whatever their content type (CSRF)', async () => {
    const { app } = await harness();
    const form = await app.inject({ method: 'POST', url: '/v1/publish', headers: { 'content-type': 'text/plain', origin: 'https://evil.example' }, payload: JSON.stringify(threat) });
    expect(form.statusCode).toBe(403);
    const evil = await app.inject({ method: 'POST', url: '/v1/publish', headers: { ...json, origin: 'https://evil.example' }, payload: threat });
    expect(evil.statusCode).toBe(403);
    expect(evil.json().error.code).toBe('forbidden');
    const own = await app.inject({ method: 'POST', url: '/v1/publish', headers: { ...json, origin: 'http://127.0.0.1:8080' }, payload: threat });
    expect(own.statusCode).toBe(202);
  });

  it('accepts a page served by the gateway itself (same host) without listing its origin', async () => {
    const { app } = await harness();
    const res = await app.inject({ method: 'POST', url: '/v1/publish', headers: { ...json, host: '127.0.0.1:9999', origin: 'http://127.0.0.1:9999' }, payload: threat });
    expect(res.statusCode).toBe(202);
  });

  it('does not take a named Host for the gateway itself when listening on all interfaces (DNS rebinding)', async () => {
    const { app } = await harness({ NS_HOST: '0.0.0.0', NS_AUTH: 'none' });
    const host = 'rebind.evil.example:8080';
    const res = await app.inject({ method: 'POST', url: '/v1/publish', headers: { ...json, host, origin: `http://${host}` }, payload: threat });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
  });

  it('refuses requests addressed to a non-loopback name while listening on loopback (DNS rebinding)', async () => {
    const { app } = await harness();
    const res = await app.inject({ url: '/v1/channels', headers: { host: 'rebind.evil.example:8080' } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe('forbidden');
    expect((await app.inject({ url: '/v1/channels', headers: { host: 'localhost:8080' } })).statusCode).toBe(200);
  });

  it('answers 429 over the per-client rate', async () => {
    const { app } = await harness({ NS_PUBLISH_RATE: '2' });
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) codes.push((await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: threat })).statusCode);
    expect(codes).toEqual([202, 202, 429]);
    const limited = await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: threat });
    expect(limited.json().error.code).toBe('rate_limited');
    expect(limited.headers['retry-after']).toBeDefined();
  });

  it('answers 503 while draining and when the engine is down, publishing nothing', async () => {
    const draining = await harness();
    draining.lifecycle.startDraining();
    const a = await draining.app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: threat });
    expect(a.statusCode).toBe(503);
    expect(a.json().error.code).toBe('unavailable');

    const down = await harness({}, new DownEngine());
    const b = await down.app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: threat });
    expect(b.statusCode).toBe(503);
    expect(b.json().error.code).toBe('unavailable');
  });
});

describe('GET /v1/channels', () => {
  it('lists every channel of the registry with its epoch, seq and subscribers', async () => {
    const { app } = await harness();
    await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: { events: [threat, threat] } });
    const res = await app.inject({ url: '/v1/channels' });
    expect(res.statusCode).toBe(200);
    const channels = res.json().channels as { name: string; seq: number; epoch: string; subscribers: number; read_permission: string | null }[];
    expect(channels.map((c) => c.name)).toEqual(['threats', 'alerts', 'status', 'metrics', 'events', 'correlations', 'system']);
    expect(channels[0]).toMatchObject({ name: 'threats', seq: 2, subscribers: 0, read_permission: 'read:events', delivery: 'lossless' });
    expect(typeof channels[0]?.epoch).toBe('string');
  });
});

describe('GET /v1/channels/:channel/history', () => {
  it('serves retained events after since_seq, oldest first, up to limit', async () => {
    const { app } = await harness({ NS_AUTH: 'none' });
    await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: { events: [threat, threat, threat] } });
    const res = await app.inject({ url: '/v1/channels/threats/history?since_seq=1&limit=1' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body).toMatchObject({ channel: 'threats', seq: 3 });
    expect(body.events).toHaveLength(1);
    expect(body.events[0]).toMatchObject({ type: 'threat.new', channel: 'threats', seq: 2, epoch: body.epoch, data: threat.data });
  });

  it('answers 404 for an unknown channel and 400 for a bad query', async () => {
    const { app } = await harness({ NS_AUTH: 'none' });
    expect((await app.inject({ url: '/v1/channels/nope/history' })).json().error.code).toBe('unknown_channel');
    const bad = await app.inject({ url: '/v1/channels/threats/history?limit=5000' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.issues[0].path).toBe('limit');
  });

  it('keeps protected channels closed by default when no JWT key is configured', async () => {
    const { app } = await harness();
    const denied = await app.inject({ url: '/v1/channels/threats/history' });
    expect(denied.statusCode).toBe(401);
    expect(denied.json().error.code).toBe('unauthorized');
    expect((await app.inject({ url: '/v1/channels/system/history' })).statusCode).toBe(200);
  });

  it('authorizes like a subscription when tokens are required', async () => {
    const { app } = await harness({ NS_JWT_SECRET: 's'.repeat(32) });
    expect((await app.inject({ url: '/v1/channels/threats/history' })).statusCode).toBe(401);
    expect((await app.inject({ url: '/v1/channels/status/history' })).statusCode).toBe(200);
  });
});

describe('health, metrics and headers', () => {
  it('is live always and ready until draining', async () => {
    const { app, lifecycle } = await harness();
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200);
    lifecycle.startDraining();
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatchObject({ code: 'unavailable', details: { draining: true } });
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });

  it('exposes the named series in Prometheus text format', async () => {
    const { app } = await harness();
    await app.inject({ method: 'POST', url: '/v1/publish', headers: json, payload: threat });
    const res = await app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
    for (const series of [
      'ns_ws_connections',
      'ns_ws_subscriptions{channel="threats"}',
      'ns_events_published_total{channel="threats",type="threat.new"} 1',
      'ns_events_delivered_total{channel="threats"}',
      'ns_events_dropped_total{channel="threats"}',
      'ns_slow_consumer_closes_total',
      'ns_auth_failures_total',
      'ns_publish_latency_seconds_bucket{le="+Inf"} 1',
      'ns_http_publish_duration_seconds_count{status="202"} 1',
      'nodejs_eventloop_lag_seconds',
      'process_cpu_seconds_total',
    ]) {
      expect(res.body).toContain(series);
    }
  });

  it('sends nosniff and no-store on the API and a CSP that forbids framing on the console', async () => {
    const { app } = await harness();
    const api = await app.inject({ url: '/v1/channels' });
    expect(api.headers['x-content-type-options']).toBe('nosniff');
    expect(api.headers['cache-control']).toBe('no-store');
    const page = await app.inject({ url: '/', headers: { host: '127.0.0.1:8080' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(page.headers['content-security-policy']).toContain('ws://127.0.0.1:8080');
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('answers unknown routes with an ErrorBody 404', async () => {
    const { app } = await harness();
    const res = await app.inject({ url: '/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toContain('/nope');
  });

  it('serves the generated OpenAPI and AsyncAPI documents and the schema index', async () => {
    const { app } = await harness({}, new MemoryEngine(), SCHEMAS_DIR);
    const openapi = await app.inject({ url: '/openapi.json' });
    expect(openapi.statusCode).toBe(200);
    expect(openapi.json()).toMatchObject({ openapi: '3.1.0', paths: { '/v1/publish': { post: { operationId: 'publish' } } } });
    expect((await app.inject({ url: '/asyncapi.json' })).json()).toMatchObject({ asyncapi: '3.0.0' });
    const index = (await app.inject({ url: '/schemas/' })).json() as { schemas: { name: string }[] };
    expect(index.schemas.map((s) => s.name)).toEqual(expect.arrayContaining(['openapi.json', 'http/history-response.json']));
  });

  it('answers the schema routes with a hint when schemas/ is missing', async () => {
    const { app } = await harness();
    const res = await app.inject({ url: '/asyncapi.json' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.message).toContain('npm run schemas');
  });
});
