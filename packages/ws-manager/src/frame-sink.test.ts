import { once } from 'node:events';
import http, { type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CLOSE_CODES, UNRESTRICTED_PRINCIPAL, type SubscribeMessage } from '@ns/contracts';
import { closeAfterEach } from '@ns/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { TestClient, startManagerServer, threat, type ManagerServer } from '../test/harness.js';
import { FrameEncoder } from './frame-builder.js';
import type { SinkHost, SinkInit } from './frame-sink.js';
import { QueuedSink } from './queued-sink.js';

/** How many times the test transport's format built an event's bytes. */
let eventsFramed = 0;

/** A second transport in the shape of Server-Sent Events: one `data:` record per message. */
const streamFrames = new FrameEncoder({
  event: (e) => {
    eventsFramed++;
    return Buffer.from(`id: ${e.envelope.epoch}:${e.seq}\ndata: ${e.json}\n\n`);
  },
  control: (m) => Buffer.from(`event: ${m.type}\ndata: ${JSON.stringify(m)}\n\n`),
});

/** A sink over a real HTTP response, as another transport would write one. */
class StreamSink extends QueuedSink {
  readonly transport = 'test-stream';
  readonly encoder = streamFrames;
  readonly #res: ServerResponse;

  constructor(host: SinkHost, res: ServerResponse, init?: SinkInit) {
    super(host, res, init);
    this.#res = res;
    res.on('close', () => this.closed(1000, ''));
  }

  protected canWrite(): boolean {
    return !this.#res.destroyed && !this.#res.writableEnded;
  }

  protected endStream(code: number, reason: string): void {
    this.#res.end(`event: close\ndata: ${JSON.stringify({ code, reason })}\n\n`);
  }

  protected destroyStream(): void {
    this.#res.destroy();
  }
}

/** A real HTTP client reading one stream: records of `\n\n`-separated text. */
class StreamReader {
  readonly records: string[] = [];
  readonly ended: Promise<void>;
  readonly res: http.IncomingMessage;
  eventCount = 0;
  #buffer = '';
  #waiters: (() => void)[] = [];

  constructor(res: http.IncomingMessage) {
    this.res = res;
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      this.#buffer += chunk;
      const parts = this.#buffer.split('\n\n');
      this.#buffer = parts.pop() as string;
      this.records.push(...parts);
      for (const r of parts) if (r.startsWith('id: ')) this.eventCount++;
      for (const w of this.#waiters.splice(0)) w();
    });
    this.ended = once(res, 'end').then(() => undefined);
  }

  /** Event records (`id: …`) received so far. */
  events(): { id: string; seq: number }[] {
    return this.records.filter((r) => r.startsWith('id: ')).map((r) => ({ id: r.split('\n')[0]!.slice(4), seq: (JSON.parse(r.split('\n')[1]!.slice(6)) as { seq: number }).seq }));
  }

  async waitFor(predicate: () => boolean): Promise<void> {
    while (!predicate()) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
}

let server: ManagerServer | undefined;
let http1: http.Server | undefined;

afterEach(async () => {
  await server?.close();
  http1?.close();
  server = undefined;
  http1 = undefined;
});
// After the server's hook: hooks run in stack order, so the clients close first.
const track = closeAfterEach<TestClient>();

/** A WsManager with both a WebSocket endpoint and a stream endpoint registering {@link StreamSink}s. */
async function start() {
  server = await startManagerServer();
  const manager = server.manager;
  const sinks: StreamSink[] = [];
  http1 = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.flushHeaders();
    const sink = manager.register((host) => new StreamSink(host, res, { remoteAddress: '127.0.0.1', principal: UNRESTRICTED_PRINCIPAL }));
    sink.open();
    sinks.push(sink);
  });
  http1.listen(0, '127.0.0.1');
  await once(http1, 'listening');
  const url = `http://127.0.0.1:${(http1.address() as AddressInfo).port}/`;
  const open = async () => {
    const before = sinks.length;
    const res = await new Promise<http.IncomingMessage>((resolve) => http.get(url, { agent: false }, resolve));
    const reader = new StreamReader(res);
    // The response headers were flushed after the sink was registered and opened.
    expect(sinks.length).toBe(before + 1);
    return { reader, sink: sinks.at(-1)! };
  };
  return { s: server, open, sinks };
}

