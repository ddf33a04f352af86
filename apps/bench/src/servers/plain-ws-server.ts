/**
 * Baseline 1: what a user writes with the `ws` library alone — the loop of docs/architecture.md#fan-out
 * `for (c of clients) c.send(json)`, serialized once per event, no compression, no coalescing.
 * A client subscribes with `{"type":"subscribe","channel":"threats","filter"?}` (the gateway's message);
 * with a filter, the loop checks each client's filter (event types, levels, min score) before sending.
 *
 *   node --import tsx apps/bench/src/servers/plain-ws-server.ts     (port: $PORT, default any free one)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { compileBenchFilter, type BenchFilter } from './baseline-filter.js';
import { announce, exitOnSignal, publishEndpoint } from './publish-endpoint.js';

interface Subscriber {
  ws: WebSocket;
  /** The client's filter; undefined = everything. */
  accepts: ((event: { data: unknown }) => boolean) | undefined;
}

const subscribers = new Set<Subscriber>();
const endpoint = publishEndpoint((event) => {
  const json = JSON.stringify(event);
  for (const s of subscribers) if (s.accepts === undefined || s.accepts(event)) s.ws.send(json);
});
const server = http.createServer(endpoint.handle);
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false, clientTracking: false });

wss.on('connection', (ws) => {
  let subscriber: Subscriber | undefined;
  ws.on('message', (data) => {
    let msg: { type?: string; filter?: BenchFilter };
    try {
      msg = JSON.parse(String(data)) as typeof msg;
    } catch {
      return;
    }
    if (msg.type !== 'subscribe' || subscriber !== undefined) return;
    subscriber = { ws, accepts: compileBenchFilter(msg.filter) };
    subscribers.add(subscriber);
    ws.send(JSON.stringify({ type: 'subscribed', channel: 'threats', ...endpoint.head() }));
  });
  ws.on('close', () => {
    if (subscriber !== undefined) subscribers.delete(subscriber);
  });
  ws.on('error', () => ws.terminate());
});

exitOnSignal();
server.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1', () => announce((server.address() as AddressInfo).port));
