import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, startGateway, stopAllGateways, TestClient } from '@ns/testkit';
import { envelopeSchemaErrors } from './support/schema-validator.js';
import { getJson, jsonOf, type Json } from './support/json.js';

// The seed's three example events, as its TODO writes them (without id/seq). Its status example
// elides the metrics (`"metrics": {...}`); a small record stands in for the dots.
const SEED_THREAT = { type: 'threat.new', data: { source_ip: '192.168.1.100', threat_score: 8.5, threat_level: 'high', timestamp: 1234567890.123 } };
const SEED_ALERT = { type: 'alert.new', data: { id: 'alert_123', severity: 'critical', message: 'High threat detected', timestamp: 1234567890.123 } };
const SEED_STATUS = { type: 'status.update', data: { component: 'event_processor', status: 'healthy', metrics: { events_processed: 1200, queue_size: 3 } } };

let gw: GatewayProcess;
const sockets: TestClient[] = [];

async function publish(body: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${gw.url}/v1/publish`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: await jsonOf(res) };
}

async function subscriber(...channels: string[]): Promise<TestClient> {
  const s = await TestClient.open(gw.wsUrl);
  sockets.push(s);
  for (const c of channels) expect((await s.subscribe(c)).type).toBe('subscribed');
  return s;
}

beforeAll(async () => {
  gw = await startGateway();
});

afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

afterAll(async () => {
  await stopAllGateways();
});

describe('ns-gateway start (real process, real HTTP and WebSocket clients)', () => {
  it('delivers the seed\'s threat, alert and status events as envelopes that validate against schemas/', async () => {
    const client = await subscriber('threats', 'alerts', 'status');
    const sent = [SEED_THREAT, SEED_ALERT, SEED_STATUS];
    const results = [];
    for (const event of sent) {
      const res = await publish(event);
      expect(res.status).toBe(202);
      results.push(res.json.results[0]);
    }
    for (const [i, event] of sent.entries()) {
      const r = results[i];
      const got = await client.next((m) => m.id === r.id);
      expect(got).toMatchObject({ type: event.type, channel: r.channel, id: r.id, seq: r.seq, data: event.data });
      expect(typeof got.epoch).toBe('string');
      expect(typeof got.ts).toBe('number');
      expect(envelopeSchemaErrors(got)).toBeNull();
    }
    expect(results.map((r) => r.channel)).toEqual(['threats', 'alerts', 'status']);
  });

  it('refuses a batch with one invalid event with 400 naming its index and path, delivering nothing', async () => {
    const client = await subscriber('threats');
    const bad = { type: 'threat.new', data: { ...SEED_THREAT.data, threat_score: 'very high' } };
    const res = await publish({ events: [SEED_THREAT, SEED_THREAT, bad] });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('invalid_message');
    expect(res.json.error.issues).toEqual([expect.objectContaining({ index: 2, path: 'events[2].data.threat_score' })]);
    // A marker published afterwards is the first thing the subscriber sees: the batch left no trace.
    const marker = await publish({ ...SEED_THREAT, id: `marker-${Date.now()}` });
    const first = await client.next((m) => m.type === 'threat.new');
    expect(first.id).toBe(marker.json.results[0].id);
    expect(client.events('threats')).toHaveLength(1);
  });

  it('answers a republished event with the original result, duplicate: true, and delivers it once', async () => {
    const client = await subscriber('alerts');
    const event = { ...SEED_ALERT, id: `alert-idem-${Date.now()}` };
    const first = await publish(event);
    // The same content with its keys in another order is the same event.
    const again = await publish({ id: event.id, data: Object.fromEntries(Object.entries(event.data).reverse()), type: event.type });
    expect(again.status).toBe(202);
    expect(again.json).toEqual({ results: [{ ...first.json.results[0], duplicate: true }] });
    const marker = await publish({ ...SEED_ALERT, id: `alert-marker-${Date.now()}` });
    await client.next((m) => m.id === marker.json.results[0].id);
    expect(client.events('alerts').map((e) => e.id)).toEqual([event.id, marker.json.results[0].id]);
  });

  it('refuses an id reused for another event with 409 id_conflict naming it, publishing nothing (a batch all or nothing)', async () => {
    const client = await subscriber('alerts', 'threats');
    const alertId = `alert_${Date.now()}`;
    // People use the alert's own id as the event id; its resolution is another event.
    const created = await publish({ ...SEED_ALERT, id: alertId });
    expect(created.status).toBe(202);
    const resolved = await publish({ type: 'alert.resolved', id: alertId, data: { id: alertId, by: 'analyst1', timestamp: 1234567891 } });
    expect(resolved.status).toBe(409);
    expect(resolved.json.error).toMatchObject({ code: 'id_conflict', details: { ids: [alertId] }, issues: [{ path: 'id', code: 'id_conflict' }] });
    expect(resolved.json.error.message).toContain(`"${alertId}"`);
    // Across channels: a threat's id reused for an alert.
    const procId = `proc-${Date.now()}`;
    expect((await publish({ ...SEED_THREAT, id: procId })).status).toBe(202);
    const across = await publish({ ...SEED_ALERT, id: procId });
    expect(across.status).toBe(409);
    expect(across.json.error.code).toBe('id_conflict');
    // A batch with one conflicting id: 409 naming its index, and none of the batch is published.
    const fresh = { ...SEED_THREAT, id: `fresh-${Date.now()}` };
    const batch = await publish({ events: [fresh, { ...SEED_THREAT, id: alertId }] });
    expect(batch.status).toBe(409);
    expect(batch.json.error.issues).toEqual([expect.objectContaining({ index: 1, path: 'events[1].id', code: 'id_conflict' })]);
    const marker = await publish({ type: 'threat.new', data: SEED_THREAT.data });
    await client.next((m) => m.id === marker.json.results[0].id);
    expect(client.events().map((e) => e.id)).toEqual([alertId, procId, marker.json.results[0].id]);
    // The id still belongs to the first event, and the refused batch's ids are free.
    expect((await publish({ ...SEED_ALERT, id: alertId })).json.results[0]).toMatchObject({ id: alertId, duplicate: true });
    expect((await publish(fresh)).json.results[0]).toEqual({ id: fresh.id, channel: 'threats', seq: marker.json.results[0].seq + 1 });
  });

  it('serves retained events from the history endpoint, after since_seq', async () => {
    const res = await publish({ events: [SEED_THREAT, SEED_THREAT, SEED_THREAT] });
    const seqs = res.json.results.map((r: { seq: number }) => r.seq);
    const page = await getJson(`${gw.url}/v1/channels/threats/history?since_seq=${seqs[0]}&limit=2`);
    expect(page.channel).toBe('threats');
    expect(page.events.map((e: { seq: number }) => e.seq)).toEqual(seqs.slice(1));
    for (const e of page.events) expect(envelopeSchemaErrors(e)).toBeNull();
  });

  it('lists channels with subscriber counts and the current seq', async () => {
    await subscriber('correlations');
    const { channels } = await getJson(`${gw.url}/v1/channels`);
    const correlations = channels.find((c: { name: string }) => c.name === 'correlations');
    expect(correlations.subscribers).toBeGreaterThanOrEqual(1);
    expect(channels.find((c: { name: string }) => c.name === 'threats').seq).toBeGreaterThan(0);
  });

  it('exposes the named Prometheus series on /metrics', async () => {
    await subscriber('threats');
    await publish(SEED_THREAT);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    for (const name of [
      'ns_ws_connections',
      'ns_ws_subscriptions{channel="threats"}',
      'ns_events_published_total{channel="threats",type="threat.new"}',
      'ns_events_delivered_total{channel="threats"}',
      'ns_events_dropped_total{channel="threats"}',
      'ns_slow_consumer_closes_total',
      'ns_auth_failures_total',
      'ns_publish_latency_seconds_bucket',
      'ns_http_publish_duration_seconds_bucket',
      'nodejs_eventloop_lag_seconds',
    ]) {
      expect(text).toContain(name);
    }
    expect(/^ns_ws_connections (\d+)$/m.exec(text)?.[1]).not.toBe('0');
  });

  it('is live and ready, serves the console with a frame-denying CSP, and the schemas', async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(200);
    const page = await fetch(`${gw.url}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/console/app.js');
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const asyncapi = await fetch(`${gw.url}/asyncapi.json`);
    expect(asyncapi.status).toBe(200);
    expect((await jsonOf(asyncapi)).asyncapi).toBeDefined();
    const envelope = await fetch(`${gw.url}/schemas/envelope.json`);
    expect(envelope.status).toBe(200);
  });
});