describe('FrameSink: a second transport beside WebSocket', () => {
  it('fans one event out to WebSocket and stream sinks, framing it once per transport', async () => {
    const { s, open } = await start();
    const streams = [await open(), await open(), await open()];
    for (const { sink } of streams) expect(await s.manager.subscribe(sink, { type: 'subscribe', channel: 'threats' })).toBe(true);
    const ws = [await TestClient.connect(s.url), await TestClient.connect(s.url)];
    for (const c of ws) track(c);
    for (const c of ws) await c.request({ type: 'subscribe', id: 's', channel: 'threats' });
    eventsFramed = 0;
    await s.bus.publish(threat(5));
    await s.bus.publish(threat(6));
    for (const { reader } of streams) await reader.waitFor(() => reader.events().length === 2);
    for (const c of ws) await c.waitForEvents('threats', 2);
    // Three stream sinks, two events: the stream format built each event's bytes once.
    expect(eventsFramed).toBe(2);
    expect(streams[0]!.reader.events().map((e) => e.seq)).toEqual([1, 2]);
    expect(streams[0]!.reader.records[0]).toMatch(/^event: subscribed\ndata: \{"type":"subscribed"/);
    expect(s.manager.stats()).toMatchObject({ connections: 5, subscriptions: { threats: 5 }, delivered: { threats: 10 } });
  });

  it('subscribes a stream sink with a filter and a resume cursor: replay, then live, no gap, no repeat', async () => {
    const { s, open } = await start();
    for (const score of [9, 1, 8, 2]) await s.bus.publish(threat(score));
    const { epoch } = (await s.bus.heads()).threats;
    const { reader, sink } = await open();
    // `as SubscribeMessage`: the contracts infer subscribe filters as Record<string, never>.
    const message = { type: 'subscribe', channel: 'threats', filter: { min_score: 5 }, since: { epoch, seq: 0 } } as unknown as SubscribeMessage;
    expect(await s.manager.subscribe(sink, message)).toBe(true);
    await s.bus.publish(threat(7));
    await s.bus.publish(threat(3));
    await reader.waitFor(() => reader.events().length === 3);
    expect(reader.events()).toEqual([
      { id: `${epoch}:1`, seq: 1 },
      { id: `${epoch}:3`, seq: 3 },
      { id: `${epoch}:5`, seq: 5 },
    ]);
    expect(JSON.parse(reader.records[0]!.split('\n')[1]!.slice(6))).toMatchObject({ type: 'subscribed', recovered: true, replayed: 2, seq: 4 });
  });

  it('lists sinks of every transport with id, principal, channels and bytes, and closes one by id', async () => {
    const { s, open } = await start();
    const { reader, sink } = await open();
    const c = await TestClient.connect(s.url);
    track(c);
    await s.manager.subscribe(sink, { type: 'subscribe', channel: 'status' });
    await s.manager.subscribe(sink, { type: 'subscribe', channel: 'threats' });
    const listed = [...s.manager.sinks()].map((k) => ({ id: k.id, transport: k.transport, channels: [...k.channels].sort(), bytes: k.bufferedBytes >= 0 }));
    expect(listed).toEqual(
      expect.arrayContaining([
        { id: sink.id, transport: 'test-stream', channels: ['status', 'threats'], bytes: true },
        { id: s.accepted[0]!.id, transport: 'websocket', channels: [], bytes: true },
      ]),
    );
    expect(s.manager.sink(sink.id)).toBe(sink);
    s.manager.sink(sink.id)!.close(CLOSE_CODES.GOING_AWAY, 'disconnected by an admin');
    await reader.ended;
    expect(reader.records.at(-1)).toBe('event: close\ndata: {"code":1001,"reason":"disconnected by an admin"}');
    while (s.manager.stats().connections !== 1) await new Promise<void>((resolve) => setImmediate(resolve));
    expect(s.manager.stats().subscriptions).toMatchObject({ status: 0, threats: 0 });
  });

  it('applies backpressure per sink: a stream sink that does not read is closed as a slow consumer, the others keep up', async () => {
    const { s, open, sinks } = await start();
    const stalled = await open();
    const healthy = await open();
    stalled.reader.records.length = 0;
    // A paused reader stops draining its socket, so the server's response buffer fills.
    stalled.reader.res.pause();
    for (const { sink } of [stalled, healthy]) await s.manager.subscribe(sink, { type: 'subscribe', channel: 'threats' });
    expect(sinks).toHaveLength(2);
    // Well past the 1 MiB cap for the stalled one, delivered in full to the healthy one.
    const big = 'x'.repeat(250);
    let published = 0;
    while (stalled.sink.state === 'open' && published < 50_000) {
      await s.bus.publishBatch(Array.from({ length: 100 }, () => threat(5, { event_type: big })));
      published += 100;
      // The healthy reader keeps up: it has everything before the next batch.
      await healthy.reader.waitFor(() => healthy.reader.eventCount === published);
    }
    expect(stalled.sink.state).not.toBe('open');
    expect(s.manager.stats().slowConsumerCloses).toBe(1);
    await healthy.reader.waitFor(() => healthy.reader.eventCount === published);
  });
});
