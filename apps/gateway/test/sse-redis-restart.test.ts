import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stopAllGateways, type GatewayProcess } from '@ns/testkit';
import { hasRedisServer, publish, startRedisGateway, startRedisServer, threat, uniquePrefix, type TestRedisServer } from './support/redis-gateways.js';
import { SseReader } from './support/sse-reader.js';

// A Server-Sent Events reader across a gateway restart on Redis: the stream of the first gateway ends
// (its last error says why), the reader comes back to the restarted gateway with the Last-Event-ID it
// had, and receives exactly what was published in between, then live events — no gap, no duplicate.

let redis: TestRedisServer;
const readers: SseReader[] = [];

describe.skipIf(!hasRedisServer)('SSE resume across a gateway restart (NS_ENGINE=redis)', () => {
  beforeEach(async () => {
    redis = await startRedisServer();
  });
  afterEach(async () => {
    for (const r of readers.splice(0)) r.close();
    await stopAllGateways();
    await redis.close();
  });

  async function open(gw: GatewayProcess, headers: Record<string, string> = {}): Promise<SseReader> {
    const r = await SseReader.open(gw.port, '/v1/stream?channels=threats,alerts', headers);
    readers.push(r);
    expect(r.status).toBe(200);
    await r.next((m) => m.type === 'subscribed' && m.channel === 'alerts');
    return r;
  }

  const alert = (id: string) => ({ type: 'alert.new', id, data: { id, severity: 'high', message: id, timestamp: 1764115200.1 } });

  it('resumes gap-free with Last-Event-ID on the restarted gateway', async () => {
    const prefix = uniquePrefix();
    const first = await startRedisGateway(redis.url, prefix);
    const reader = await open(first);
    for (let i = 0; i < 10; i++) expect((await publish(first.url, i % 3 === 0 ? alert(`a-${i}`) : threat(`t-${i}`))).status).toBe(202);
    await reader.next((m) => m.id === 'a-9');
    const before = reader.events().map((e) => e.id);
    expect(before).toEqual(Array.from({ length: 10 }, (_, i) => (i % 3 === 0 ? `a-${i}` : `t-${i}`)));

    await first.stop();
    await reader.ended;
    expect(reader.messages.at(-1)?.msg).toMatchObject({ type: 'error', code: 'unavailable', details: { close_code: 1001 } });
    const lastEventId = reader.lastEventId;
    expect(lastEventId).toMatch(/^threats:[^,]+:6,alerts:[^,]+:4$/);

    const second = await startRedisGateway(redis.url, prefix);
    for (let i = 10; i < 16; i++) expect((await publish(second.url, i % 3 === 0 ? alert(`a-${i}`) : threat(`t-${i}`))).status).toBe(202);
    const again = await open(second, { 'last-event-id': lastEventId });
    const subscribed = again.messages.map((m) => m.msg).filter((m) => m.type === 'subscribed');
    expect(subscribed).toMatchObject([
      { channel: 'threats', recovered: true, replayed: 4 },
      { channel: 'alerts', recovered: true, replayed: 2 },
    ]);
    expect((await publish(second.url, threat('t-live'))).status).toBe(202);
    await again.next((m) => m.id === 't-live');
    const threats = again.events('threats');
    expect(threats.map((e) => e.id)).toEqual(['t-10', 't-11', 't-13', 't-14', 't-live']);
    expect(threats.map((e) => e.seq)).toEqual([7, 8, 9, 10, 11]);
    expect(again.events('alerts').map((e) => [e.id, e.seq])).toEqual([
      ['a-12', 5],
      ['a-15', 6],
    ]);
  });
});
