import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestClient, startEndpoint, type EndpointServer } from '../test/harness.js';

let server: EndpointServer;
let client: TestClient;

beforeAll(async () => {
  server = await startEndpoint({ clientMessageRate: 100_000 });
  client = await TestClient.connect(server.url);
});

afterAll(async () => {
  await client.close();
  await server.close();
});

const field = fc.oneof(
  fc.constantFrom('type', 'id', 'channel', 'filter', 'since', 'token', '__proto__', 'constructor'),
  fc.string({ maxLength: 8 }),
);
const typeName = fc.constantFrom('auth', 'subscribe', 'unsubscribe', 'ping', 'publish', '', 'SUBSCRIBE');
const channel = fc.constantFrom('threats', 'alerts', 'status', 'metrics', 'events', 'correlations', 'system', 'nope');
const frame = fc.oneof(
  fc.string({ maxLength: 64 }),
  fc.json({ maxDepth: 3 }),
  fc.record({ type: typeName, id: fc.option(fc.string({ maxLength: 10 }), { nil: undefined }), channel, filter: fc.anything({ maxDepth: 2 }) }, { requiredKeys: ['type'] }).map((v) => JSON.stringify(v)),
  fc.dictionary(field, fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }).map((v) => JSON.stringify(v)),
  fc.constant('{"type":"subscribe","channel":"threats","__proto__":{"polluted":true}}'),
  fc.constant('{"type":"subscribe","channel":"threats","filter":{"constructor":{"prototype":{"x":1}}}}'),
);

describe('inbound frames', () => {
  it('never throw, crash or go unanswered, whatever a client sends', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(frame, async (text) => {
        const id = `probe-${n++}`;
        const from = client.messages.length;
        client.send(text);
        // A valid ping after each frame resets the invalid-frame streak and proves the session is alive.
        await client.request({ type: 'ping', id });
        const replies = client.messages.slice(from);
        // Handled in order: the frame's own reply (or error) comes before the probe's pong.
        expect(replies.findIndex((r) => r.id === id)).toBeGreaterThanOrEqual(1);
        for (const r of replies) if (r.type === 'error') expect(r.code).not.toBe('internal');
      }),
      { numRuns: 300 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(server.logs.filter((l) => (l.level as number) >= 50)).toEqual([]);
  });
});
