import { MAX_BATCH_EVENTS, MAX_EVENT_DATA_BYTES, MAX_JSON_DEPTH } from '@ns/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayUnderTest, launchGateway, RawWs, stopAllGateways } from '@ns/testkit';
import { getJson, publish, rawPublish, threatData } from './support/http.js';

// Bad input on POST /v1/publish, against the real gateway process: the status and error code of
// docs/protocol.md#http-api, nothing published, nothing polluted, and the process keeps serving.

let gw: GatewayUnderTest;
let watcher: RawWs;

beforeAll(async () => {
  gw = await launchGateway({ env: { NS_AUTH: 'none' }, inspect: true });
  watcher = await RawWs.connect(gw.port);
  await watcher.request({ type: 'subscribe', channel: 'threats' });
});
afterAll(async () => {
  watcher.destroy();
  await stopAllGateways();
});

const event = (data: Record<string, unknown> = threatData()) => ({ type: 'threat.new', data });
const eventText = (extra: string) => JSON.stringify(event()).replace(/}}$/, `,${extra}}}`);
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** Publishes, expects a refusal with `status` and `code`, and returns the error body. */
async function refused(body: unknown, status: number, code: string, headers: Record<string, string> = {}) {
  const res = await publish(gw.url, body, headers);
  expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(status);
  expect(res.body.error?.code).toBe(code);
  return res.body.error;
}

describe('POST /v1/publish with bad bodies', () => {
  it('answers bodies that are not JSON with 400 invalid_json, whatever the content type says', async () => {
    await refused('hello', 400, 'invalid_json');
    await refused('{"type":"threat.new",', 400, 'invalid_json');
    await refused('', 400, 'invalid_json');
    await refused('{"type":"threat.new","data":{"threat_score":NaN}}', 400, 'invalid_json');
    await refused('<event type="threat.new"/>', 400, 'invalid_json', { 'content-type': 'application/xml' });
    await refused('type=threat.new', 400, 'invalid_json', { 'content-type': 'application/x-www-form-urlencoded' });
    await refused('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\n1\r\n--b--', 400, 'invalid_json', { 'content-type': 'multipart/form-data; boundary=b' });
  });

  it('reads a JSON body under a wrong content type as JSON (the API speaks only JSON)', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/octet-stream']) {
      expect((await publish(gw.url, event(), { 'content-type': type })).status, type).toBe(202);
    }
  });

  it('refuses a body that is not valid UTF-8 instead of publishing replacement characters', async () => {
    const [before, after] = eventText('"note":"XX"').split('XX') as [string, string];
    await refused(Buffer.concat([Buffer.from(before), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from(after)]), 400, 'invalid_json');
  });

  it('answers data nested deeper than MAX_JSON_DEPTH with 400 invalid_message naming the path, not a 500', async () => {
    for (const depth of [MAX_JSON_DEPTH, 5_000, 200_000]) {
      const error = await refused(eventText(`"x":${nested(depth)}`), 400, 'invalid_message');
      expect(error.issues[0]).toMatchObject({ code: 'too_deep' });
      expect(error.issues[0].path).toMatch(/^data\.x(\[0\])+$/);
    }
    const deepObject = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    await refused(eventText(`"x":${deepObject}`), 400, 'invalid_message');
    await refused(`{"events":[${eventText(`"x":${nested(10_000)}`)}]}`, 400, 'invalid_message');
  });

  it('rejects non-finite, huge and out-of-range numbers by schema, naming the field', async () => {
    const tooBig = await refused(eventText('"threat_score":1e999').replace('"threat_score":5,', ''), 400, 'invalid_message');
    expect(tooBig.issues[0].path).toBe('data.threat_score');
    await refused(JSON.stringify(event(threatData(0, { threat_score: -1 }))), 400, 'invalid_message');
    await refused(JSON.stringify(event(threatData(0, { confidence: 2 }))), 400, 'invalid_message');
    await refused(JSON.stringify(event(threatData(0, { dst_port: 70_000 }))), 400, 'invalid_message');
    await refused(JSON.stringify(event(threatData(0, { timestamp: Number('9'.repeat(400)) }))), 400, 'invalid_message');
  });

  it('answers data over the size limit with 413 message_too_large, and a huge string field likewise', async () => {
    await refused(event(threatData(0, { pad: 'x'.repeat(MAX_EVENT_DATA_BYTES) })), 413, 'message_too_large');
    await refused(event(threatData(0, { pad: 'é'.repeat(MAX_EVENT_DATA_BYTES / 2) })), 413, 'message_too_large');
  });

  it('answers a batch of 1001 events with 413 and a body over 4 MiB with 413, publishing nothing', async () => {
    const before = (await getJson(`${gw.url}/v1/channels/threats/history?limit=1000`)).body.seq as number;
    await refused({ events: Array.from({ length: MAX_BATCH_EVENTS + 1 }, (_, i) => event(threatData(i))) }, 413, 'message_too_large');
    const huge = `{"events":[${Array.from({ length: 80 }, () => JSON.stringify(event(threatData(0, { pad: 'y'.repeat(60_000) })))).join(',')}]}`;
    // fetch writes the whole body before it reads: the gateway must still let it see the 413.
    await refused(huge, 413, 'message_too_large');
    const closing = await rawPublish(gw.port, huge);
    expect(closing.status).toBe(413);
    expect(closing.body.error.code).toBe('message_too_large');
    // Without a length up front, the body is cut off at the limit all the same.
    const chunked = await rawPublish(gw.port, `${(huge.length.toString(16))}\r\n${huge}\r\n0\r\n\r\n`, { 'Content-Length': '', 'Transfer-Encoding': 'chunked' });
    expect(chunked.status).toBe(413);
    expect((await getJson(`${gw.url}/v1/channels/threats/history?limit=1000`)).body.seq).toBe(before);
  });

  it('refuses prototype-pollution keys in the body and in event data, and the gateway stays unpolluted', async () => {
    for (const text of [
      '{"__proto__":{"polluted":"yes"},"type":"threat.new","data":{}}',
      eventText('"__proto__":{"polluted":"yes"}'),
      eventText('"constructor":{"prototype":{"polluted":"yes"}}'),
      `{"events":[${eventText('"nested":[{"__proto__":{"polluted":"yes"}}]')}]}`,
    ]) {
      await refused(text, 400, 'invalid_json');
    }
    // Harmless look-alikes are ordinary pass-through data.
    expect((await publish(gw.url, eventText('"constructor":"x","proto":{"__proto":1}'))).status).toBe(202);
    expect(await gw.inspector?.pollutedKeys()).toEqual([]);
    expect(await gw.inspector?.evaluate('({}).polluted')).toBeUndefined();
  });

  it('delivered only what it acknowledged, and still serves', async () => {
    const { body } = await publish(gw.url, event(threatData(42)));
    const last = await watcher.next((m) => m.id === body.results[0].id);
    // Every event the watcher saw was acknowledged with 202 above (7 of them), in seq order.
    const seqs = watcher.events('threats').map((e) => e.seq as number);
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => i + 1));
    expect(last.seq).toBe(seqs.length);
    expect(seqs.length).toBe(5);
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });
});
